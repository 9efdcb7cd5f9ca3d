"""Cache of decoded arrays, keyed by the sha256 of the files they were decoded from.

Decoding ~100,000 small JPEGs takes seconds to minutes; reading the same pixels back from an
uncompressed .npz takes a fraction of a second. The key covers the source files' content, a
loader version and the options that change the arrays, so a changed file, a changed loader or a
different option never returns stale pixels.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .._atomic import atomic_path
from ._dataset import Split

__all__ = ["CACHE_DIR_ENV", "default_cache_dir", "sha256_file", "cache_key"]

CACHE_DIR_ENV = "SEMISUP_CACHE_DIR"

_HASH_CHUNK_BYTES = 4 * 1024 * 1024


def default_cache_dir() -> Path:
    """Folder of the array cache: `$SEMISUP_CACHE_DIR`, else `~/.cache/semisup`.

    Returns:
        The folder (it may not exist yet; it is created on the first write).

    Example:
        >>> default_cache_dir()  # doctest: +SKIP
        PosixPath('/home/me/.cache/semisup')
    """
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "semisup"


def sha256_file(path) -> str:
    """sha256 of a file's content, read in chunks so large archives need little memory.

    Args:
        path: the file.

    Returns:
        The hex digest.

    Example:
        >>> sha256_file("fer2013/train.zip")  # doctest: +SKIP
        '68b4903313ba2dc431a0c3b7bc1d2d0ae90253dc8020e6524b47461f75b9e90e'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def cache_key(
    loader: str, version: str, checksums: Mapping[str, str], options: Mapping[str, object]
) -> str:
    """Key of one decoded data set: its loader, the loader's version, sources and options.

    Args:
        loader: which loader decoded the arrays (`"fer2013-folder"`, `"image-folder"`, ...).
        version: that loader's version string; bump it whenever its output changes.
        checksums: sha256 of every source file, by file name.
        options: keyword arguments that change the arrays (JSON-serialisable).

    Returns:
        A sha256 hex digest.
    """
    document = json.dumps(
        {
            "loader": loader,
            "version": version,
            "checksums": sorted(checksums.items()),
            "options": options,
        },
        sort_keys=True,
    )
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def _cache_path(name: str, key: str) -> Path:
    safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "dataset"
    return default_cache_dir() / f"{safe_name}-{key[:32]}.npz"


def read_splits(name: str, key: str) -> tuple[dict[str, Split], tuple[str, ...]] | None:
    """Return the cached splits and class names for `key`, or None if there is no usable entry.

    An unreadable entry (truncated, written by something else) is reported with a warning and
    treated as missing, so the caller decodes again and overwrites it.
    """
    path = _cache_path(name, key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            if str(archive["cache_key"]) != key:
                raise ValueError("its stored key does not match its file name")
            split_names = [str(value) for value in archive["split_names"]]
            class_names = tuple(str(value) for value in archive["class_names"])
            splits = {
                split_name: Split(x=archive[f"x_{index}"], y=archive[f"y_{index}"])
                for index, split_name in enumerate(split_names)
            }
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as error:
        warnings.warn(
            f"Ignoring the unreadable cache file {path} ({error}); decoding the data again.",
            stacklevel=3,
        )
        return None
    return splits, class_names


def write_splits(
    name: str, key: str, splits: Mapping[str, Split], class_names: tuple[str, ...]
) -> Path | None:
    """Store splits and class names under `key`, atomically (temporary file, then rename).

    A cache that cannot be written is not fatal (the data is already loaded): it is reported
    with a warning and None is returned.
    """
    path = _cache_path(name, key)
    arrays = {
        "cache_key": np.array(key),
        "split_names": np.array(list(splits), dtype=str),
        "class_names": np.array(list(class_names), dtype=str),
    }
    for index, split in enumerate(splits.values()):
        arrays[f"x_{index}"] = split.x
        arrays[f"y_{index}"] = split.y
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # a reader never sees a half-written cache file; open() keeps the usual file mode (a
        # shared cache folder stays readable to others) and "x" refuses to reuse an existing name
        with atomic_path(path) as temporary, open(temporary, "xb") as stream:
            np.savez(stream, **arrays)
    except OSError as error:
        warnings.warn(
            f"Could not write the cache file {path} ({error}); the data is loaded, but the next "
            f"load will decode it again. Set {CACHE_DIR_ENV} to a writable folder, or pass "
            f"cache=False.",
            stacklevel=3,
        )
        return None
    return path
