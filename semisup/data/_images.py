"""Finding and decoding image files laid out `<split>/<class>/<image>` in folders or zips.

Shared by `load_image_folder` and the FER2013 image-folder loader. The rules are strict on
purpose: only well-known junk (macOS and Windows metadata, hidden files) is skipped; any other
file that is not where an image belongs, or is not a decodable image, is an error that names
it, so no image is ever silently left out.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import sys
import zipfile
import zlib
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from ._cache import sha256_file

_JUNK_FILE_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
_JUNK_FOLDER_NAMES = {"__macosx"}

# How PIL modes map to channels. Other modes (palette, RGBA, 16-bit, CMYK, ...) are refused
# rather than converted, because a conversion (e.g. dropping alpha) is a choice the user makes.
_CHANNELS_BY_MODE = {"L": 1, "RGB": 3}

LAYOUT = "<split>/<class>/<image>"


def is_junk(relative_path: str) -> bool:
    """Whether a path (with `/` separators) is operating-system clutter rather than data."""
    parts = [part for part in relative_path.split("/") if part]
    if not parts:
        return True
    if any(part.lower() in _JUNK_FOLDER_NAMES or part.startswith(".") for part in parts):
        return True
    return parts[-1].lower() in _JUNK_FILE_NAMES


@dataclass(frozen=True)
class ImageFile:
    """One image file: where it is, and its path relative to the layout's root."""

    parts: tuple[str, ...]  # (split, class, file name)
    location: str  # a member name inside `archive`, or a file-system path
    archive: Path | None = None

    @property
    def split(self) -> str:
        return self.parts[0]

    @property
    def class_name(self) -> str:
        return self.parts[1]

    @property
    def file_name(self) -> str:
        return self.parts[2]

    @property
    def display(self) -> str:
        """How error messages name the file: `archive.zip:member` or the path."""
        return f"{self.archive}:{self.location}" if self.archive else self.location


class ImageTree:
    """The image files under a path, listed only when needed.

    The zips themselves are found at once (so their sha256 can key the cache); their member
    lists are read on first use of `files`, because parsing the directory of a 50,000-member
    zip costs more than reading the cached arrays it would lead to.
    """

    def __init__(self, root: Path, zip_paths: Sequence[Path]):
        self.root = root
        self.zip_paths = tuple(zip_paths)  # empty for a loose folder tree

    @functools.cached_property
    def files(self) -> tuple[ImageFile, ...]:
        """Every image file, sorted by (split, class, file name); the layout is checked here."""
        if self.zip_paths:
            files = [image_file for path in self.zip_paths for image_file in _scan_zip(path)]
        else:
            files = _scan_folder(self.root)
        if not files:
            raise ValueError(
                f"No image files found in {self.root}; expected images laid out {LAYOUT} "
                f"(e.g. train/cat/0001.png)."
            )
        files.sort(key=lambda image_file: image_file.parts)
        for previous, current in zip(files, files[1:]):
            if previous.parts == current.parts:
                raise ValueError(
                    f"'{'/'.join(current.parts)}' is present twice: {previous.display} and "
                    f"{current.display}. Remove one copy."
                )
        return tuple(files)

    def checksums(self) -> dict[str, str]:
        """sha256 by source: each zip's, or for a loose folder tree one per split folder
        (`"<split>/"`), taken over its sorted list of (relative path, file sha256)."""
        if self.zip_paths:
            return {path.name: sha256_file(path) for path in self.zip_paths}
        listings = {}
        for image_file in self.files:
            listing = listings.setdefault(f"{image_file.split}/", hashlib.sha256())
            line = f"{'/'.join(image_file.parts)}\0{sha256_file(image_file.location)}\n"
            listing.update(line.encode("utf-8"))
        return {name: listing.hexdigest() for name, listing in listings.items()}


