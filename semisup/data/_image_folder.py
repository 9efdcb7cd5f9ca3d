"""Loader for any image data set laid out `<split>/<class>/<image>` in a folder or zip(s)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import _cache, _images
from ._dataset import Dataset, Split

__all__ = ["load_image_folder", "CIFAR10_CLASS_NAMES"]

_LOADER_VERSION = "image-folder-2"

# CIFAR-10's label order (batches.meta of the official release); it happens to be alphabetical,
# which the tests check, so a sorted folder listing gives the same codes.
CIFAR10_CLASS_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

_ROLE_FOLDER_NAMES = {
    "train_split": ("train",),
    "test_split": ("test",),
    "validation_split": ("val", "valid", "validation"),
}


def _roles(split_names: Sequence[str], root: Path) -> dict[str, str | None]:
    """Which split folder plays train, test and validation (matched case-insensitively)."""
    roles: dict[str, str | None] = {}
    for role, accepted in _ROLE_FOLDER_NAMES.items():
        matches = [name for name in split_names if name.lower() in accepted]
        if len(matches) > 1:
            raise ValueError(
                f"{root}: split folders {matches} would all be the {role.split('_')[0]} split; "
                f"keep only one of them."
            )
        roles[role] = matches[0] if matches else None
    for role in ("train_split", "test_split"):
        if roles[role] is None:
            folder = _ROLE_FOLDER_NAMES[role][0]
            raise ValueError(
                f"{root} has no '{folder}/' split folder (found: {', '.join(split_names)}). "
                f"Lay the images out as train/<class>/<image> and test/<class>/<image>, "
                f"optionally with val/<class>/<image>."
            )
    return roles


def _check_class_names(class_names: Sequence[str] | None) -> tuple[str, ...] | None:
    if class_names is None:
        return None
    if isinstance(class_names, str):
        raise TypeError("class_names must be a sequence of names, not one string.")
    class_names = tuple(str(name) for name in class_names)
    duplicates = sorted({name for name in class_names if class_names.count(name) > 1})
    if duplicates:
        raise ValueError(f"class_names lists {duplicates} more than once; each name once.")
    return class_names


def _resolve_class_names(
    found: Sequence[str], class_names: tuple[str, ...] | None, root: Path
) -> tuple[str, ...]:
    if class_names is None:
        return tuple(sorted(found))
    unknown = sorted(set(found) - set(class_names))
    if unknown:
        raise ValueError(
            f"{root} has class folders {unknown} that are not in class_names {list(class_names)}; "
            f"add them to class_names (their images would otherwise be left out) or remove them."
        )
    return class_names


def _decode_tree(
    tree: _images.ImageTree,
    split_order: Sequence[str],
    class_names: tuple[str, ...],
    description: str,
    progress: bool,
) -> dict[str, Split]:
    code_by_name = {name: code for code, name in enumerate(class_names)}
    ordered = [
        image_file
        for split in split_order
        for image_file in tree.files
        if image_file.split == split
    ]
    images = _images.decode_images(ordered, description=description, progress=progress)
    labels = np.array(
        [code_by_name[image_file.class_name] for image_file in ordered], dtype=np.int64
    )
    splits = {}
    start = 0
    for split in split_order:
        count = sum(1 for image_file in ordered if image_file.split == split)
        splits[split] = Split(x=images[start : start + count], y=labels[start : start + count])
        start += count
    return splits


def load_image_folder(
    path,
    name: str | None = None,
    class_names: Sequence[str] | None = None,
    *,
    progress: bool = True,
    cache: bool = True,
) -> Dataset:
    """Load images laid out `<split>/<class>/<image>` from a folder, a zip, or a folder of zips.

    Split folders `train` and `test` are required (`val`, `valid` or `validation` becomes the
    validation split; any other split folder is kept as an extra split). A class folder may be
    missing from a split; the class list is the union. Images are ordered by class folder, then
    file name, in each split. Grayscale images give H x W x 1, RGB images H x W x 3; all images
    must share one size and mode. Decoded arrays are cached (see `load`).

    Args:
        path: a folder, a `.zip`, or a folder holding several zips (e.g. `train.zip`,
            `test.zip`).
        name: the data set's name; defaults to the folder's or zip's name.
        class_names: class names in label order; default: the sorted class-folder names.
        progress: show a progress bar while decoding.
        cache: read and write the decoded-array cache.

    Returns:
        A `Dataset` whose `checksums` hold each zip's sha256 (for a loose folder: a sha256 over
        each split folder's sorted list of file paths and file sha256s, under `"<split>/"`).

    Raises:
        ValueError: for a corrupt zip, a file that is not an image or lies outside the layout,
            mixed sizes or modes, no `train`/`test` split, or class folders missing from
            `class_names`.

    Example:
        >>> ds = load_image_folder("data/cifar10-jpeg")  # doctest: +SKIP
        >>> ds.x_train.shape  # doctest: +SKIP
        (50000, 32, 32, 3)
    """
    root = Path(path)
    class_names = _check_class_names(class_names)
    if name is None:
        name = root.stem if root.is_file() else root.resolve().name
    tree = _images.scan_image_tree(root)
    # The key needs only the sources' sha256 and the arguments: everything else (split and
    # class folders, file order) follows from the content, so a warm load never lists a zip.
    checksums = tree.checksums()
    key = _cache.cache_key(
        "image-folder",
        _LOADER_VERSION,
        checksums,
        {"class_names": None if class_names is None else list(class_names)},
    )
    cached = _cache.read_splits(name, key) if cache else None
    if cached is not None:
        splits, resolved_class_names = cached
        roles = _roles(list(splits), root)
    else:
        split_names = sorted({image_file.split for image_file in tree.files})
        roles = _roles(split_names, root)
        found_classes = sorted({image_file.class_name for image_file in tree.files})
        resolved_class_names = _resolve_class_names(found_classes, class_names, root)
        role_order = [roles["train_split"], roles["validation_split"], roles["test_split"]]
        split_order = [split for split in role_order if split is not None]
        split_order += [split for split in split_names if split not in split_order]
        splits = _decode_tree(tree, split_order, resolved_class_names, f"Decoding {name}", progress)
        if cache:
            _cache.write_splits(name, key, splits, resolved_class_names)
    return Dataset(
        name=name,
        splits=splits,
        class_names=resolved_class_names,
        source=os.fspath(root.resolve()),
        checksums=checksums,
        **roles,
    )
