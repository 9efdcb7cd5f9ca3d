"""CIFAR-100 from its official python distribution (`cifar-100-python.tar.gz`).

The release holds three pickled dicts, `train`, `test` and `meta`, written by Python 2: keys are
bytes (b"data", b"fine_labels", ...), `data` is N x 3072 uint8 in channel-major order (1024 red,
then 1024 green, then 1024 blue values, each row by row). Pickle is that format, so these files
(and only these) are unpickled; like any pickle they can run code, so only open copies from the
official release (https://www.cs.toronto.edu/~kriz/cifar.html) or Keras's download.
"""

from __future__ import annotations

import os
import pickle
import sys
import tarfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

from . import _cache
from ._dataset import Dataset, Split

__all__ = ["load_cifar100", "keras_cifar100_candidates"]

_LOADER_VERSION = "cifar100-1"
_ARCHIVE_NAME = "cifar-100-python.tar.gz"
_FOLDER_NAME = "cifar-100-python"
_MEMBERS = ("train", "test", "meta")
_SIDE = 32
_LABEL_MODES = ("fine", "coarse")

EXPECTED_FILES = (
    f"{_ARCHIVE_NAME} (the official release), or its extracted {_FOLDER_NAME}/ folder with the "
    f"files train, test and meta"
)
DOWNLOAD_HINT = (
    "Where internet is available, keras.datasets.cifar100.load_data() downloads it to "
    "~/.keras/datasets (found there automatically), or download "
    "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz."
)


def keras_cifar100_candidates() -> list[Path]:
    """Where `keras.datasets.cifar100.load_data()` leaves CIFAR-100, newest Keras first.

    Keras 3 extracts to `datasets/cifar-100-python-target/cifar-100-python` (archive beside it
    as `cifar-100-python-target_archive`); older Keras used `datasets/cifar-100-python` and
    `datasets/cifar-100-python.tar.gz`. The base folder is `$KERAS_HOME` or `~/.keras`.
    """
    base = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets"
    return [
        base / "cifar-100-python-target" / _FOLDER_NAME,
        base / "cifar-100-python-target_archive",
        base / _FOLDER_NAME,
        base / _ARCHIVE_NAME,
    ]


def probe_cifar100(path: Path) -> tuple[str, Path] | None:
    """('archive', file) or ('folder', folder holding train/test/meta) found at `path`, or None."""
    if path.is_file():
        return ("archive", path) if tarfile.is_tarfile(path) else None
    if not path.is_dir():
        return None
    for folder in (path, path / _FOLDER_NAME):
        if all((folder / member).is_file() for member in _MEMBERS):
            return "folder", folder
    if (path / _ARCHIVE_NAME).is_file():
        return "archive", path / _ARCHIVE_NAME
    return None


def _read_members(kind: str, source: Path, progress: bool) -> dict[str, bytes]:
    """The bytes of train, test and meta, read straight from the archive (nothing extracted)."""
    contents: dict[str, bytes] = {}
    bar = tqdm(
        total=len(_MEMBERS),
        desc=f"Reading {source.name}",
        unit="file",
        file=sys.stderr,
        disable=not progress,
    )
    with bar:
        if kind == "folder":
            for member in _MEMBERS:
                contents[member] = (source / member).read_bytes()
                bar.update()
            return contents
        try:
            with tarfile.open(source, "r:*") as archive:
                for info in archive:
                    parts = info.name.strip("/").split("/")
                    wanted = parts[-1] in _MEMBERS and parts[:-1] in ([], [_FOLDER_NAME])
                    if not (info.isfile() and wanted):
                        continue
                    if parts[-1] in contents:
                        raise ValueError(f"{source} holds '{parts[-1]}' twice.")
                    contents[parts[-1]] = archive.extractfile(info).read()
                    bar.update()
        except (tarfile.TarError, EOFError, OSError) as error:
            raise ValueError(
                f"{source} could not be read as a tar archive ({error}); it is probably "
                f"truncated or corrupt: download it again."
            ) from error
    missing = [member for member in _MEMBERS if member not in contents]
    if missing:
        raise ValueError(
            f"{source} lacks {', '.join(f'{_FOLDER_NAME}/{m}' for m in missing)}; it is not the "
            f"CIFAR-100 python release ({EXPECTED_FILES})."
        )
    return contents


def _field(document: dict, key: str, where: str):
    # Python 2 pickles read with encoding="bytes" have bytes keys; re-pickled copies have str.
    for candidate in (key.encode("ascii"), key):
        if candidate in document:
            return document[candidate]
    found = sorted(
        k.decode("ascii", "replace") if isinstance(k, bytes) else str(k) for k in document
    )
    raise ValueError(f"{where} has no '{key}' entry (found: {', '.join(found)}).")


