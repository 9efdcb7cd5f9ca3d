"""scikit-learn's 8x8 handwritten digits, upscaled to 32x32: the offline default for demos."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ._dataset import Dataset, Split

__all__ = ["load_digits"]

_SIDE = 32


def load_digits(*, progress: bool = True, cache: bool = True) -> Dataset:
    """Load scikit-learn's digits (1,797 images, 10 classes) as 32x32x1 uint8 images.

    The 8x8 values 0..16 are scaled to 0..255 (rounded to the nearest integer) and resized to
    32x32 with PIL's bilinear filter, so the images fit the same encoders as the other data
    sets. The split is `train_test_split(test_size=0.25, random_state=0, stratify=labels)`:
    1,347 train and 450 test images, in the order that call returns them. No file or network
    is needed (the data ships with scikit-learn).

    Args:
        progress: accepted so every loader takes the same keywords; unused (loading is instant).
        cache: accepted for the same reason; unused (nothing is decoded from files).

    Returns:
        The `Dataset` (name `"digits"`, class names `"0"` .. `"9"`).

    Example:
        >>> ds = load_digits()
        >>> ds.x_train.shape, ds.x_test.shape
        ((1347, 32, 32, 1), (450, 32, 32, 1))
    """
    del progress, cache  # see Args: kept for a uniform signature across loaders
    from sklearn.datasets import load_digits as sklearn_load_digits
    from sklearn.model_selection import train_test_split

    bunch = sklearn_load_digits()
    small = np.round(bunch.images * (255.0 / 16.0)).astype(np.uint8)
    images = np.stack(
        [
            np.asarray(Image.fromarray(image).resize((_SIDE, _SIDE), Image.Resampling.BILINEAR))
            for image in small
        ]
    )[..., np.newaxis]
    labels = bunch.target.astype(np.int64)
    train_index, test_index = train_test_split(
        np.arange(len(labels)), test_size=0.25, random_state=0, stratify=labels
    )
    return Dataset(
        name="digits",
        splits={
            "train": Split(x=images[train_index], y=labels[train_index]),
            "test": Split(x=images[test_index], y=labels[test_index]),
        },
        class_names=tuple(str(digit) for digit in range(10)),
        source="sklearn.datasets.load_digits",
    )
