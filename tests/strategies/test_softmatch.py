"""SoftMatch's weights, uniform alignment and statistics against numpy on hand-made
probabilities, its unlabeled term against a float64 reference, and its state in a short fit and a
checkpoint."""

import keras
import numpy as np
import pytest
from test_freematch import FAST, numbers, softmax

from semisup.strategies import SoftMatch
from semisup.strategies.softmatch import (
    confidence_statistics,
    truncated_gaussian_weights,
    uniform_alignment,
)


def test_weights_are_one_at_or_above_the_mean_and_a_gaussian_below():
    confidences = np.array([0.95, 0.70, 0.60, 0.40, 0.10], "float32")
    mean, variance = 0.7, 0.04
    weights = numbers(truncated_gaussian_weights(confidences, mean, variance, n_sigma=2.0))
    expected = np.where(
        confidences >= mean,
        1.0,
        np.exp(-((confidences - mean) ** 2) / (2 * variance / 4)),
    )
    np.testing.assert_allclose(weights, expected, rtol=1e-5)
    assert weights[0] == weights[1] == 1.0
    # one standard deviation below the mean: exp(-n_sigma^2 / 2)
    at_sigma = numbers(truncated_gaussian_weights(np.array([0.5], "float32"), 0.7, 0.04, 2.0))
    np.testing.assert_allclose(at_sigma, [np.exp(-2.0)], rtol=1e-5)
    # a wider Gaussian (fewer sigmas) keeps more weight below the mean
    wide = numbers(truncated_gaussian_weights(confidences, mean, variance, n_sigma=1.0))
    assert np.all(wide[2:] > weights[2:])


def test_uniform_alignment_divides_by_the_class_means_and_renormalises():
    probabilities = softmax(np.random.default_rng(0).normal(size=(5, 3)) * 2)
    class_means = np.array([0.6, 0.3, 0.1])
    aligned = numbers(uniform_alignment(probabilities.astype("float32"), class_means))
    expected = probabilities / (class_means + 1e-6)
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(aligned, expected, rtol=1e-5)
    np.testing.assert_allclose(aligned.sum(axis=1), 1.0, rtol=1e-6)
    # uniform class means change nothing
    same = numbers(uniform_alignment(probabilities.astype("float32"), np.full(3, 1 / 3)))
    np.testing.assert_allclose(same, probabilities, rtol=1e-5)


def test_confidence_statistics_are_the_mean_and_the_unbiased_variance():
    confidences = np.array([0.9, 0.5, 0.7, 0.3], "float32")
    mean, variance = confidence_statistics(confidences)
    assert float(numbers(mean)) == pytest.approx(confidences.mean(), rel=1e-6)
    assert float(numbers(variance)) == pytest.approx(np.var(confidences, ddof=1), rel=1e-5)


def reference_unlabeled_term(weak, strong, class_means, mean, variance, momentum, first):
    """USB's SoftMatch in float64: alignment (class means updated first), statistics and weights
    on the aligned probabilities, weighted cross-entropy of the strong view against the raw weak
    argmax."""
    probabilities = softmax(weak)
    class_means = (
        probabilities.mean(axis=0)
        if first
        else (momentum * class_means + (1 - momentum) * probabilities.mean(axis=0))
    )
    aligned = probabilities / (class_means + 1e-6)
    aligned /= aligned.sum(axis=1, keepdims=True)
    confidences = aligned.max(axis=1)
    mean = momentum * mean + (1 - momentum) * confidences.mean()
    variance = momentum * variance + (1 - momentum) * confidences.var(ddof=1)
    weights = np.where(
        confidences >= mean, 1.0, np.exp(-((confidences - mean) ** 2) / (2 * variance / 4))
    )
    labels = probabilities.argmax(axis=1)  # not the aligned ones
    assert np.any(labels != aligned.argmax(axis=1)), "the data must tell the two apart"
    log_probabilities = np.log(softmax(strong))
    loss = -(log_probabilities[np.arange(len(labels)), labels] * weights).mean()
    return loss, weights, class_means, mean, variance


