"""`load(name_or_path)`: one entry point for every data set, and where named data sets live."""

from __future__ import annotations

import os
from pathlib import Path

from . import _cifar100, _fer2013, _images
from ._dataset import Dataset
from ._digits import load_digits
from ._fer2013 import load_fer2013
from ._image_folder import CIFAR10_CLASS_NAMES, load_image_folder

__all__ = ["load", "DATASETS", "DATA_DIR_ENV"]

DATA_DIR_ENV = "SEMISUP_DATA_DIR"

DATASETS = ("digits", "fer2013", "cifar10-jpeg", "cifar100")

_EXPECTED_FILES = {
    "fer2013": _fer2013.EXPECTED_FILES,
    "cifar10-jpeg": (
        "train.zip and test.zip (train/<class>/<image>.jpg, test/<class>/<image>.jpg; classes "
        "airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck), or the same "
        "train/ and test/ folders extracted"
    ),
    "cifar100": _cifar100.EXPECTED_FILES,
}


def _has_data(name: str, folder: Path) -> bool:
    """Whether `folder` holds something the loader of `name` can read (details checked there)."""
    if name == "cifar100":
        return _cifar100.probe_cifar100(folder) is not None
    if not folder.is_dir():
        return False
    suffixes = (".zip", ".csv") if name == "fer2013" else (".zip",)
    return any(
        not _images.is_junk(entry)
        and (entry.lower().endswith(suffixes) or (folder / entry).is_dir())
        for entry in os.listdir(folder)
    )


def named_data_folder(name: str, data_dir) -> Path:
    """Where the named data set's files are: `<data_dir>/<name>/` (data_dir, else the env var).

    For `cifar100`, Keras's download cache is searched after the data folder.

    Raises:
        FileNotFoundError: naming every path tried, the environment variable, and the files
            expected there.
    """
    if data_dir is not None:
        base, origin = Path(data_dir).expanduser(), "the data_dir argument"
    elif os.environ.get(DATA_DIR_ENV):
        base, origin = Path(os.environ[DATA_DIR_ENV]).expanduser(), f"${DATA_DIR_ENV}"
    else:
        base, origin = None, None
    tried: list[str] = []
    candidates: list[Path] = []
    if base is not None:
        candidates.append(base / name)
        tried.append(f"{base / name} (from {origin})")
    if name == "cifar100":
        keras_candidates = _cifar100.keras_cifar100_candidates()
        candidates += keras_candidates
        tried += [f"{path} (Keras's download cache)" for path in keras_candidates]
    for candidate in candidates:
        if _has_data(name, candidate):
            return candidate
    where = "; ".join(tried) if tried else "nothing (no data folder was given)"
    message = (
        f"Data set '{name}' not found. Tried: {where}. Expected in <data folder>/{name}/: "
        f"{_EXPECTED_FILES[name]}. Pass data_dir=<data folder> or set the environment variable "
        f"{DATA_DIR_ENV} to the folder that holds {name}/."
    )
    if name == "cifar100":
        message += " " + _cifar100.DOWNLOAD_HINT
    raise FileNotFoundError(message)


def load(name_or_path, data_dir=None, **kwargs) -> Dataset:
    """Load a data set by name, or an image folder / zip by path.

    Names: `"digits"` (embedded, no files needed), `"fer2013"`, `"cifar10-jpeg"` (a JPEG copy of
    CIFAR-10) and `"cifar100"`. Each named set is read from `<data_dir>/<name>/`, where
    `data_dir` is the argument or else the environment variable `SEMISUP_DATA_DIR`; CIFAR-100
    is also found in Keras's download cache. Anything else that is an existing folder or `.zip`
    is loaded with `load_image_folder`. Decoded arrays are cached under `$SEMISUP_CACHE_DIR`
    (default `~/.cache/semisup`), keyed by the sha256 of the source files, so a second load
    takes well under two seconds.

    Args:
        name_or_path: one of `DATASETS`, or a path to an image folder or zip.
        data_dir: folder holding `<name>/` folders (only used with a name).
        **kwargs: passed to the loader: `progress` and `cache` for every loader, `label_mode`
            for `cifar100`, `name` and `class_names` for image folders.

    Returns:
        The `Dataset`.

    Raises:
        ValueError: for a name that is neither known nor an existing folder or zip.
        FileNotFoundError: if a named data set's files are not found (says where it looked).

    Example:
        >>> ds = load("digits")
        >>> ds.n_classes
        10
        >>> ds = load("fer2013", data_dir="../shared/data")  # doctest: +SKIP
    """
    if isinstance(name_or_path, str) and name_or_path in DATASETS:
        name = name_or_path
        if name == "digits":
            return load_digits(**kwargs)
        folder = named_data_folder(name, data_dir)
        if name == "fer2013":
            return load_fer2013(folder, **kwargs)
        if name == "cifar100":
            return _cifar100.load_cifar100(folder, **kwargs)
        return load_image_folder(
            folder, name="cifar10-jpeg", class_names=CIFAR10_CLASS_NAMES, **kwargs
        )
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            f"name_or_path must be a data-set name or a path; got {type(name_or_path).__name__}."
        )
    path = Path(name_or_path)
    if path.is_dir() or (path.is_file() and path.suffix.lower() == ".zip"):
        if data_dir is not None:
            raise ValueError(
                f"data_dir is only used with a data-set name; {name_or_path!r} is a path. "
                f"Leave data_dir out."
            )
        return load_image_folder(path, **kwargs)
    raise ValueError(
        f"Unknown data set {os.fspath(name_or_path)!r}: not one of {', '.join(DATASETS)}, and "
        f"not an existing image folder or .zip path. A path to a folder or .zip of images laid "
        f"out <split>/<class>/<image> is also accepted."
    )
