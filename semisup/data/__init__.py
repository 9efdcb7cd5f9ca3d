"""Data layer of semisup: loaders, label reduction, input validation.

Every loader returns a `Dataset` (named splits of uint8 N x H x W x C images and int64 labels).
This package needs only numpy, Pillow, tqdm and scikit-learn; it never imports Keras.

Example:
    >>> from semisup.data import load, seed_split
    >>> ds = load("digits")
    >>> split = seed_split(len(ds.y_train))
    >>> y_reduced = split.apply(ds.y_train)  # -1 marks the hidden labels
"""

from ._cache import CACHE_DIR_ENV, default_cache_dir
from ._cifar100 import load_cifar100
from ._dataset import Dataset, Split
from ._digits import load_digits
from ._fer2013 import FER2013_CLASS_NAMES, FER2013_SPLITS, load_fer2013
from ._image_folder import CIFAR10_CLASS_NAMES, load_image_folder
from ._load import DATA_DIR_ENV, DATASETS, load
from ._splits import LabelSplit, per_class_split, reduce_labels, seed_split
from ._validation import check_images, check_labels, images_to_float

__all__ = [
    "CACHE_DIR_ENV",
    "CIFAR10_CLASS_NAMES",
    "DATA_DIR_ENV",
    "DATASETS",
    "Dataset",
    "FER2013_CLASS_NAMES",
    "FER2013_SPLITS",
    "LabelSplit",
    "Split",
    "check_images",
    "check_labels",
    "default_cache_dir",
    "images_to_float",
    "load",
    "load_cifar100",
    "load_digits",
    "load_fer2013",
    "load_image_folder",
    "per_class_split",
    "reduce_labels",
    "seed_split",
]