def _unpickle(content: bytes, where: str) -> dict:
    try:
        document = pickle.loads(content, encoding="bytes")
    except Exception as error:  # a damaged pickle can raise almost anything
        raise ValueError(
            f"{where} could not be unpickled ({type(error).__name__}: {error}); it is not an "
            f"intact file of the CIFAR-100 python release."
        ) from error
    if not isinstance(document, dict):
        raise ValueError(f"{where} holds a {type(document).__name__}, not the expected dict.")
    return document


def _names(values, where: str) -> tuple[str, ...]:
    return tuple(
        value.decode("utf-8") if isinstance(value, bytes) else str(value) for value in values
    )


def _split(document: dict, label_key: str, n_classes: int, where: str) -> Split:
    data = np.asarray(_field(document, "data", where))
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * _SIDE * _SIDE:
        raise ValueError(
            f"{where}: 'data' is {data.dtype} with shape {data.shape}; expected uint8 "
            f"N x {3 * _SIDE * _SIDE}."
        )
    labels = np.asarray(_field(document, label_key, where))
    if labels.shape != (len(data),) or labels.dtype.kind not in "iu":
        raise ValueError(
            f"{where}: '{label_key}' has shape {labels.shape} ({labels.dtype}); expected "
            f"{len(data)} integer labels, one per image."
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"{where}: '{label_key}' holds {labels.min()}..{labels.max()}, outside the "
            f"0..{n_classes - 1} of the {n_classes} class names in meta."
        )
    # channel-major rows -> N x 3 x 32 x 32 -> N x 32 x 32 x 3 (channels last, as Keras gives)
    images = np.ascontiguousarray(data.reshape(-1, 3, _SIDE, _SIDE).transpose(0, 2, 3, 1))
    return Split(x=images, y=labels.astype(np.int64))


def _decode(kind: str, source: Path, label_mode: str, progress: bool):
    contents = _read_members(kind, source, progress)
    where = {
        member: f"{source}:{member}" if kind == "archive" else str(source / member)
        for member in _MEMBERS
    }
    meta = _unpickle(contents["meta"], where["meta"])
    class_names = _names(_field(meta, f"{label_mode}_label_names", where["meta"]), where["meta"])
    splits = {
        member: _split(
            _unpickle(contents[member], where[member]),
            f"{label_mode}_labels",
            len(class_names),
            where[member],
        )
        for member in ("train", "test")
    }
    return splits, class_names


def load_cifar100(
    path=None, label_mode: str = "fine", *, progress: bool = True, cache: bool = True
) -> Dataset:
    """Load CIFAR-100 (32x32x3 uint8, 50,000 train / 10,000 test) from the python release.

    Args:
        path: `cifar-100-python.tar.gz`, its extracted `cifar-100-python/` folder, or a folder
            holding either. Default: `$SEMISUP_DATA_DIR/cifar100` if that variable is set, then
            Keras's download cache (`~/.keras/datasets`).
        label_mode: `"fine"` (100 classes) or `"coarse"` (20 superclasses).
        progress: show a progress bar while reading.
        cache: read and write the decoded-array cache.

    Returns:
        The `Dataset` (name `"cifar100"`, splits `train` and `test`, class names from `meta`).

    Raises:
        ValueError: for an unknown `label_mode`, or files that are not the CIFAR-100 release.
        FileNotFoundError: if no copy is found (names every path tried).

    Example:
        >>> ds = load_cifar100(label_mode="coarse")  # doctest: +SKIP
        >>> ds.x_train.shape, ds.n_classes  # doctest: +SKIP
        ((50000, 32, 32, 3), 20)
    """
    if label_mode not in _LABEL_MODES:
        raise ValueError(f"label_mode must be 'fine' or 'coarse'; got {label_mode!r}.")
    if path is None:
        from ._load import named_data_folder  # here, not at import: _load imports this module

        path = named_data_folder("cifar100", None)
    path = Path(path)
    found = probe_cifar100(path)
    if found is None:
        raise FileNotFoundError(
            f"CIFAR-100 not found at {path}. Expected there: {EXPECTED_FILES}. {DOWNLOAD_HINT}"
        )
    kind, source = found
    if kind == "archive":
        checksums = {source.name: _cache.sha256_file(source)}
    else:
        checksums = {
            f"{source.name}/{member}": _cache.sha256_file(source / member) for member in _MEMBERS
        }
    key = _cache.cache_key("cifar100", _LOADER_VERSION, checksums, {"label_mode": label_mode})
    cached = _cache.read_splits("cifar100", key) if cache else None
    if cached is not None:
        splits, class_names = cached
    else:
        splits, class_names = _decode(kind, source, label_mode, progress)
        if cache:
            _cache.write_splits("cifar100", key, splits, class_names)
    return Dataset(
        name="cifar100",
        splits=splits,
        class_names=class_names,
        source=os.fspath(source.resolve()),
        checksums=checksums,
    )
