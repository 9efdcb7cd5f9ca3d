import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from semisup.data import CIFAR10_CLASS_NAMES, load, load_image_folder


def _expected(pixels, split, class_names):
    """Images and labels a split must decode to: ordered by class folder, then file name."""
    paths = sorted(path for path in pixels if path.startswith(f"{split}/"))
    images = np.stack([pixels[path] for path in paths])
    labels = np.array([class_names.index(path.split("/")[1]) for path in paths])
    return images, labels


def _check(dataset, pixels, class_names=("bird", "cat", "dog")):
    assert dataset.class_names == class_names
    assert (dataset.train_split, dataset.test_split) == ("train", "test")
    for split in ("train", "test"):
        images, labels = _expected(pixels, split, list(class_names))
        np.testing.assert_array_equal(dataset.splits[split].x, images)
        np.testing.assert_array_equal(dataset.splits[split].y, labels)
        assert dataset.splits[split].y.dtype == np.int64


def test_folder(image_tree):
    folder, pixels = image_tree
    dataset = load_image_folder(folder, progress=False)
    _check(dataset, pixels)
    assert dataset.name == "pets" and dataset.validation_split is None
    assert dataset.image_shape == (8, 8, 3)
    assert set(dataset.checksums) == {"train/", "test/"}


def test_zip_and_several_zips_match_the_folder(tmp_path, build):
    files, pixels = build.image_tree_files(build.SMALL_LAYOUT)
    one = build.write_zip(tmp_path / "one" / "pets.zip", files)
    dataset = load_image_folder(one, progress=False)
    _check(dataset, pixels)
    assert dataset.name == "pets" and list(dataset.checksums) == ["pets.zip"]

    several = tmp_path / "several"
    for split in ("train", "test"):
        build.write_zip(
            several / f"{split}.zip", {k: v for k, v in files.items() if k.startswith(split)}
        )
    dataset = load_image_folder(several, progress=False)
    _check(dataset, pixels)
    assert sorted(dataset.checksums) == ["test.zip", "train.zip"]
    _check(load(several, progress=False), pixels)
    _check(load(str(one), progress=False), pixels)


def test_wrapper_folder_inside_a_zip_is_not_a_split(tmp_path, build):
    files, pixels = build.image_tree_files(build.SMALL_LAYOUT)
    wrapped = build.write_zip(tmp_path / "w.zip", {f"pets/{k}": v for k, v in files.items()})
    _check(load_image_folder(wrapped, progress=False), pixels)


def test_grayscale_stays_one_channel_and_validation_split(tmp_path, build):
    layout = {"train": {"a": 2, "b": 1}, "val": {"a": 1}, "test": {"b": 2}, "extra": {"c": 1}}
    files, pixels = build.image_tree_files(layout, shape=(5, 6, 1))
    dataset = load_image_folder(build.write_files(tmp_path / "gray", files), progress=False)
    assert dataset.image_shape == (5, 6, 1)
    assert dataset.validation_split == "val"
    assert list(dataset.splits) == ["train", "val", "test", "extra"]
    assert dataset.class_names == ("a", "b", "c")  # union over splits
    np.testing.assert_array_equal(dataset.class_counts("test"), [0, 2, 0])
    np.testing.assert_array_equal(dataset.x_val, _expected(pixels, "val", ["a", "b", "c"])[0])


def test_class_names_fix_the_order(image_tree):
    folder, pixels = image_tree
    names = ("dog", "cat", "bird", "fish")
    _check(load_image_folder(folder, class_names=names, progress=False), pixels, names)
    with pytest.raises(ValueError, match=r"class folders \['dog'\] that are not in class_names"):
        load_image_folder(folder, class_names=["bird", "cat"])
    with pytest.raises(ValueError, match=r"class_names lists \['cat'\] more than once"):
        load_image_folder(folder, class_names=["bird", "cat", "cat", "dog"])


def test_cifar10_canonical_order_is_the_sorted_order():
    assert tuple(sorted(CIFAR10_CLASS_NAMES)) == CIFAR10_CLASS_NAMES
    assert CIFAR10_CLASS_NAMES[:3] == ("airplane", "automobile", "bird")
    assert CIFAR10_CLASS_NAMES[-1] == "truck" and len(CIFAR10_CLASS_NAMES) == 10


JUNK = {
    "__MACOSX/train/cat/._0000.png": b"resource fork",
    "train/.DS_Store": b"finder",
    "train/cat/Thumbs.db": b"thumbnails",
    "test/dog/.hidden.png": b"hidden",
    ".git/config": b"[core]",
}


def test_well_known_junk_is_ignored_in_folders_and_zips(tmp_path, build):
    files, pixels = build.image_tree_files(build.SMALL_LAYOUT)
    _check(
        load_image_folder(build.write_files(tmp_path / "d", {**files, **JUNK}), progress=False),
        pixels,
    )
    _check(
        load_image_folder(build.write_zip(tmp_path / "z.zip", {**files, **JUNK}), progress=False),
        pixels,
    )


