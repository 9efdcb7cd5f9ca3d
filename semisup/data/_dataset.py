"""The one shape every data source is loaded into."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, eq=False)
class Split:
    """Images and labels of one named split.

    `x` is uint8 (or float32 in [0, 1]) with shape N x H x W x C; `y` is int64 with shape N.
    """

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A labelled image data set: named splits, class names, where it came from.

    Every loader in `semisup.data` returns this shape. The roles `train`, `test` and (optionally)
    `validation` point at named splits; FER2013, for instance, has the splits `Training`,
    `PublicTest` and `PrivateTest`, with PublicTest as validation and PrivateTest as test
    (the convention of the FER2013 literature this project follows).

    Args:
        name: short name of the data set (`"fer2013"`, `"cifar100"`, ...).
        splits: every split the source has, by name.
        class_names: class name for each label code, in label order.
        source: where the data was read from (a path, or a package for embedded data).
        train_split, test_split, validation_split: names of the splits playing each role.
        checksums: sha256 of each source file, by file name.

    Example:
        >>> from semisup.data import load
        >>> ds = load("digits")
        >>> ds.x_train.shape[1:], ds.n_classes
        ((32, 32, 1), 10)
    """

    name: str
    splits: Mapping[str, Split]
    class_names: tuple[str, ...]
    source: str
    train_split: str = "train"
    test_split: str = "test"
    validation_split: str | None = None
    checksums: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for role in ("train_split", "test_split", "validation_split"):
            split_name = getattr(self, role)
            if split_name is not None and split_name not in self.splits:
                raise ValueError(
                    f"Dataset {self.name!r}: {role}={split_name!r} is not one of its splits "
                    f"{sorted(self.splits)}."
                )

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(self.splits[self.train_split].x.shape[1:])

    @property
    def x_train(self) -> np.ndarray:
        return self.splits[self.train_split].x

    @property
    def y_train(self) -> np.ndarray:
        return self.splits[self.train_split].y

    @property
    def x_test(self) -> np.ndarray:
        return self.splits[self.test_split].x

    @property
    def y_test(self) -> np.ndarray:
        return self.splits[self.test_split].y

    @property
    def x_val(self) -> np.ndarray | None:
        return None if self.validation_split is None else self.splits[self.validation_split].x

    @property
    def y_val(self) -> np.ndarray | None:
        return None if self.validation_split is None else self.splits[self.validation_split].y

    def class_counts(self, split: str) -> np.ndarray:
        """Number of images of each class in `split` (length `n_classes`)."""
        return np.bincount(self.splits[split].y, minlength=self.n_classes)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self.splits.items())
        return (
            f"Dataset(name={self.name!r}, {sizes}, image_shape={self.image_shape}, "
            f"n_classes={self.n_classes}, source={self.source!r})"
        )
