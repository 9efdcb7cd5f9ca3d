"""The heads by name, and turning a `head=` argument into a fresh, unfitted estimator."""

from __future__ import annotations

from sklearn.base import BaseEstimator, clone

from semisup.heads._elm import ExtremeLearningMachine
from semisup.heads._head import FeatureHead
from semisup.heads._logistic import LogisticHead

HEADS: dict[str, type[FeatureHead]] = {
    "logistic": LogisticHead,
    "elm": ExtremeLearningMachine,
}


def get(name: str) -> type[FeatureHead]:
    """The head class registered as `name`; an unknown name raises with the valid ones.

    Example:
        >>> from semisup import heads
        >>> heads.get("elm")
        <class 'semisup.heads._elm.ExtremeLearningMachine'>
    """
    try:
        return HEADS[name]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown head {name!r}. Registered heads: {sorted(HEADS)}.") from None


def make_head(head, random_state=None):
    """A fresh, unfitted head from a registered name or a classifier instance (cloned).

    Args:
        head: a name in `HEADS` or a scikit-learn classifier with `predict_proba`.
        random_state: set as the head's `random_state` when it has that parameter at None.

    Raises:
        ValueError: an unknown name, or a classifier without `predict_proba` (e.g.
            `SVC(probability=False)`).
        TypeError: anything else.
    """
    if isinstance(head, str):
        estimator = get(head)()
    elif isinstance(head, BaseEstimator) and not isinstance(head, type):
        if not hasattr(head, "predict_proba"):
            raise ValueError(
                f"head {type(head).__name__} has no predict_proba; use a classifier that gives "
                "class probabilities (e.g. SVC(probability=True)) or one of "
                f"{sorted(HEADS)}."
            )
        estimator = clone(head)
    else:
        raise TypeError(
            f"head must be one of {sorted(HEADS)} or a scikit-learn classifier instance with "
            f"predict_proba, got {head!r}."
        )
    if random_state is not None and "random_state" in estimator.get_params(deep=False):
        if estimator.get_params(deep=False)["random_state"] is None:
            estimator.set_params(random_state=random_state)
    return estimator


def head_name(head) -> str:
    """A registered name as it is, a classifier instance by its class name."""
    return head if isinstance(head, str) else type(head).__name__