def test_a_file_that_is_not_an_image_is_named(tmp_path, build):
    files, _ = build.image_tree_files(build.SMALL_LAYOUT)
    files["train/cat/notes.txt"] = b"not an image"
    with pytest.raises(ValueError, match=r"train/cat/notes.txt is not a decodable image"):
        load_image_folder(build.write_files(tmp_path / "d", files), progress=False)
    with pytest.raises(ValueError, match=r"z.zip:train/cat/notes.txt is not a decodable image"):
        load_image_folder(build.write_zip(tmp_path / "z.zip", files), progress=False)


def test_mixed_sizes_and_modes_name_two_files(tmp_path, build):
    files, _ = build.image_tree_files(build.SMALL_LAYOUT)
    sized = dict(files)
    sized["train/dog/0001.png"] = build.png_bytes(np.zeros((9, 8, 3), dtype=np.uint8))
    with pytest.raises(
        ValueError,
        match=r"train/bird/0000.png is 8x8 RGB but .*train/dog/0001.png is 8x9 RGB.*resize",
    ):
        load_image_folder(build.write_files(tmp_path / "sizes", sized), progress=False)
    moded = dict(files)
    moded["test/cat/0000.png"] = build.png_bytes(np.zeros((8, 8), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"is 8x8 RGB but .*test/cat/0000.png is 8x8 L"):
        load_image_folder(build.write_files(tmp_path / "modes", moded), progress=False)


def test_unsupported_modes_are_refused_not_converted(tmp_path, build):
    files, _ = build.image_tree_files(build.SMALL_LAYOUT)
    buffer = io.BytesIO()
    Image.new("RGBA", (8, 8)).save(buffer, format="PNG")
    files["train/cat/0001.png"] = buffer.getvalue()
    with pytest.raises(ValueError, match=r"0001.png is a 8x8 RGBA image; only .*convert"):
        load_image_folder(build.write_files(tmp_path / "d", files), progress=False)


def test_layout_errors(tmp_path, build):
    (tmp_path / "empty" / "train" / "cat").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"No image files found in .*empty"):
        load_image_folder(tmp_path / "empty")
    flat = build.write_files(tmp_path / "flat", {"cat/1.png": b"x", "dog/2.png": b"y"})
    with pytest.raises(ValueError, match=r"'cat/1.png' is not laid out .*without split folders"):
        load_image_folder(flat)
    files, _ = build.image_tree_files({"train": {"cat": 1}, "validation": {"cat": 1}})
    with pytest.raises(
        ValueError, match=r"has no 'test/' split folder \(found: train, validation\)"
    ):
        load_image_folder(build.write_files(tmp_path / "notest", files))
    stray = build.write_files(tmp_path / "stray", {**files, "README.md": b"hello"})
    with pytest.raises(ValueError, match=r"'README.md' is not laid out as <split>/<class>/<image>"):
        load_image_folder(stray)


def test_folder_mixing_zips_and_folders_is_refused(tmp_path, build):
    files, _ = build.image_tree_files(build.SMALL_LAYOUT)
    build.write_zip(tmp_path / "mixed" / "train.zip", files)
    build.write_files(tmp_path / "mixed", files)
    with pytest.raises(ValueError, match=r"holds both zip files \(train.zip\) and other entries"):
        load_image_folder(tmp_path / "mixed")


def test_same_image_in_two_zips_is_refused(tmp_path, build):
    files, _ = build.image_tree_files(build.SMALL_LAYOUT)
    build.write_zip(tmp_path / "twice" / "a.zip", files)
    build.write_zip(tmp_path / "twice" / "b.zip", files)
    with pytest.raises(ValueError, match=r"'test/bird/0000.png' is present twice: .*a.zip.*b.zip"):
        load_image_folder(tmp_path / "twice")


def test_corrupt_zip_is_named_with_advice(tmp_path, build):
    files, _ = build.image_tree_files(build.SMALL_LAYOUT)
    path = build.write_zip(tmp_path / "train.zip", files)
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(
        ValueError, match=r"train.zip could not be read as a zip .*download it again"
    ):
        load_image_folder(path)
    # damage inside a member (the central directory is intact): a CRC error on reading
    path = build.write_zip(tmp_path / "crc.zip", files)
    content = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("train/cat/0000.png")
    start = info.header_offset + 30 + len(info.filename) + 20
    content[start] ^= 0xFF
    path.write_bytes(bytes(content))
    with pytest.raises(ValueError, match=r"crc.zip:train/cat/0000.png could not be read .*again"):
        load_image_folder(path, progress=False)


def test_unknown_name_lists_valid_names_and_paths(tmp_path):
    with pytest.raises(
        ValueError,
        match=r"Unknown data set 'mnist': not one of digits, fer2013, "
        r"cifar10-jpeg, cifar100.*path to a folder or .zip",
    ):
        load("mnist")
    not_zip = tmp_path / "x.tar"
    not_zip.write_bytes(b"")
    with pytest.raises(ValueError, match="Unknown data set"):
        load(not_zip)


def test_data_dir_with_a_path_is_refused(image_tree):
    with pytest.raises(ValueError, match="data_dir is only used with a data-set name"):
        load(image_tree[0], data_dir="/somewhere")
