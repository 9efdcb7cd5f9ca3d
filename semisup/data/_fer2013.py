"""FER2013 facial expressions: the original `fer2013.csv` or the Kaggle image-folder archive.

Both sources give the same Dataset: 48x48x1 uint8 images, label codes in the CSV's order
(0=angry, 1=disgust, 2=fear, 3=happy, 4=sad, 5=surprise, 6=neutral) and the splits
`Training`, `PublicTest` (the validation split) and `PrivateTest` (the test split).
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Sized
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import _cache, _images
from ._dataset import Dataset, Split

__all__ = ["load_fer2013", "FER2013_CLASS_NAMES", "FER2013_SPLITS"]

_LOADER_VERSION = "fer2013-1"

# The CSV's emotion codes. The Kaggle folders are named after the emotions and sort
# differently (neutral before sad), so folder names are mapped by name, never by sort order.
FER2013_CLASS_NAMES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
FER2013_SPLITS = ("Training", "PublicTest", "PrivateTest")
_CODES_TEXT = ", ".join(f"{code}={name}" for code, name in enumerate(FER2013_CLASS_NAMES))

_SIDE = 48
_PIXEL_COUNT = _SIDE * _SIDE
_CSV_NAME = "fer2013.csv"

EXPECTED_FILES = (
    "train.zip and test.zip (the Kaggle image-folder archive: train/<emotion>/Training_<id>.jpg, "
    "test/<emotion>/PublicTest_<id>.jpg and PrivateTest_<id>.jpg), or the same train/ and "
    "test/ folders extracted, or the original fer2013.csv"
)


def _empty_splits() -> dict[str, Split]:
    return {
        split: Split(
            x=np.empty((0, _SIDE, _SIDE, 1), dtype=np.uint8), y=np.empty(0, dtype=np.int64)
        )
        for split in FER2013_SPLITS
    }


def _check_all_splits_present(splits: dict[str, Sized], source: Path) -> None:
    empty = [split for split in FER2013_SPLITS if len(splits[split]) == 0]
    if empty:
        raise ValueError(
            f"{source}: no {' / '.join(empty)} images found. FER2013 has Training, PublicTest "
            f"and PrivateTest images; check that the source is complete ({EXPECTED_FILES})."
        )


def _parse_csv(path: Path, progress: bool) -> dict[str, Split]:
    """Read fer2013.csv, checking every row; errors name the file and the row."""
    images: dict[str, list[np.ndarray]] = {split: [] for split in FER2013_SPLITS}
    labels: dict[str, list[int]] = {split: [] for split in FER2013_SPLITS}
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path} is empty; expected the header emotion,pixels,Usage.")
        header = [column.strip() for column in header]
        missing = [column for column in ("emotion", "pixels", "Usage") if column not in header]
        if missing:
            raise ValueError(
                f"{path}: the header {header} lacks the column(s) {missing}; fer2013.csv has "
                f"the columns emotion, pixels, Usage."
            )
        emotion_column = header.index("emotion")
        pixels_column = header.index("pixels")
        usage_column = header.index("Usage")
        rows = tqdm(
            reader,
            desc=f"Reading {path.name}",
            unit="row",
            file=sys.stderr,
            disable=not progress,
            mininterval=0.5,
        )
        for row_number, row in enumerate(rows, start=1):
            where = f"{path}, data row {row_number} (line {reader.line_num})"
            if len(row) != len(header):
                raise ValueError(
                    f"{where}: {len(row)} fields, expected {len(header)} ({', '.join(header)})."
                )
            emotion_text = row[emotion_column].strip()
            is_code = emotion_text.isascii() and emotion_text.isdigit()
            if not is_code or int(emotion_text) >= len(FER2013_CLASS_NAMES):
                raise ValueError(
                    f"{where}: emotion {emotion_text!r} is not a code 0..6 ({_CODES_TEXT})."
                )
            usage = row[usage_column].strip()
            if usage not in images:
                raise ValueError(
                    f"{where}: Usage {usage!r} is not one of {', '.join(FER2013_SPLITS)}."
                )
            tokens = row[pixels_column].split()
            if len(tokens) != _PIXEL_COUNT:
                raise ValueError(
                    f"{where}: found {len(tokens)} pixel values, expected {_PIXEL_COUNT} "
                    f"({_SIDE}x{_SIDE}). The row is truncated or malformed: repair or remove it."
                )
            try:
                pixels = np.array(tokens, dtype=np.int64)
            except ValueError as error:
                raise ValueError(f"{where}: the pixels are not all integers ({error}).") from error
            if pixels.min() < 0 or pixels.max() > 255:
                raise ValueError(
                    f"{where}: pixel values must be 0..255; found {pixels.min()}..{pixels.max()}."
                )
            images[usage].append(pixels.astype(np.uint8).reshape(_SIDE, _SIDE, 1))
            labels[usage].append(int(emotion_text))
    splits = _empty_splits()
    for split in FER2013_SPLITS:
        if images[split]:
            splits[split] = Split(
                x=np.stack(images[split]), y=np.array(labels[split], dtype=np.int64)
            )
    return splits


def _split_of(image_file: _images.ImageFile) -> str:
    prefix = image_file.file_name.split("_", 1)[0]
    if prefix not in FER2013_SPLITS or "_" not in image_file.file_name:
        raise ValueError(
            f"{image_file.display}: the file name does not start with Training_, PublicTest_ or "
            f"PrivateTest_, so its FER2013 split is unknown. Rename or remove it."
        )
    return prefix


def _decode_folder(tree: _images.ImageTree, progress: bool) -> dict[str, Split]:
    code_by_name = {name: code for code, name in enumerate(FER2013_CLASS_NAMES)}
    by_split: dict[str, list[_images.ImageFile]] = {split: [] for split in FER2013_SPLITS}
    for image_file in tree.files:  # already sorted by (folder, class, file name)
        if image_file.class_name.lower() not in code_by_name:
            raise ValueError(
                f"{image_file.display}: '{image_file.class_name}' is not a FER2013 emotion "
                f"folder; expected one of {', '.join(sorted(FER2013_CLASS_NAMES))}."
            )
        by_split[_split_of(image_file)].append(image_file)
    _check_all_splits_present(by_split, tree.root)  # before spending time on decoding
    ordered = [image_file for split in FER2013_SPLITS for image_file in by_split[split]]
    images = _images.decode_images(
        ordered, description="Decoding fer2013", progress=progress, expected=(_SIDE, _SIDE, "L")
    )
    splits = {}
    start = 0
    for split in FER2013_SPLITS:
        files = by_split[split]
        labels = np.array(
            [code_by_name[image_file.class_name.lower()] for image_file in files], dtype=np.int64
        )
        splits[split] = Split(x=images[start : start + len(files)], y=labels)
        start += len(files)
    return splits


def _resolve_source(path: Path) -> tuple[str, Path]:
    """Decide whether `path` is the CSV or the image-folder layout; ('csv' | 'folder', path)."""
    if not path.exists():
        raise FileNotFoundError(f"FER2013 not found at {path}. Expected there: {EXPECTED_FILES}.")
    if path.is_file():
        if path.suffix.lower() == ".csv":
            return "csv", path
        return "folder", path  # a zip; scan_image_tree explains anything else
    csv_path = path / _CSV_NAME
    others = [
        entry
        for entry in os.listdir(path)
        if not _images.is_junk(entry)
        and (entry.lower().endswith(".zip") or (path / entry).is_dir())
    ]
    if csv_path.is_file():
        if others:
            raise ValueError(
                f"{path} holds both {_CSV_NAME} and image folders/zips "
                f"({', '.join(sorted(others))}); pass the one to read, e.g. "
                f"load_fer2013('{csv_path}'), or move one away."
            )
        return "csv", csv_path
    if not others:
        raise FileNotFoundError(
            f"FER2013 not found in {path} (it holds no {_CSV_NAME}, zips or folders). Expected "
            f"there: {EXPECTED_FILES}."
        )
    return "folder", path


def load_fer2013(path=None, *, progress: bool = True, cache: bool = True) -> Dataset:
    """Load FER2013 from `fer2013.csv` or from the Kaggle image-folder archive.

    Both give 48x48x1 uint8 images with the CSV's label codes (0=angry, 1=disgust, 2=fear,
    3=happy, 4=sad, 5=surprise, 6=neutral) and the splits Training (train), PublicTest
    (validation) and PrivateTest (test), the convention of the FER2013 literature. Images keep
    the CSV's row order, or in the image folders are ordered by emotion folder then file name.

    Args:
        path: `fer2013.csv`, a folder holding it, a folder holding `train.zip` and `test.zip`
            (or the extracted `train/` and `test/` folders), or one zip holding both folders.
            Default: `$SEMISUP_DATA_DIR/fer2013`.
        progress: show a progress bar while decoding.
        cache: read and write the decoded-array cache.

    Returns:
        The `Dataset` (name `"fer2013"`).

    Raises:
        FileNotFoundError: if the files are not there (says what is expected).
        ValueError: for a malformed CSV row (names the row), an image file whose name has no
            Training_/PublicTest_/PrivateTest_ prefix, an unknown emotion folder, or an image
            that is not 48x48 grayscale.

    Example:
        >>> ds = load_fer2013("data/fer2013")  # doctest: +SKIP
        >>> len(ds.splits["Training"]), ds.validation_split, ds.test_split  # doctest: +SKIP
        (28709, 'PublicTest', 'PrivateTest')
    """
    if path is None:
        from ._load import named_data_folder  # here, not at import: _load imports this module

        path = named_data_folder("fer2013", None)
    kind, source = _resolve_source(Path(path))
    if kind == "csv":
        checksums = {source.name: _cache.sha256_file(source)}
        tree = None
    else:
        tree = _images.scan_image_tree(source)
        checksums = tree.checksums()
    key = _cache.cache_key(f"fer2013-{kind}", _LOADER_VERSION, checksums, {})
    cached = _cache.read_splits("fer2013", key) if cache else None
    if cached is not None:
        splits, _ = cached
    else:
        splits = _parse_csv(source, progress) if kind == "csv" else _decode_folder(tree, progress)
        _check_all_splits_present(splits, source)
        if cache:
            _cache.write_splits("fer2013", key, splits, FER2013_CLASS_NAMES)
    return Dataset(
        name="fer2013",
        splits=splits,
        class_names=FER2013_CLASS_NAMES,
        source=os.fspath(source.resolve()),
        train_split="Training",
        validation_split="PublicTest",
        test_split="PrivateTest",
        checksums=checksums,
    )
