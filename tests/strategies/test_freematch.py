"""FreeMatch's self-adaptive thresholds, mask and fairness term against numpy on hand-made
probabilities, and its threshold state in a short fit and a checkpoint."""

import keras
import numpy as np
import pytest

from semisup.strategies import FreeMatch
from semisup.strategies._consistency import confidence_mask
from semisup.strategies.freematch import (
    fairness_loss,
    predicted_histogram,
    self_adaptive_thresholds,
)

FAST = {"steps": 4, "epochs": 2, "batch_size": 4, "mu": 2, "random_state": 0}


def numbers(tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype=np.float64)


def softmax(logits):
    logits = np.asarray(logits, dtype=np.float64)
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def test_thresholds_are_the_global_average_scaled_by_the_class_expectations():
    probabilities = softmax(np.random.default_rng(0).normal(size=(6, 3)) * 2)
    tau, p, thresholds = self_adaptive_thresholds(
        probabilities.astype("float32"), 0.8, np.array([1.0, 0.5, 0.25], "float32"), 0.9
    )
    expected_tau = 0.9 * 0.8 + 0.1 * probabilities.max(axis=1).mean()
    expected_p = 0.9 * np.array([1.0, 0.5, 0.25]) + 0.1 * probabilities.mean(axis=0)
    np.testing.assert_allclose(numbers(tau), expected_tau, rtol=1e-5)
    np.testing.assert_allclose(numbers(p), expected_p, rtol=1e-5)
    np.testing.assert_allclose(
        numbers(thresholds), expected_tau * expected_p / expected_p.max(), rtol=1e-5
    )
    # the most expected class gets the global threshold itself, the others lower ones
    assert numbers(thresholds).max() == pytest.approx(float(numbers(tau)), rel=1e-6)


def test_mask_compares_each_image_with_its_predicted_classs_threshold():
    probabilities = np.array(
        [[0.70, 0.20, 0.10], [0.10, 0.55, 0.35], [0.30, 0.30, 0.40], [0.05, 0.05, 0.90]],
        "float32",
    )
    thresholds = np.array([0.8, 0.5, 0.95], "float32")
    # 0.70 < 0.8; 0.55 >= 0.5; 0.40 < 0.95; 0.90 < 0.95
    assert numbers(confidence_mask(probabilities, thresholds)).tolist() == [0, 1, 0, 0]
    assert numbers(confidence_mask(probabilities, thresholds * 0)).tolist() == [1, 1, 1, 1]


def test_predicted_histogram_counts_the_weighted_argmax():
    probabilities = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]], "float32")
    np.testing.assert_allclose(numbers(predicted_histogram(probabilities)), [2 / 3, 1 / 3])
    np.testing.assert_allclose(
        numbers(predicted_histogram(probabilities, np.array([0, 1, 1]))), [0.5, 0.5]
    )
    assert numbers(predicted_histogram(probabilities, np.zeros(3))).tolist() == [0, 0]


def reference_fairness(strong_logits, mask, expectations, histogram):
    """The term as USB's FreeMatch computes it, over the kept images, in float64."""
    kept = softmax(strong_logits)[mask.astype(bool)]
    predicted = np.bincount(kept.argmax(axis=1), minlength=kept.shape[1]) / len(kept)

    def normalise(values, counts):
        scaled = np.where(counts > 0, values / np.where(counts > 0, counts, 1), 0.0)
        return scaled / scaled.sum()

    target = normalise(np.asarray(expectations, np.float64), np.asarray(histogram, np.float64))
    prediction = normalise(kept.mean(axis=0), predicted)
    return float((target * np.log(prediction + 1e-12)).sum())


@pytest.mark.backend
def test_fairness_term_matches_the_reference_and_is_zero_when_nothing_counts():
    rng = np.random.default_rng(1)
    logits = (rng.normal(size=(8, 4)) * 3).astype("float32")
    mask = np.array([1, 0, 1, 1, 0, 1, 1, 0], "float32")
    expectations = np.array([0.4, 0.3, 0.2, 0.1], "float32")
    histogram = np.array([0.5, 0.2, 0.2, 0.1], "float32")
    value = numbers(fairness_loss(logits, mask, expectations, histogram))
    assert value == pytest.approx(reference_fairness(logits, mask, expectations, histogram), 1e-4)
    assert numbers(fairness_loss(logits, np.zeros(8, "float32"), expectations, histogram)) == 0


