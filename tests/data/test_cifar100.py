import pickle

import numpy as np
import pytest

from semisup.data import load, load_cifar100


def _check_fine(dataset, expected):
    fine_names = ("apple", "bee", "castle", "dolphin", "elephant")
    assert dataset.name == "cifar100"
    assert dataset.class_names == fine_names
    assert (dataset.train_split, dataset.test_split, dataset.validation_split) == (
        "train",
        "test",
        None,
    )
    for split in ("train", "test"):
        images, fine, _, data = expected[split]
        x, y = dataset.splits[split].x, dataset.splits[split].y
        assert x.dtype == np.uint8 and x.shape == (len(images), 32, 32, 3)
        np.testing.assert_array_equal(x, images)
        np.testing.assert_array_equal(y, fine)
        assert y.dtype == np.int64
        # channel-major rows: red plane, then green, then blue, each row by row
        assert x[0, 0, 1, 0] == data[0, 1]
        assert x[0, 1, 0, 0] == data[0, 32]
        assert x[0, 0, 0, 1] == data[0, 1024]
        assert x[0, 31, 31, 2] == data[0, 3071]


def test_tar_gz_fine_labels_and_pixels(cifar100_tar):
    path, expected = cifar100_tar
    dataset = load_cifar100(path, progress=False)
    _check_fine(dataset, expected)
    assert list(dataset.checksums) == ["cifar-100-python.tar.gz"]


def test_tar_gz_coarse_labels(cifar100_tar, build):
    path, expected = cifar100_tar
    dataset = load_cifar100(path, label_mode="coarse", progress=False)
    assert dataset.class_names == build.CIFAR_COARSE
    np.testing.assert_array_equal(dataset.y_train, expected["train"][2])
    np.testing.assert_array_equal(dataset.x_train, expected["train"][0])


def test_extracted_folder_and_its_parent(cifar100_folder):
    folder, expected = cifar100_folder
    _check_fine(load_cifar100(folder, progress=False), expected)
    _check_fine(load_cifar100(folder.parent, progress=False), expected)


def test_folder_holding_the_archive(cifar100_tar):
    path, expected = cifar100_tar
    _check_fine(load_cifar100(path.parent, progress=False), expected)


def test_str_keys_are_accepted_too(tmp_path, build):
    members, expected = build.cifar100_members(bytes_keys=False)
    _check_fine(load_cifar100(build.write_files(tmp_path / "c", members), progress=False), expected)


def test_label_mode_must_be_fine_or_coarse(cifar100_tar):
    with pytest.raises(ValueError, match="label_mode must be 'fine' or 'coarse'; got 'medium'"):
        load_cifar100(cifar100_tar[0], label_mode="medium")


def test_load_by_name_from_data_dir(tmp_path, build):
    members, expected = build.cifar100_members()
    build.write_cifar100_tar(tmp_path / "data" / "cifar100" / "cifar-100-python.tar.gz", members)
    _check_fine(load("cifar100", data_dir=tmp_path / "data", progress=False), expected)


@pytest.mark.parametrize(
    "relative",
    ["datasets/cifar-100-python-target/cifar-100-python", "datasets/cifar-100-python"],
)
def test_found_in_keras_download_cache(tmp_path, monkeypatch, relative, build):
    members, expected = build.cifar100_members()
    build.write_files(tmp_path / "keras" / relative, members)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    _check_fine(load_cifar100(progress=False), expected)
    _check_fine(load("cifar100", progress=False), expected)


def test_not_found_names_paths_env_var_and_keras(tmp_path):
    with pytest.raises(FileNotFoundError) as raised:
        load("cifar100", data_dir=tmp_path / "nowhere")
    message = str(raised.value)
    assert str(tmp_path / "nowhere" / "cifar100") in message
    assert "keras-home" in message  # the Keras cache was searched too
    assert "SEMISUP_DATA_DIR" in message and "cifar-100-python.tar.gz" in message
    assert "keras.datasets.cifar100.load_data()" in message and "~/.keras/datasets" in message
    with pytest.raises(FileNotFoundError, match=r"CIFAR-100 not found at .*empty"):
        load_cifar100(tmp_path / "empty")


def test_corrupt_or_incomplete_archives_are_named(tmp_path, build):
    broken = tmp_path / "cifar-100-python.tar.gz"
    members, _ = build.cifar100_members()
    build.write_cifar100_tar(broken, members)
    broken.write_bytes(broken.read_bytes()[:300])
    with pytest.raises(ValueError, match=r"cifar-100-python.tar.gz could not be read .*again"):
        load_cifar100(broken, progress=False)

    incomplete = tmp_path / "incomplete.tar.gz"
    build.write_cifar100_tar(incomplete, {"train": members["train"], "meta": members["meta"]})
    with pytest.raises(ValueError, match=r"incomplete.tar.gz lacks cifar-100-python/test"):
        load_cifar100(incomplete, progress=False)


def test_wrong_contents_are_named(tmp_path, build):
    members, _ = build.cifar100_members()
    document = pickle.loads(members["train"], encoding="bytes")
    document[b"data"] = document[b"data"][:, :100]
    members["train"] = pickle.dumps(document, protocol=2)
    folder = build.write_files(tmp_path / "c", members)
    with pytest.raises(ValueError, match=r"c/train: 'data' is uint8 with shape \(6, 100\)"):
        load_cifar100(folder, progress=False)
    members["train"] = b"not a pickle"
    build.write_files(folder, members)
    with pytest.raises(ValueError, match=r"c/train could not be unpickled"):
        load_cifar100(folder, progress=False)
