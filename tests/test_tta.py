"""Test-time augmentation (semisup.evaluation.tta): the views by hand, the averaging, the errors."""

import numpy as np
import pytest

from semisup.evaluation.tta import (
    n_views,
    parse_transforms,
    tta_predict,
    tta_predict_proba,
    tta_views,
)


def image(rows):
    """One 1-channel image from a list of pixel rows (floats in [0, 1])."""
    return np.asarray(rows, dtype=np.float64)[None, :, :, None]


def test_hflip_gives_the_image_and_its_mirror():
    x = image([[0.0, 0.1, 0.2], [0.3, 0.4, 0.5]])
    views = [view[0, :, :, 0] for view in tta_views(x, ["hflip"])]
    assert len(views) == 2
    np.testing.assert_array_equal(views[0], [[0.0, 0.1, 0.2], [0.3, 0.4, 0.5]])
    np.testing.assert_array_equal(views[1], [[0.2, 0.1, 0.0], [0.5, 0.4, 0.3]])


def test_shift_moves_by_k_pixels_and_repeats_the_edge():
    x = image([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]])
    views = [view[0, :, :, 0] for view in tta_views(x, ["shift:1"])]
    assert len(views) == 5
    np.testing.assert_array_equal(views[0], x[0, :, :, 0])
    # content moved up one row: the bottom row repeats the last one
    np.testing.assert_array_equal(views[1], [[0.4, 0.5, 0.6], [0.7, 0.8, 0.9], [0.7, 0.8, 0.9]])
    # moved down
    np.testing.assert_array_equal(views[2], [[0.1, 0.2, 0.3], [0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    # moved left
    np.testing.assert_array_equal(views[3], [[0.2, 0.3, 0.3], [0.5, 0.6, 0.6], [0.8, 0.9, 0.9]])
    # moved right
    np.testing.assert_array_equal(views[4], [[0.1, 0.1, 0.2], [0.4, 0.4, 0.5], [0.7, 0.7, 0.8]])


def test_views_keep_shape_dtype_and_range():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(3, 8, 6, 3)).astype(np.uint8)
    views = list(tta_views(x, ["hflip", "shift:2"]))
    assert len(views) == n_views(["hflip", "shift:2"]) == 10
    for view in views:
        assert view.shape == x.shape and view.dtype == np.uint8
        assert set(np.unique(view)) <= set(np.unique(x))
    # the sixth view is the mirrored image as is
    np.testing.assert_array_equal(views[5], x[:, :, ::-1])


@pytest.mark.parametrize(
    ("transforms", "expected"),
    [
        (["hflip"], 2),
        (["shift:3"], 5),
        ("hflip", 2),
        (("shift:1", "hflip"), 10),
        ("hflip+shift:1", 10),
    ],
)
def test_number_of_views(transforms, expected):
    assert n_views(transforms) == expected


@pytest.mark.parametrize(
    ("transforms", "message"),
    [
        ([], "is empty"),
        (["vflip"], "Unknown transform 'vflip'"),
        (["shift:0"], "whole number of pixels >= 1"),
        (["shift:two"], "whole number of pixels >= 1"),
        (["shift"], "whole number of pixels >= 1"),
        (["hflip", "hflip"], "given twice"),
        ("hflip+", "Unknown transform ''"),
        (["shift:1", "shift:2"], "given twice"),
        ([3], "must be a name"),
        (5, "must be a list"),
    ],
)
def test_bad_transforms_are_named(transforms, message):
    with pytest.raises(ValueError, match=message):
        parse_transforms(transforms)


def test_a_shift_as_large_as_the_image_is_an_error():
    with pytest.raises(ValueError, match="out of view"):
        list(tta_views(np.zeros((1, 4, 4, 1), dtype=np.uint8), ["shift:4"]))


class LeftOrRight:
    """Says class 0 when the left half of the image is the brighter, class 1 otherwise, with
    confidence 0.9: a mirror turns one answer into the other."""

    classes_ = np.array([10, 20])

    def __init__(self):
        self.seen = []

    def predict_proba(self, x):
        self.seen.append(x.copy())
        half = x.shape[2] // 2
        left = x[:, :, :half].mean(axis=(1, 2, 3)) > x[:, :, half:].mean(axis=(1, 2, 3))
        return np.where(left[:, None], [[0.9, 0.1]], [[0.1, 0.9]])


def test_probabilities_are_the_mean_over_the_views():
    x = np.zeros((2, 4, 4, 1), dtype=np.float32)
    x[0, :, :2] = 1.0  # left bright
    x[1, :, 2:] = 1.0  # right bright
    model = LeftOrRight()
    # without augmentation: 0.9 for its side; mirrored: the other side; mean 0.5 each
    np.testing.assert_allclose(model.predict_proba(x), [[0.9, 0.1], [0.1, 0.9]])
    np.testing.assert_allclose(tta_predict_proba(model, x, ["hflip"]), [[0.5, 0.5], [0.5, 0.5]])
    # shifts by one pixel keep each image's brighter side: all 5 views agree with the original
    np.testing.assert_allclose(tta_predict_proba(model, x, ["shift:1"]), [[0.9, 0.1], [0.1, 0.9]])
    assert len(model.seen) == 1 + 2 + 5
    # the estimator's own class labels come back
    assert tta_predict(model, x, ["shift:1"]).tolist() == [10, 20]


def test_an_estimator_without_predict_proba_is_refused():
    with pytest.raises(TypeError, match="no predict_proba"):
        tta_predict_proba(object(), np.zeros((1, 4, 4, 1), dtype=np.uint8))


def test_bad_images_are_refused_before_predicting():
    model = LeftOrRight()
    with pytest.raises(ValueError, match="4-D array"):
        tta_predict_proba(model, np.zeros((4, 4, 1), dtype=np.uint8))
    assert model.seen == []


@pytest.mark.backend
def test_a_fitted_strategy_gets_rows_that_sum_to_one(shared_tiny_images):
    from semisup.strategies import Supervised

    x, y, _ = shared_tiny_images
    model = Supervised(encoder="conv4", epochs=1, batch_size=8, random_state=0)
    model.fit(x, y)
    proba = tta_predict_proba(model, x[:6], ["hflip", "shift:2"])
    assert proba.shape == (6, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    # the mean of the views' own probabilities, view by view
    views = list(tta_views(x[:6], ["hflip", "shift:2"]))
    expected = np.mean([model.predict_proba(np.ascontiguousarray(v)) for v in views], axis=0)
    np.testing.assert_allclose(proba, expected, rtol=1e-6)
