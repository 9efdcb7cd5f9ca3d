import os

import numpy as np
import pytest

from semisup.data import (
    _cifar100,
    _fer2013,
    _images,
    load_cifar100,
    load_fer2013,
    load_image_folder,
)


def _fail(*args, **kwargs):
    raise AssertionError("decoded again although a cache entry exists")


def _assert_same(first, second):
    assert list(first.splits) == list(second.splits)
    assert first.class_names == second.class_names
    assert first.checksums == second.checksums
    for name in first.splits:
        np.testing.assert_array_equal(first.splits[name].x, second.splits[name].x)
        np.testing.assert_array_equal(first.splits[name].y, second.splits[name].y)
        assert second.splits[name].x.dtype == np.uint8 and second.splits[name].y.dtype == np.int64


def _cache_files(tmp_path):
    folder = tmp_path / "cache"
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_image_folder_second_load_hits_the_cache(image_tree, tmp_path, monkeypatch):
    first = load_image_folder(image_tree[0], progress=False)
    files = _cache_files(tmp_path)
    assert len(files) == 1 and files[0].startswith("pets-") and files[0].endswith(".npz")
    monkeypatch.setattr(_images, "decode_images", _fail)
    _assert_same(first, load_image_folder(image_tree[0], progress=False))
    assert _cache_files(tmp_path) == files  # no temporary files left behind


def test_fer2013_folder_and_csv_hit_the_cache(fer_data, monkeypatch):
    first_folder = load_fer2013(fer_data["zips"], progress=False)
    first_csv = load_fer2013(fer_data["csv"], progress=False)
    monkeypatch.setattr(_images, "decode_images", _fail)
    monkeypatch.setattr(_fer2013, "_parse_csv", _fail)
    _assert_same(first_folder, load_fer2013(fer_data["zips"], progress=False))
    _assert_same(first_csv, load_fer2013(fer_data["csv"], progress=False))


def test_cifar100_hits_the_cache_per_label_mode(cifar100_tar, monkeypatch):
    fine = load_cifar100(cifar100_tar[0], progress=False)
    coarse = load_cifar100(cifar100_tar[0], label_mode="coarse", progress=False)
    monkeypatch.setattr(_cifar100, "_decode", _fail)
    _assert_same(fine, load_cifar100(cifar100_tar[0], progress=False))
    _assert_same(coarse, load_cifar100(cifar100_tar[0], label_mode="coarse", progress=False))


def test_cache_false_neither_reads_nor_writes(image_tree, tmp_path):
    load_image_folder(image_tree[0], progress=False, cache=False)
    assert _cache_files(tmp_path) == []


def test_changed_source_is_decoded_again(tmp_path, build, monkeypatch):
    files, _ = build.image_tree_files(build.SMALL_LAYOUT)
    path = build.write_zip(tmp_path / "pets.zip", files)
    load_image_folder(path, progress=False)
    files["train/cat/0000.png"] = build.png_bytes(np.full((8, 8, 3), 7, dtype=np.uint8))
    build.write_zip(path, files)
    calls = []
    original = _images.decode_images
    monkeypatch.setattr(
        _images, "decode_images", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    dataset = load_image_folder(path, progress=False)
    assert calls == [1]
    assert (dataset.x_train == 7).all(axis=(1, 2, 3)).sum() == 1


def test_unreadable_cache_entry_warns_and_is_rebuilt(image_tree, tmp_path):
    first = load_image_folder(image_tree[0], progress=False)
    (entry,) = _cache_files(tmp_path)
    (tmp_path / "cache" / entry).write_bytes(b"truncated")
    with pytest.warns(UserWarning, match=r"Ignoring the unreadable cache file .*decoding the data"):
        second = load_image_folder(image_tree[0], progress=False)
    _assert_same(first, second)
    _assert_same(first, load_image_folder(image_tree[0], progress=False))  # rewritten


def test_unwritable_cache_warns_but_loads(image_tree, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("SEMISUP_CACHE_DIR", str(blocker))
    with pytest.warns(UserWarning, match=r"Could not write the cache file .*SEMISUP_CACHE_DIR"):
        dataset = load_image_folder(image_tree[0], progress=False)
    assert len(dataset.x_train) == 7


def test_progress_bar_goes_to_stderr_and_can_be_disabled(image_tree, capsys):
    load_image_folder(image_tree[0], cache=False)
    captured = capsys.readouterr()
    assert "Decoding pets" in captured.err and captured.out == ""
    load_image_folder(image_tree[0], cache=False, progress=False)
    assert capsys.readouterr().err == ""


def test_warm_load_of_zips_does_not_list_them(tmp_path, build, monkeypatch):
    files, _ = build.image_tree_files(build.SMALL_LAYOUT)
    folder = tmp_path / "zips"
    for split in ("train", "test"):
        members = {path: png for path, png in files.items() if path.startswith(f"{split}/")}
        build.write_zip(folder / f"{split}.zip", members)
    first = load_image_folder(folder, progress=False)
    monkeypatch.setattr(_images, "_scan_zip", _fail)  # reading a zip's member list is slow
    second = load_image_folder(folder, progress=False)
    _assert_same(first, second)
    assert (second.train_split, second.test_split) == ("train", "test")