@pytest.mark.backend
def test_fairness_gradient_reaches_only_the_kept_strong_logits_and_stays_finite():
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 1.5, 0.0], [0.5, 0.0, 2.0]], "float32")
    expectations = np.array([0.5, 0.3, 0.2], "float32")
    histogram = np.array([0.4, 0.4, 0.2], "float32")

    def grad(mask):
        mask = np.asarray(mask, "float32")
        if keras.backend.backend() == "jax":
            import jax

            return np.asarray(
                jax.grad(lambda z: fairness_loss(z, mask, expectations, histogram))(logits)
            )
        import tensorflow as tf

        variable = tf.Variable(logits)
        with tf.GradientTape() as tape:
            value = fairness_loss(variable, mask, expectations, histogram)
        gradient = tape.gradient(value, variable)
        return np.zeros_like(logits) if gradient is None else gradient.numpy()

    some = grad([1, 1, 0])
    assert np.all(np.isfinite(some)) and np.abs(some[:2]).sum() > 0
    assert np.all(some[2] == 0)  # an image whose pseudo-label did not count
    none = grad([0, 0, 0])
    assert np.all(np.isfinite(none)) and np.all(none == 0)


def test_fit_moves_the_thresholds_logs_them_and_checkpoints_them(tiny_images, tmp_path):
    x, y, _ = tiny_images
    first = FreeMatch(**FAST, threshold_momentum=0.5).enable_checkpoints(tmp_path).fit(x, y)
    history = first.history_["consistency"]
    assert {"mask_rate", "threshold", "fairness_loss"} <= set(history)
    assert np.all(np.isfinite(history["fairness_loss"]))
    trainer = first.trainer_
    tau = float(numbers(trainer.global_threshold.value))
    # started at 1, averaged with the weak views' mean top probability (<= 1, > 1/2 here)
    assert 0.5 < tau < 1.0
    assert history["threshold"][-1] <= history["threshold"][0] <= 1.0
    expectations = numbers(trainer.class_expectations.value)
    assert expectations.shape == (2,) and np.all(expectations < 1.0)
    # what the harness's monitor reads: each class's threshold, tau * p(c) / max p
    np.testing.assert_allclose(
        trainer.pseudo_label_thresholds(), tau * expectations / expectations.max(), rtol=1e-6
    )
    # a resumed fit restores the state with the weights: the phase is not retrained
    again = FreeMatch(**FAST, threshold_momentum=0.5).enable_checkpoints(tmp_path).fit(x, y)
    assert again.resumed_from_epoch_ == {"consistency": 2}
    assert float(numbers(again.trainer_.global_threshold.value)) == pytest.approx(tau)
    np.testing.assert_allclose(numbers(again.trainer_.class_expectations.value), expectations)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"threshold_momentum": 1.0}, "threshold_momentum"),
        ({"threshold_momentum": "high"}, "threshold_momentum"),
        ({"fairness_weight": -0.1}, "fairness_weight"),
        ({"cutout": 2}, "cutout"),
        ({"confidence_threshold": 0.9}, "confidence_threshold"),
    ],
)
def test_bad_parameters_are_named(tiny_images, params, message):
    x, y, _ = tiny_images
    with pytest.raises((ValueError, TypeError), match=message):
        FreeMatch(**FAST, **params).fit(x, y)


@pytest.mark.backend
def test_mixed_bfloat16_keeps_the_thresholds_in_float32(tiny_images):
    from semisup import encoders

    x, y, _ = tiny_images
    tiny_wrn = encoders.get("wide_resnet").with_parameters(depth=10, widen_factor=1)
    model = FreeMatch(**FAST, encoder=tiny_wrn, precision="mixed_bfloat16").fit(x, y)
    trainer = model.trainer_
    for variable in (trainer.global_threshold, trainer.class_expectations, trainer.label_histogram):
        assert variable.dtype == "float32", variable.name
    history = model.history_["consistency"]
    assert np.all(np.isfinite(history["loss"])) and np.all(np.isfinite(history["fairness_loss"]))
    if keras.backend.backend() == "jax":
        assert model.jit_compiled_ == {"consistency": True}