def corrupt_zip_error(path, error: Exception, member: str | None = None) -> ValueError:
    where = f"{path}:{member}" if member else str(path)
    return ValueError(
        f"{where} could not be read as a zip archive ({error}). The file is probably truncated "
        f"or corrupt: download it again (compare its sha256 with the published one)."
    )


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise corrupt_zip_error(path, error) from error


def _layout_parts(relative_paths: Sequence[str], where: str) -> list[tuple[str, ...]]:
    """Split paths into (split, class, file), removing one shared wrapper folder if there is one.

    A zip made by compressing a folder often wraps everything in that folder's name
    (`dataset/train/cat/1.jpg`); that single common top folder is not a split, so it is dropped.
    """
    split_paths = [tuple(path.split("/")) for path in relative_paths]
    if split_paths and all(len(parts) == 4 for parts in split_paths):
        if len({parts[0] for parts in split_paths}) == 1:
            split_paths = [parts[1:] for parts in split_paths]
    for parts in split_paths:
        if len(parts) != 3:
            shown = "/".join(parts)
            if len(parts) == 2:
                advice = (
                    "it looks like <class>/<image> without split folders: put the class "
                    "folders inside train/ and test/ folders"
                )
            else:
                advice = "move it to <split>/<class>/<image> or remove it"
            raise ValueError(
                f"{where}: '{shown}' is not laid out as {LAYOUT} (e.g. train/cat/0001.png); "
                f"{advice}."
            )
    return split_paths


def _scan_zip(path: Path) -> list[ImageFile]:
    with _open_zip(path) as archive:
        members = [
            info.filename
            for info in archive.infolist()
            if not info.is_dir() and not is_junk(info.filename)
        ]
    layout = _layout_parts(members, str(path))
    return [
        ImageFile(parts=parts, location=member, archive=path)
        for parts, member in zip(layout, members)
    ]


def _scan_folder(root: Path) -> list[ImageFile]:
    relative_paths = []

    def fail(error: OSError) -> None:
        # os.walk skips unreadable folders by default; that would silently drop their images
        raise ValueError(f"Cannot read {error.filename} ({error.strerror}).") from error

    # symbolic links to folders are followed: their images belong to the data set too
    for folder, subfolders, file_names in os.walk(root, onerror=fail, followlinks=True):
        # prune junk folders (e.g. .git, __MACOSX) before walking into them; sort for determinism
        subfolders[:] = sorted(
            name
            for name in subfolders
            if name.lower() not in _JUNK_FOLDER_NAMES and not name.startswith(".")
        )
        relative_folder = Path(folder).relative_to(root).as_posix()
        for file_name in sorted(file_names):
            relative = file_name if relative_folder == "." else f"{relative_folder}/{file_name}"
            if not is_junk(relative):
                relative_paths.append(relative)
    layout = _layout_parts(relative_paths, str(root))
    return [
        ImageFile(parts=parts, location=str(root / relative))
        for parts, relative in zip(layout, relative_paths)
    ]


def scan_image_tree(path) -> ImageTree:
    """Find the image sources under `path`: a folder tree, a `.zip`, or a folder of `.zip` files.

    Args:
        path: a folder laid out `<split>/<class>/<image>`, a zip holding that layout, or a
            folder holding several such zips side by side (e.g. `train.zip`, `test.zip`).

    Returns:
        The `ImageTree` (its `files` are listed, and the layout checked, on first use).

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: for a file that is not a zip, or a folder mixing zips and other entries.
    """
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"No such file or folder: {root}")
    if root.is_file():
        if root.suffix.lower() != ".zip":
            raise ValueError(
                f"{root} is a file but not a .zip; pass a folder laid out {LAYOUT}, a .zip of "
                f"one, or a folder of such zips."
            )
        return ImageTree(root, [root])
    entries = sorted(entry for entry in os.listdir(root) if not is_junk(entry))
    zip_names = [entry for entry in entries if entry.lower().endswith(".zip")]
    if zip_names and len(zip_names) != len(entries):
        others = [entry for entry in entries if entry not in zip_names]
        raise ValueError(
            f"{root} holds both zip files ({', '.join(zip_names)}) and other entries "
            f"({', '.join(others)}); it must hold either only zips or only {LAYOUT} "
            f"folders. Move the extra entries away (an extracted copy of a zip beside the "
            f"zip would be read twice)."
        )
    return ImageTree(root, [root / name for name in zip_names])


