import numpy as np
import pytest

from semisup.data import check_images, check_labels


def test_check_images_accepts_uint8_and_unit_floats_unchanged():
    pixels = np.zeros((2, 4, 4, 3), dtype=np.uint8)
    assert check_images(pixels) is pixels
    floats = np.full((1, 4, 4, 1), 0.5, dtype=np.float32)
    assert check_images(floats) is floats
    assert check_images(np.zeros((0, 4, 4, 1), dtype=np.float32)).shape == (0, 4, 4, 1)


def test_check_images_rejects_wrong_rank_with_hint():
    with pytest.raises(
        ValueError, match=r"images must be a 4-D .*got shape \(2, 4, 4\).*\[\.\.\., None\]"
    ):
        check_images(np.zeros((2, 4, 4), dtype=np.uint8), name="images")


def test_check_images_rejects_other_dtypes():
    with pytest.raises(TypeError, match="X must hold uint8 .* got dtype int64"):
        check_images(np.zeros((1, 2, 2, 1), dtype=np.int64))
    with pytest.raises(TypeError, match="dtype bool"):
        check_images(np.zeros((1, 2, 2, 1), dtype=bool))


def test_check_images_reports_non_finite_count_and_first_index():
    images = np.zeros((2, 3, 3, 1), dtype=np.float32)
    images[0, 1, 2, 0] = np.nan
    images[1, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match=r"unlabeled_images holds 2 NaN .*index \(0, 1, 2, 0\)"):
        check_images(images, name="unlabeled_images")


def test_check_images_reports_range_found():
    images = np.zeros((1, 2, 2, 1), dtype=np.float64)
    images[0, 0, 0, 0] = -0.5
    images[0, 1, 1, 0] = 255.0
    with pytest.raises(ValueError, match=r"X is float.*\[0, 1\].*\[-0\.5, 255\]"):
        check_images(images)


def test_check_labels_returns_int64_without_changing_values():
    labels = np.array([0, 2, -1], dtype=np.int32)
    checked = check_labels(labels, n_samples=3, n_classes=3)
    assert checked.dtype == np.int64
    np.testing.assert_array_equal(checked, [0, 2, -1])
    assert labels.dtype == np.int32  # the caller's array is left alone
    np.testing.assert_array_equal(check_labels([1.0, -1.0], n_samples=2), [1, -1])


def test_check_labels_rejects_fractional_floats_instead_of_rounding():
    with pytest.raises(ValueError, match=r"y\[1\] = 1\.5 has a fractional part"):
        check_labels(np.array([1.0, 1.5]), n_samples=2)
    with pytest.raises(ValueError, match=r"y\[0\] = nan"):
        check_labels(np.array([np.nan, 1.0]), n_samples=2)


@pytest.mark.parametrize(
    "labels", [np.array(["cat", "dog"]), np.array([True, False]), np.array([1, "a"], dtype=object)]
)
def test_check_labels_rejects_non_numeric(labels):
    with pytest.raises(TypeError, match="targets must hold integer class codes"):
        check_labels(labels, n_samples=2, name="targets")


def test_check_labels_rejects_columns_with_hint():
    with pytest.raises(ValueError, match=r"y must be 1-D.*\(3, 1\).*ravel"):
        check_labels(np.zeros((3, 1), dtype=int), n_samples=3)


def test_check_labels_names_both_lengths():
    with pytest.raises(ValueError, match="y has 3 labels but there are 4 samples"):
        check_labels([0, 1, 2], n_samples=4)


def test_check_labels_names_bad_value_and_index():
    with pytest.raises(ValueError, match=r"y\[2\] = -2 is not a valid label"):
        check_labels([0, -1, -2], n_samples=3)
    with pytest.raises(ValueError, match=r"y\[1\] = -1 .* must be >= 0"):
        check_labels([0, -1], n_samples=2, allow_unlabeled=False)
    with pytest.raises(ValueError, match=r"y\[3\] = 10 .*n_classes=10"):
        check_labels([0, 9, 1, 10], n_samples=4, n_classes=10)
