"""Test-time augmentation: a fitted classifier's probabilities averaged over copies of each image.

A network trained with mirrored and shifted images is not exactly invariant to them; averaging
its predicted probabilities over a few such copies of each test image is a cheap, common way to
steady its predictions. This module works
with any fitted estimator that has `predict_proba` (every semisup strategy), on numpy images, so
it leaves training untouched and runs on any Keras backend.

Transforms (a sequence of names, or one string joining them with "+"; the views are every
combination of them):

- `"hflip"`: the image mirrored left-right (2 views: as is, mirrored).
- `"shift:K"`: the image moved K pixels up, down, left and right, the exposed border filled
  with the edge pixels (5 views: as is and the four shifts).

`("hflip", "shift:2")`, or `"hflip+shift:2"`, gives 2 x 5 = 10 views, like the common ten-crop
evaluation but at the network's own input size. Only use a transform the data is
invariant to: a mirrored digit is not the same digit.

    >>> import numpy as np
    >>> from semisup.evaluation.tta import tta_views
    >>> x = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1) / 3
    >>> [view[0, 0, :, 0].round(2).tolist() for view in tta_views(x, ["hflip"])]
    [[0.0, 0.33, 0.67, 1.0], [1.0, 0.67, 0.33, 0.0]]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

TRANSFORMS = ("hflip", "shift:K")


def parse_transforms(transforms) -> tuple[bool, int | None]:
    """Check a transform list and return `(mirror, shift)`: whether to add mirrored views, and
    the shift in pixels (None: no shifted views).

    Raises:
        ValueError: an unknown or repeated transform, or a shift that is not an integer >= 1.
    """
    if isinstance(transforms, str):
        transforms = transforms.split("+")
    try:
        names = list(transforms)
    except TypeError:
        raise ValueError(
            f"transforms must be a list of names from {list(TRANSFORMS)}, got {transforms!r}."
        ) from None
    if not names:
        raise ValueError(
            f"transforms is empty: name at least one of {list(TRANSFORMS)} (e.g. ['hflip']), "
            "or do not use test-time augmentation."
        )
    mirror, shift, seen = False, None, set()
    for name in names:
        if not isinstance(name, str):
            raise ValueError(f"A transform must be a name from {list(TRANSFORMS)}, got {name!r}.")
        kind, _, value = name.partition(":")
        if kind in seen:
            raise ValueError(f"Transform {kind!r} is given twice in {names}; give it once.")
        seen.add(kind)
        if name == "hflip":
            mirror = True
        elif kind == "shift":
            try:
                shift = int(value)
            except ValueError:
                shift = 0
            if shift < 1 or str(shift) != value.strip():
                raise ValueError(
                    f"Transform {name!r}: the shift must be a whole number of pixels >= 1, "
                    "e.g. 'shift:2'."
                )
        else:
            raise ValueError(f"Unknown transform {name!r}; valid: {list(TRANSFORMS)}.")
    return mirror, shift


def n_views(transforms) -> int:
    """How many copies of each image `transforms` makes (the original included)."""
    mirror, shift = parse_transforms(transforms)
    return (2 if mirror else 1) * (5 if shift else 1)


def _shifted(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """`x` (N x H x W x C) moved dy pixels down and dx right, the border repeating the edge."""
    k = max(abs(dy), abs(dx))
    padded = np.pad(x, ((0, 0), (k, k), (k, k), (0, 0)), mode="edge")
    height, width = x.shape[1:3]
    return padded[:, k - dy : k - dy + height, k - dx : k - dx + width]


def tta_views(x, transforms) -> Iterator[np.ndarray]:
    """The views of an image batch `x` (N x H x W x C), the unchanged batch first."""
    from semisup.data._validation import check_images

    mirror, shift = parse_transforms(transforms)
    x = check_images(x, name="X")
    if shift is not None and shift >= min(x.shape[1:3]):
        raise ValueError(
            f"A shift of {shift} pixels moves a {x.shape[1]}x{x.shape[2]} image out of view; "
            "use a shift smaller than its height and width (a few pixels)."
        )
    for flipped in (False, True) if mirror else (False,):
        base = x[:, :, ::-1] if flipped else x
        yield base
        if shift is not None:
            for dy, dx in ((-shift, 0), (shift, 0), (0, -shift), (0, shift)):
                yield _shifted(base, dy, dx)


def tta_predict_proba(estimator, X, transforms: Sequence[str] = ("hflip",)) -> np.ndarray:
    """`estimator.predict_proba` averaged over the test-time views of each image.

    Args:
        estimator: a fitted classifier with `predict_proba` (e.g. any semisup strategy).
        X: images, N x H x W x C, uint8 or floats in [0, 1], as the estimator takes them.
        transforms: names from `TRANSFORMS` (module docstring); default: mirror only.

    Returns:
        N x n_classes float64 probabilities (rows sum to 1), columns as in `predict_proba`.

    Example (`model` a fitted strategy; docs/evaluation.md has a runnable one):

        proba = tta_predict_proba(model, x_test, ["hflip", "shift:2"])
    """
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(
            f"{type(estimator).__name__} has no predict_proba; test-time augmentation averages "
            "predicted probabilities, so it needs a probabilistic classifier."
        )
    total, count = None, 0
    for view in tta_views(X, transforms):
        proba = np.asarray(estimator.predict_proba(np.ascontiguousarray(view)), dtype=np.float64)
        total = proba if total is None else total + proba
        count += 1
    return total / count


def tta_predict(estimator, X, transforms: Sequence[str] = ("hflip",)) -> np.ndarray:
    """The class of highest averaged probability (values from `estimator.classes_`)."""
    proba = tta_predict_proba(estimator, X, transforms)
    return np.asarray(estimator.classes_)[np.argmax(proba, axis=1)]
