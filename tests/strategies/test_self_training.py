import numpy as np
import pytest

from semisup.strategies import SelfTraining, Supervised

FAST = {"epochs": 2, "batch_size": 8, "random_state": 0}


def test_zero_rounds_is_the_supervised_baseline(tiny_images):
    x, y, _ = tiny_images
    self_training = SelfTraining(rounds=0, **FAST).fit(x, y)
    supervised = Supervised(**FAST).fit(x, y)
    np.testing.assert_allclose(
        self_training.predict_proba(x), supervised.predict_proba(x), atol=1e-6
    )
    assert self_training.rounds_ == [] and self_training.n_pseudo_ == 0


@pytest.fixture(scope="module")
def relabelled(shared_tiny_images):
    """Two rounds with pool="relabel" that accept every image, fitted once for the two tests
    below: the model and the labels of each of its Keras fits (the baseline's and one per
    round)."""
    x, y, _ = shared_tiny_images
    seen = []
    original = SelfTraining._keras_fit

    def spy(self, model, x_fit, y_fit=None, **kwargs):
        seen.append(np.array(y_fit))
        return original(self, model, x_fit, y_fit, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SelfTraining, "_keras_fit", spy)
        model = SelfTraining(rounds=2, confidence_threshold=0.0, pool="relabel", **FAST).fit(x, y)
    return model, seen


def test_labeled_images_never_change_label(relabelled, shared_tiny_images):
    _, y, _ = shared_tiny_images
    model, seen = relabelled
    labeled_codes = np.searchsorted(model.classes_, y[y != -1])
    assert len(seen) == 3
    for labels in seen:
        np.testing.assert_array_equal(labels[: len(labeled_codes)], labeled_codes)


def test_rounds_are_recorded_and_accepted_images_leave_the_pool(tiny_images):
    x, y, _ = tiny_images
    n_pool = int((y == -1).sum())
    model = SelfTraining(rounds=2, confidence_threshold=0.0, **FAST).fit(x, y)
    first = model.rounds_[0]
    assert set(first) >= {"round", "n_accepted", "mean_confidence", "class_histogram", "n_pool"}
    # threshold 0 accepts the whole pool in round 1, so round 2 has nothing left to label
    assert first["n_accepted"] == n_pool and first["n_pool"] == 0
    assert sum(first["class_histogram"]) == n_pool
    assert len(model.rounds_) == 1
    assert model.n_pseudo_ == n_pool
    assert set(np.unique(model.pseudo_labels_)) <= {0, 1}
    assert np.all((model.pseudo_weights_ >= 0.5) & (model.pseudo_weights_ <= 1))


def test_relabel_keeps_the_pool(relabelled):
    model, _ = relabelled
    assert [r["n_pool"] for r in model.rounds_] == [30, 30]
    assert [r["n_pseudo"] for r in model.rounds_] == [30, 30]


def test_top_k_per_class_limits_acceptance(tiny_images):
    x, y, _ = tiny_images
    model = SelfTraining(rounds=1, confidence_threshold=0.0, top_k_per_class=3, **FAST).fit(x, y)
    assert max(model.rounds_[0]["class_histogram"]) <= 3
    assert model.n_pseudo_ <= 6


def test_weightings(tiny_images):
    x, y, y_true = tiny_images
    sharpened = SelfTraining(rounds=1, confidence_threshold=0.0, weighting="sharpened", **FAST)
    sharpened.fit(x, y)
    plain = SelfTraining(rounds=1, confidence_threshold=0.0, **FAST).fit(x, y)
    np.testing.assert_allclose(sharpened.pseudo_weights_, plain.pseudo_weights_**2, rtol=1e-5)

    uniform = SelfTraining(rounds=1, confidence_threshold=0.0, weighting="uniform", **FAST)
    assert np.all(uniform.fit(x, y).pseudo_weights_ == 1)

    calibrated = SelfTraining(rounds=1, confidence_threshold=0.0, weighting="calibrated", **FAST)
    with pytest.raises(ValueError, match="validation_data"):
        calibrated.fit(x, y)
    calibrated.fit(x, y, validation_data=(x, y_true))
    assert calibrated.rounds_[0]["temperature"] > 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"confidence_threshold": 1.0}, "confidence_threshold"),
        ({"confidence_threshold": -0.1}, "confidence_threshold"),
        ({"rounds": -1}, "rounds"),
        ({"top_k_per_class": 0}, "top_k_per_class"),
        ({"weighting": "magic"}, "weighting"),
        ({"pool": "keep"}, "pool"),
    ],
)
def test_bad_parameters(tiny_images, params, message):
    x, y, _ = tiny_images
    with pytest.raises(ValueError, match=message):
        SelfTraining(**FAST, **params).fit(x, y)


def test_warm_start_must_be_a_bool(tiny_images):
    x, y, _ = tiny_images
    with pytest.raises(TypeError, match="warm_start must be True or False"):
        SelfTraining(**FAST, warm_start="yes").fit(x, y)


# ----------------------------------------------------------------------------- augmentation
def _augmenters(model):
    from semisup.augmentation import Augmenter

    return [layer for layer in model.model_.layers if isinstance(layer, Augmenter)]


def test_no_augmentation_by_default(tiny_images):
    x, y, _ = tiny_images
    model = SelfTraining(rounds=0, **FAST).fit(x, y)
    assert model.augmentation is None and _augmenters(model) == []


@pytest.mark.backend
def test_augmentation_is_weak_by_default_and_acts_in_training_only(tiny_images):
    from semisup.strategies.self_training import WEAK_AUGMENTATION

    x, y, _ = tiny_images
    model = SelfTraining(
        rounds=1, confidence_threshold=0.0, augmentation={"horizontal_flip": False}, **FAST
    ).fit(x, y)
    (augmenter,) = _augmenters(model)
    assert augmenter.horizontal_flip is False  # the user's entry replaces the default
    assert augmenter.translation == WEAK_AUGMENTATION["translation"] == 0.125
    assert augmenter.brightness == augmenter.contrast == augmenter.grayscale_probability == 0
    assert model.rounds_ and model.n_pseudo_ > 0
    # predictions see the images as they are: the classifier behind the augmenter alone
    classifier = model.model_.layers[-1]
    images = x[:6].astype("float32") / 255.0
    np.testing.assert_allclose(
        np.asarray(model.model_(images, training=False)),
        np.asarray(classifier(images, training=False)),
        atol=1e-6,
    )
    np.testing.assert_array_equal(model.predict_proba(x[:6]), model.predict_proba(x[:6]))
    # training sees shifted images: two training-mode passes over one batch differ
    shifted_once = np.asarray(augmenter(images, training=True))
    shifted_twice = np.asarray(augmenter(images, training=True))
    assert shifted_once.shape == images.shape and not np.array_equal(shifted_once, shifted_twice)


@pytest.mark.parametrize(
    ("augmentation", "error", "message"),
    [
        ("weak", TypeError, "augmentation must be None or a dict"),
        ({"rotation": 10}, ValueError, r"augmentation has unknown key\(s\) \['rotation'\]"),
        ({"translation": -1.0}, ValueError, "^augmentation: "),
    ],
)
def test_bad_augmentation_names_the_parameter(tiny_images, augmentation, error, message):
    x, y, _ = tiny_images
    with pytest.raises(error, match=message):
        SelfTraining(**FAST, augmentation=augmentation).fit(x, y)
