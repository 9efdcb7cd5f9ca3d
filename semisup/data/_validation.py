"""Input checks shared by every loader and strategy: images and labels in, clear errors out.

Each check returns the array it was given (labels as int64) and never changes a value: bad input
is reported with the argument's name, what was wrong and what to do, instead of being "fixed".
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_images", "check_labels", "images_to_float"]


def check_images(x, name: str = "X") -> np.ndarray:
    """Check that `x` is a batch of images: N x H x W x C, uint8, or float within [0, 1].

    Args:
        x: the images; a numpy array (or anything `np.asarray` turns into one without a copy
            of the values changing).
        name: the argument's name, used in error messages.

    Returns:
        `x` as a numpy array, unchanged.

    Raises:
        TypeError: if the dtype is neither uint8 nor a float type.
        ValueError: if `x` is not 4-D, holds NaN or infinite values, or (float) values outside
            [0, 1].

    Example:
        >>> import numpy as np
        >>> check_images(np.zeros((2, 32, 32, 3), dtype=np.uint8)).shape
        (2, 32, 32, 3)
    """
    x = np.asarray(x)
    if x.ndim != 4:
        hint = (
            f" For grayscale images of shape N x H x W add a channel axis: {name}[..., None]."
            if x.ndim == 3
            else ""
        )
        raise ValueError(
            f"{name} must be a 4-D array of images (N x H x W x C); got shape {x.shape}.{hint}"
        )
    if x.dtype == np.uint8:
        return x
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"{name} must hold uint8 pixels (0..255) or floats in [0, 1]; got dtype {x.dtype}. "
            f"Convert it explicitly, e.g. {name}.astype('uint8') if its values are 0..255."
        )
    if x.size == 0:
        return x
    finite = np.isfinite(x)
    if not finite.all():
        bad_count = int(x.size - np.count_nonzero(finite))
        first_bad = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(
            f"{name} holds {bad_count} NaN or infinite value(s); the first is at index "
            f"{first_bad}. Remove or repair those images before passing them."
        )
    low, high = float(x.min()), float(x.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"{name} is float, so its values must lie in [0, 1]; found the range "
            f"[{low:g}, {high:g}]. Pass uint8 pixels, or divide 0..255 values by 255."
        )
    return x


def check_labels(
    y,
    n_samples: int,
    n_classes: int | None = None,
    name: str = "y",
    allow_unlabeled: bool = True,
) -> np.ndarray:
    """Check that `y` holds one integer class code per sample (-1 = unlabeled, if allowed).

    Args:
        y: the labels, 1-D. Integer dtypes are accepted; float labels only if every value is a
            whole number (they are never rounded).
        n_samples: how many samples (images) the labels belong to.
        n_classes: number of classes; when given, labels must be below it.
        name: the argument's name, used in error messages.
        allow_unlabeled: whether -1 (scikit-learn's "unlabeled" mark) is accepted.

    Returns:
        The labels as a new int64 array (or `y` itself if it already is int64).

    Raises:
        TypeError: if the labels are not numeric (strings, objects, booleans, complex).
        ValueError: if `y` is not 1-D, its length differs from `n_samples`, a float label has a
            fractional part or is not finite, or a label is out of range.

    Example:
        >>> check_labels([0, 2, -1], n_samples=3, n_classes=3)
        array([ 0,  2, -1])
    """
    y = np.asarray(y)
    if y.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must hold integer class codes; got dtype {y.dtype}. Encode labels as "
            f"integers first (for names, e.g. sklearn.preprocessing.LabelEncoder)."
        )
    if y.ndim != 1:
        hint = f" A column of labels can be flattened with {name}.ravel()." if y.ndim == 2 else ""
        raise ValueError(f"{name} must be 1-D (one label per sample); got shape {y.shape}.{hint}")
    if len(y) != n_samples:
        raise ValueError(
            f"{name} has {len(y)} labels but there are {n_samples} samples; "
            f"pass exactly one label per image."
        )
    if y.dtype.kind == "f":
        finite = np.isfinite(y)
        if not finite.all():
            index = int(np.flatnonzero(~finite)[0])
            raise ValueError(
                f"{name}[{index}] = {y[index]} is not a class code; labels must be whole numbers "
                f"(-1 for unlabeled)."
            )
        fractional = y != np.floor(y)
        if fractional.any():
            index = int(np.flatnonzero(fractional)[0])
            raise ValueError(
                f"{name}[{index}] = {y[index]} has a fractional part; labels must be whole "
                f"numbers. Labels are never rounded: fix them at the source."
            )
    minimum = -1 if allow_unlabeled else 0
    if len(y):
        below = y < minimum
        if below.any():
            index = int(np.flatnonzero(below)[0])
            allowed = "-1 (unlabeled) or a class code >= 0" if allow_unlabeled else ">= 0"
            raise ValueError(
                f"{name}[{index}] = {y[index]} is not a valid label: labels must be {allowed}."
            )
        if n_classes is not None:
            above = y >= n_classes
            if above.any():
                index = int(np.flatnonzero(above)[0])
                raise ValueError(
                    f"{name}[{index}] = {y[index]} is not a valid label: with "
                    f"n_classes={n_classes} labels must be below {n_classes}."
                )
        elif y.dtype.kind in "uf" and y.max() >= 2**63:
            index = int(np.argmax(y))
            raise ValueError(f"{name}[{index}] = {y[index]} does not fit in int64.")
    return y.astype(np.int64, copy=False)


def images_to_float(x, name: str = "X") -> np.ndarray:
    """Check an image batch (see `check_images`) and return it as float32 in [0, 1].

    uint8 pixels are divided by 255; float images are returned as float32 unchanged in value.

    Example:
        >>> import numpy as np
        >>> images_to_float(np.full((1, 2, 2, 1), 255, dtype=np.uint8)).max()
        np.float32(1.0)
    """
    x = check_images(x, name=name)
    if x.dtype == np.uint8:
        return x.astype(np.float32) / np.float32(255.0)
    return x.astype(np.float32, copy=False)