@pytest.mark.parametrize("first", [True, False])
def test_the_unlabeled_term_matches_a_float64_reference(tiny_images, first):
    x, y, _ = tiny_images
    trainer = SoftMatch(**FAST, statistics_momentum=0.9).fit(x, y).trainer_
    rng = np.random.default_rng(1)
    weak = rng.normal(size=(8, 2)) * 2
    weak[:, 0] += 1.5  # class 0 more likely: alignment moves some argmaxes, the labels keep them
    strong = rng.normal(size=(8, 2))
    trainer.class_means.assign(np.array([0.8, 0.2], "float32"))  # a skewed history
    state = [numbers(v.value) for v in (trainer.class_means, trainer.confidence_mean)]
    variance = float(numbers(trainer.confidence_variance.value))
    if first:
        trainer.step_counter.assign(0)
    loss, weights, class_means, mean, variance = reference_unlabeled_term(
        weak, strong, state[0], float(state[1]), variance, 0.9, first
    )
    out = trainer.unlabeled_term(weak.astype("float32"), strong.astype("float32"))
    assert float(numbers(out["unlabeled_loss"])) == pytest.approx(loss, rel=1e-4)
    assert float(numbers(out["mask_rate"])) == pytest.approx(weights.mean(), rel=1e-4)
    np.testing.assert_allclose(numbers(trainer.class_means.value), class_means, rtol=1e-5)
    assert float(numbers(trainer.confidence_mean.value)) == pytest.approx(mean, rel=1e-5)
    assert float(numbers(out["confidence_std"])) == pytest.approx(np.sqrt(variance), rel=1e-4)


def test_without_alignment_the_weak_probabilities_are_used_as_they_are(tiny_images):
    x, y, _ = tiny_images
    trainer = SoftMatch(**FAST, uniform_alignment=False).fit(x, y).trainer_
    before = numbers(trainer.class_means.value)
    weak = np.array([[3.0, 0.0], [0.0, 0.2], [1.0, 0.0], [0.0, 2.0]], "float32")
    out = trainer.unlabeled_term(weak, weak)
    np.testing.assert_array_equal(numbers(trainer.class_means.value), before)  # never updated
    assert 0.0 < float(numbers(out["mask_rate"])) <= 1.0


def test_fit_moves_the_statistics_logs_them_and_checkpoints_them(tiny_images, tmp_path):
    x, y, _ = tiny_images
    first = SoftMatch(**FAST, statistics_momentum=0.5).enable_checkpoints(tmp_path).fit(x, y)
    history = first.history_["consistency"]
    assert {"mask_rate", "confidence_mean", "confidence_std"} <= set(history)
    assert all(0.0 < rate <= 1.0 for rate in history["mask_rate"])
    trainer = first.trainer_
    mean = float(numbers(trainer.confidence_mean.value))
    # started at 1 / C = 0.5, averaged with top probabilities of 2 classes (>= 0.5)
    assert 0.5 < mean <= 1.0
    np.testing.assert_allclose(numbers(trainer.class_means.value).sum(), 1.0, rtol=1e-5)
    # what the harness's monitor reads: full weight from mu on, for every class
    np.testing.assert_allclose(trainer.pseudo_label_thresholds(), [mean, mean], rtol=1e-6)
    again = SoftMatch(**FAST, statistics_momentum=0.5).enable_checkpoints(tmp_path).fit(x, y)
    assert again.resumed_from_epoch_ == {"consistency": 2}
    assert float(numbers(again.trainer_.confidence_mean.value)) == pytest.approx(mean)
    np.testing.assert_allclose(
        numbers(again.trainer_.class_means.value), numbers(trainer.class_means.value)
    )


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"statistics_momentum": 1.0}, ValueError, "statistics_momentum"),
        ({"statistics_momentum": "high"}, ValueError, "statistics_momentum"),
        ({"n_sigma": 0}, ValueError, "n_sigma"),
        ({"uniform_alignment": "yes"}, TypeError, "uniform_alignment"),
        ({"cutout": 2}, ValueError, "cutout"),
        ({"confidence_threshold": 0.9}, TypeError, "confidence_threshold"),
    ],
)
def test_bad_parameters_are_named(tiny_images, params, error, message):
    x, y, _ = tiny_images
    with pytest.raises(error, match=message):
        SoftMatch(**FAST, **params).fit(x, y)


@pytest.mark.backend
def test_mixed_bfloat16_keeps_the_statistics_in_float32(tiny_images):
    from semisup import encoders

    x, y, _ = tiny_images
    tiny_wrn = encoders.get("wide_resnet").with_parameters(depth=10, widen_factor=1)
    model = SoftMatch(**FAST, encoder=tiny_wrn, precision="mixed_bfloat16").fit(x, y)
    trainer = model.trainer_
    for variable in (trainer.confidence_mean, trainer.confidence_variance, trainer.class_means):
        assert variable.dtype == "float32", variable.name
    history = model.history_["consistency"]
    assert np.all(np.isfinite(history["loss"])) and np.all(np.isfinite(history["mask_rate"]))
    if keras.backend.backend() == "jax":
        assert model.jit_compiled_ == {"consistency": True}
