"""Fixtures for the data-layer tests: tiny files in each real format, written to tmp_path.

Every test runs with its own empty cache folder and without SEMISUP_DATA_DIR, so results never
depend on the machine. The real-data tests read the values these variables had when pytest
started (CI sets SEMISUP_DATA_DIR=../shared/data).
"""

from __future__ import annotations

import csv
import io
import os
import pickle
import tarfile
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

# Captured before any fixture clears them; resolved now because tests may change directory.
REAL_DATA_DIR = (
    Path(os.environ["SEMISUP_DATA_DIR"]).expanduser().resolve()
    if os.environ.get("SEMISUP_DATA_DIR")
    else None
)
REAL_CACHE_DIR = (
    Path(os.environ["SEMISUP_CACHE_DIR"]).expanduser().resolve()
    if os.environ.get("SEMISUP_CACHE_DIR")
    else None
)

FER_NAMES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "realdata: needs SEMISUP_DATA_DIR pointing at the real data sets"
    )


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """A private cache folder, no data folder and no Keras cache for every test."""
    monkeypatch.setenv("SEMISUP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SEMISUP_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))


# ---------------------------------------------------------------- images and image folders


def png_bytes(pixels: np.ndarray) -> bytes:
    """Lossless PNG of a H x W (grayscale) or H x W x 3 (RGB) uint8 array."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def write_files(root: Path, files: dict[str, bytes]) -> Path:
    """Write {relative path: content} under root."""
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return root


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for relative, content in files.items():
            archive.writestr(relative, content)
    return path


def image_tree_files(
    layout: dict[str, dict[str, int]], shape=(8, 8, 3), seed: int = 0
) -> tuple[dict[str, bytes], dict[str, np.ndarray]]:
    """PNG files for {split: {class: count}}, and the pixels each path must decode to."""
    generator = np.random.default_rng(seed)
    files, pixels = {}, {}
    for split, classes in layout.items():
        for class_name, count in classes.items():
            for index in range(count):
                image = generator.integers(0, 256, size=shape, dtype=np.uint8)
                if shape[-1] == 1:
                    image = image[..., 0]
                relative = f"{split}/{class_name}/{index:04d}.png"
                files[relative] = png_bytes(image)
                pixels[relative] = image.reshape(shape)
    return files, pixels


SMALL_LAYOUT = {
    "train": {"cat": 3, "dog": 2, "bird": 2},
    "test": {"cat": 1, "dog": 2, "bird": 1},
}


@pytest.fixture
def image_tree(tmp_path):
    """A small RGB image tree as a folder; returns (folder, {path: pixels})."""
    files, pixels = image_tree_files(SMALL_LAYOUT)
    return write_files(tmp_path / "pets", files), pixels


# ---------------------------------------------------------------- CIFAR-100 python release

CIFAR_FINE = ("apple", "bee", "castle", "dolphin", "elephant")
CIFAR_COARSE = ("fruit", "animals", "buildings")
CIFAR_FINE_TO_COARSE = (0, 1, 2, 1, 1)


def cifar100_members(n_train=6, n_test=4, seed=0, bytes_keys=True):
    """Pickled train/test/meta exactly like the official release; and the expected arrays."""
    generator = np.random.default_rng(seed)

    def key(name):
        return name.encode("ascii") if bytes_keys else name

    members, expected = {}, {}
    for member, count in (("train", n_train), ("test", n_test)):
        images = generator.integers(0, 256, size=(count, 32, 32, 3), dtype=np.uint8)
        fine = generator.integers(0, len(CIFAR_FINE), size=count)
        coarse = np.array([CIFAR_FINE_TO_COARSE[label] for label in fine])
        # the release stores each image as 1024 red, 1024 green, 1024 blue values, row by row
        data = images.transpose(0, 3, 1, 2).reshape(count, 3072)
        document = {
            key("filenames"): [f"image_{index}.png".encode() for index in range(count)],
            key("batch_label"): f"{member} batch 1 of 1".encode(),
            key("fine_labels"): [int(label) for label in fine],
            key("coarse_labels"): [int(label) for label in coarse],
            key("data"): data,
        }
        members[member] = pickle.dumps(document, protocol=2)
        expected[member] = (images, fine, coarse, data)
    meta = {
        key("fine_label_names"): [name.encode() for name in CIFAR_FINE],
        key("coarse_label_names"): [name.encode() for name in CIFAR_COARSE],
    }
    members["meta"] = pickle.dumps(meta, protocol=2)
    return members, expected


def write_cifar100_tar(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        folder = tarfile.TarInfo("cifar-100-python")
        folder.type = tarfile.DIRTYPE
        archive.addfile(folder)
        # the official archive also carries an editor backup file; it must be ignored
        for name, content in [("file.txt~", b"\n"), *members.items()]:
            info = tarfile.TarInfo(f"cifar-100-python/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return path


@pytest.fixture
def cifar100_tar(tmp_path):
    members, expected = cifar100_members()
    return write_cifar100_tar(tmp_path / "cifar-100-python.tar.gz", members), expected


@pytest.fixture
def cifar100_folder(tmp_path):
    members, expected = cifar100_members()
    folder = write_files(tmp_path / "extracted" / "cifar-100-python", members)
    return folder, expected


# ---------------------------------------------------------------- FER2013

FER_LAYOUT = {  # split -> {emotion code: count}
    "Training": {0: 2, 1: 1, 3: 2, 4: 1, 6: 2},
    "PublicTest": {0: 1, 5: 1, 6: 1},
    "PrivateTest": {2: 1, 4: 1, 6: 1},
}


def fer_records(seed=0):
    """(usage, emotion, file name, 48x48 pixels) in the order both loaders must return them.

    Within a split that is emotion-folder name, then file name, so the CSV (row order) and
    the image folders (folder, then file name) describe the same sequence.
    """
    generator = np.random.default_rng(seed)
    records = []
    next_id = 1000
    for usage, counts in FER_LAYOUT.items():
        split_records = []
        for emotion, count in counts.items():
            for _ in range(count):
                pixels = generator.integers(0, 256, size=(48, 48), dtype=np.uint8)
                split_records.append((usage, emotion, f"{usage}_{next_id}.png", pixels))
                next_id += 1
        split_records.sort(key=lambda record: (FER_NAMES[record[1]], record[2]))
        records += split_records
    return records


def write_fer_csv(path: Path, records, rows_override: dict[int, list[str]] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["emotion", "pixels", "Usage"])
        for index, (usage, emotion, _, pixels) in enumerate(records):
            row = [str(emotion), " ".join(str(value) for value in pixels.ravel()), usage]
            writer.writerow((rows_override or {}).get(index, row))
    return path


def fer_kaggle_files(records) -> dict[str, dict[str, bytes]]:
    """{zip name: {member: png}} in the Kaggle layout (train.zip, test.zip)."""
    archives = {"train.zip": {}, "test.zip": {}}
    for usage, emotion, file_name, pixels in records:
        folder = "train" if usage == "Training" else "test"
        archives[f"{folder}.zip"][f"{folder}/{FER_NAMES[emotion]}/{file_name}"] = png_bytes(pixels)
    return archives


@pytest.fixture
def fer_data(tmp_path):
    """FER2013 written three ways: csv, two Kaggle zips, extracted folders."""
    records = fer_records()
    csv_path = write_fer_csv(tmp_path / "csv" / "fer2013.csv", records)
    zips_folder = tmp_path / "zips" / "fer2013"
    archives = fer_kaggle_files(records)
    for zip_name, files in archives.items():
        write_zip(zips_folder / zip_name, files)
    extracted = tmp_path / "extracted"
    for files in archives.values():
        write_files(extracted, files)
    return {
        "records": records,
        "csv": csv_path,
        "zips": zips_folder,
        "extracted": extracted,
        "archives": archives,
    }


@pytest.fixture
def build():
    """The writers and constants above, for tests (a fixture works under every import mode,
    unlike importing conftest by name)."""
    return SimpleNamespace(
        png_bytes=png_bytes,
        write_files=write_files,
        write_zip=write_zip,
        image_tree_files=image_tree_files,
        SMALL_LAYOUT=SMALL_LAYOUT,
        CIFAR_FINE=CIFAR_FINE,
        CIFAR_COARSE=CIFAR_COARSE,
        cifar100_members=cifar100_members,
        write_cifar100_tar=write_cifar100_tar,
        FER_NAMES=FER_NAMES,
        fer_records=fer_records,
        write_fer_csv=write_fer_csv,
        fer_kaggle_files=fer_kaggle_files,
    )


@pytest.fixture
def real_data_dir():
    """SEMISUP_DATA_DIR as it was when pytest started, or None."""
    return REAL_DATA_DIR


@pytest.fixture(scope="session")
def real_cache_dir(tmp_path_factory):
    """SEMISUP_CACHE_DIR as it was when pytest started, else one folder for the whole session."""
    return REAL_CACHE_DIR or tmp_path_factory.mktemp("semisup-cache")
