import numpy as np
import pytest

from semisup.data import FER2013_CLASS_NAMES, load, load_fer2013

SPLITS = ("Training", "PublicTest", "PrivateTest")


def _check(dataset, records):
    assert dataset.name == "fer2013"
    assert dataset.class_names == FER2013_CLASS_NAMES
    assert FER2013_CLASS_NAMES == (
        "angry",
        "disgust",
        "fear",
        "happy",
        "sad",
        "surprise",
        "neutral",
    )
    assert list(dataset.splits) == list(SPLITS)
    assert (dataset.train_split, dataset.validation_split, dataset.test_split) == SPLITS
    for split in SPLITS:
        expected = [record for record in records if record[0] == split]
        x, y = dataset.splits[split].x, dataset.splits[split].y
        assert x.dtype == np.uint8 and x.shape == (len(expected), 48, 48, 1)
        np.testing.assert_array_equal(x[..., 0], np.stack([record[3] for record in expected]))
        np.testing.assert_array_equal(y, [record[1] for record in expected])


def test_csv(fer_data):
    dataset = load_fer2013(fer_data["csv"], progress=False)
    _check(dataset, fer_data["records"])
    assert list(dataset.checksums) == ["fer2013.csv"]
    _check(load_fer2013(fer_data["csv"].parent, progress=False), fer_data["records"])


def test_kaggle_zips_and_folders_equal_the_csv(fer_data):
    from_csv = load_fer2013(fer_data["csv"], progress=False, cache=False)
    for source in (fer_data["zips"], fer_data["extracted"]):
        from_folder = load_fer2013(source, progress=False, cache=False)
        _check(from_folder, fer_data["records"])
        for split in SPLITS:
            np.testing.assert_array_equal(from_folder.splits[split].x, from_csv.splits[split].x)
            np.testing.assert_array_equal(from_folder.splits[split].y, from_csv.splits[split].y)
    assert sorted(load_fer2013(fer_data["zips"], progress=False).checksums) == [
        "test.zip",
        "train.zip",
    ]


def test_folders_map_by_name_not_by_sorted_order(fer_data):
    # folders sort angry, disgust, happy, neutral, sad: neutral (code 6) comes before sad (4)
    dataset = load_fer2013(fer_data["zips"], progress=False)
    np.testing.assert_array_equal(dataset.y_train, [0, 0, 1, 3, 3, 6, 6, 4])


def test_single_zip_holding_both_folders(fer_data, tmp_path, build):
    merged = {**fer_data["archives"]["train.zip"], **fer_data["archives"]["test.zip"]}
    path = build.write_zip(tmp_path / "archive.zip", merged)
    _check(load_fer2013(path, progress=False), fer_data["records"])


def test_load_by_name_from_data_dir_and_env_var(fer_data, monkeypatch):
    data_dir = fer_data["zips"].parent
    _check(load("fer2013", data_dir=data_dir, progress=False), fer_data["records"])
    monkeypatch.setenv("SEMISUP_DATA_DIR", str(data_dir))
    _check(load("fer2013", progress=False), fer_data["records"])
    _check(load_fer2013(progress=False), fer_data["records"])


def test_missing_data_says_where_it_looked_and_what_is_expected(tmp_path):
    with pytest.raises(FileNotFoundError) as raised:
        load("fer2013", data_dir=tmp_path)
    message = str(raised.value)
    assert f"{tmp_path / 'fer2013'} (from the data_dir argument)" in message
    assert "SEMISUP_DATA_DIR" in message and "train.zip and test.zip" in message
    assert "fer2013.csv" in message
    with pytest.raises(FileNotFoundError, match=r"Tried: nothing .*SEMISUP_DATA_DIR"):
        load("fer2013")
    with pytest.raises(FileNotFoundError, match=r"Tried: nothing .*SEMISUP_DATA_DIR"):
        load_fer2013()


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["3", " ".join(["1"] * 2303), "Training"], "found 2303 pixel values, expected 2304"),
        (["7", " ".join(["1"] * 2304), "Training"], "emotion '7' is not a code 0..6"),
        (["-1", " ".join(["1"] * 2304), "Training"], "emotion '-1' is not a code 0..6"),
        (["3", " ".join(["1"] * 2304), "Validation"], "Usage 'Validation' is not one of"),
        (["3", " ".join(["1"] * 2303 + ["x"]), "Training"], "the pixels are not all integers"),
        (["3", " ".join(["1"] * 2303 + ["256"]), "Training"], "pixel values must be 0..255"),
        (["3", " ".join(["1"] * 2304)], "2 fields, expected 3"),
    ],
)
def test_bad_csv_rows_are_named(fer_data, tmp_path, build, row, message):
    path = build.write_fer_csv(tmp_path / "bad" / "fer2013.csv", fer_data["records"], {1: row})
    with pytest.raises(ValueError, match=rf"bad/fer2013.csv, data row 2 \(line 3\): {message}"):
        load_fer2013(path, progress=False)


def test_csv_header_must_name_the_columns(tmp_path):
    path = tmp_path / "fer2013.csv"
    path.write_text("label,pixels\n0,1 2 3\n")
    with pytest.raises(
        ValueError,
        match=r"fer2013.csv: the header .* lacks the column\(s\) "
        r"\['emotion', 'Usage'\]",
    ):
        load_fer2013(path)


def test_unknown_prefix_emotion_or_size_is_named(fer_data, tmp_path, build):
    files = dict(fer_data["archives"]["test.zip"])
    some_png = next(iter(files.values()))
    bad_prefix = build.write_files(tmp_path / "prefix", {**files, "test/angry/Val_1.png": some_png})
    with pytest.raises(ValueError, match=r"test/angry/Val_1.png: the file name does not start"):
        load_fer2013(bad_prefix, progress=False)
    bad_folder = build.write_files(
        tmp_path / "folder", {**files, "test/bored/PublicTest_1.png": some_png}
    )
    with pytest.raises(ValueError, match=r"'bored' is not a FER2013 emotion folder"):
        load_fer2013(bad_folder, progress=False)
    small = build.png_bytes(np.zeros((32, 32), dtype=np.uint8))
    all_files = {**files, **fer_data["archives"]["train.zip"], "test/sad/PublicTest_9.png": small}
    bad_size = build.write_files(tmp_path / "size", all_files)
    with pytest.raises(ValueError, match=r"PublicTest_9.png is a 32x32 L image, but .* 48x48 L"):
        load_fer2013(bad_size, progress=False)


def test_every_split_must_be_present(fer_data, tmp_path, build):
    training_only = build.write_zip(tmp_path / "f" / "train.zip", fer_data["archives"]["train.zip"])
    with pytest.raises(ValueError, match=r"no PublicTest / PrivateTest images found"):
        load_fer2013(training_only.parent, progress=False)


def test_csv_beside_image_folders_is_ambiguous(fer_data, build):
    folder = fer_data["zips"]
    build.write_files(folder, {"fer2013.csv": fer_data["csv"].read_bytes()})
    with pytest.raises(ValueError, match=r"holds both fer2013.csv and image folders/zips"):
        load_fer2013(folder)
