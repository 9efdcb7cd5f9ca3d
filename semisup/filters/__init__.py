"""Unlabeled-pool filters: outlier detectors fitted on the labeled images.

A strategy given `unlabeled_filter=` clones the filter, fits it on the labeled images and drops
the unlabeled images it predicts as -1 (outliers) before training. `REGISTRY` maps a name to a
filter class; `get(name)` returns the class and raises with the list of valid names otherwise.

Example:
    >>> from semisup import filters
    >>> filters.get("deep_svdd")
    <class 'semisup.filters.deep_svdd.DeepSVDDFilter'>
"""

from __future__ import annotations

from semisup.filters.deep_svdd import DeepSVDDFilter

REGISTRY: dict[str, type] = {"deep_svdd": DeepSVDDFilter}


def get(name: str) -> type:
    """The filter class registered as `name`.

    Args:
        name: a key of `REGISTRY`, e.g. `"deep_svdd"`.

    Returns:
        The filter class (call it with its parameters to make a filter).
    """
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown filter {name!r}. Registered filters: {sorted(REGISTRY)}."
        ) from None


__all__ = ["REGISTRY", "DeepSVDDFilter", "get"]