def _describe(image: Image.Image) -> str:
    return f"{image.width}x{image.height} {image.mode}"


def decode_images(
    files: Sequence[ImageFile],
    *,
    description: str,
    progress: bool = True,
    expected: tuple[int, int, str] | None = None,
) -> np.ndarray:
    """Decode `files` with PIL into one uint8 array N x H x W x C.

    Every image must have the size and mode of the first (or `expected`, given as
    (width, height, mode)); grayscale (L) gives C = 1, RGB gives C = 3.

    Args:
        files: the images, in the order wanted.
        description: label of the progress bar.
        progress: show a tqdm progress bar on stderr.
        expected: required (width, height, mode), if the format fixes them.

    Returns:
        The images.

    Raises:
        ValueError: naming the file, for an undecodable file, an unsupported mode, or a size or
            mode that differs from the others.
    """
    images: np.ndarray | None = None
    first_file: ImageFile | None = None
    first_description = ""
    with ExitStack() as stack:
        archives: dict[Path, zipfile.ZipFile] = {}
        for index, image_file in enumerate(
            tqdm(
                files,
                desc=description,
                unit="image",
                file=sys.stderr,
                disable=not progress,
                mininterval=0.5,
            )
        ):
            try:
                if image_file.archive is not None:
                    archive = archives.get(image_file.archive)
                    if archive is None:
                        archive = stack.enter_context(_open_zip(image_file.archive))
                        archives[image_file.archive] = archive
                    data = archive.read(image_file.location)
                else:
                    with open(image_file.location, "rb") as stream:
                        data = stream.read()
            except (zipfile.BadZipFile, zlib.error, EOFError) as error:
                raise corrupt_zip_error(image_file.archive, error, image_file.location) from error
            try:
                with Image.open(io.BytesIO(data)) as image:
                    image.load()
                    pixels = np.asarray(image)
                    mode, size_text = image.mode, _describe(image)
                    width, height = image.size
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
                raise ValueError(
                    f"{image_file.display} is not a decodable image ({error}). Every file "
                    f"under {LAYOUT} must be an image: remove or replace this one."
                ) from error
            if mode not in _CHANNELS_BY_MODE:
                raise ValueError(
                    f"{image_file.display} is a {size_text} image; only 8-bit grayscale (L) and "
                    f"RGB images are read. Convert the images first, e.g. with PIL: "
                    f"Image.open(path).convert('RGB') (or 'L'), and save them again."
                )
            if expected is not None and (width, height, mode) != expected:
                raise ValueError(
                    f"{image_file.display} is a {size_text} image, but this format's images "
                    f"are {expected[0]}x{expected[1]} {expected[2]}. Resize/convert it first "
                    f"(PIL: Image.open(path).convert('{expected[2]}')"
                    f".resize(({expected[0]}, {expected[1]}))), or remove it."
                )
            if images is None:
                channels = _CHANNELS_BY_MODE[mode]
                images = np.empty((len(files), height, width, channels), dtype=np.uint8)
                first_file, first_description = image_file, size_text
            elif (
                pixels.shape[:2] != images.shape[1:3]
                or _CHANNELS_BY_MODE[mode] != (images.shape[3])
            ):
                raise ValueError(
                    f"Images differ in size or mode: {first_file.display} is "
                    f"{first_description} but {image_file.display} is {size_text}. All images "
                    f"of a data set must share one size and mode; resize/convert them first "
                    f"(PIL: Image.open(path).convert('RGB').resize((32, 32)), with your size "
                    f"and mode)."
                )
            images[index] = pixels.reshape(images.shape[1:])
    if images is None:
        raise ValueError("No images to decode.")
    return images
