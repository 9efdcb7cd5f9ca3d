import numpy as np
import pytest

from semisup.evaluation import (
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
)


def test_ece_of_a_calibrated_predictor_is_near_zero():
    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.5, 1.0, size=200_000)
    correct = rng.random(len(confidence)) < confidence
    labels = np.where(correct, 0, 1)
    proba = np.stack([confidence, 1 - confidence], axis=1)
    assert expected_calibration_error(proba, labels) < 0.01


def test_ece_matches_a_hand_computation():
    proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.3, 0.7]])
    labels = np.array([0, 1, 0, 1])
    # bins (10): 0.9 -> bin 9 (accuracy 0.5, confidence 0.9), 0.6 -> bin 6 (1.0 vs 0.6),
    # 0.7 -> bin 7 (1.0 vs 0.7)
    expected = 0.5 * 0.4 + 0.25 * 0.4 + 0.25 * 0.3
    assert expected_calibration_error(proba, labels, n_bins=10) == pytest.approx(expected)


def test_temperature_scaling_lowers_nll_and_keeps_accuracy():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 5, size=2000)
    logits = rng.normal(size=(2000, 5))
    logits[np.arange(2000), labels] += 1.0
    logits *= 6  # over-confident
    temperature = fit_temperature(logits, labels)
    assert temperature > 1
    before = apply_temperature(logits, 1.0)
    after = apply_temperature(logits, temperature)
    assert negative_log_likelihood(after, labels) < negative_log_likelihood(before, labels)
    np.testing.assert_array_equal(before.argmax(1), after.argmax(1))


@pytest.mark.parametrize(
    ("proba", "labels", "n_bins", "message"),
    [
        ([[0.5, 0.6]], [0], 10, "sum to 1"),
        ([[0.5, 0.5]], [2], 10, "class indices"),
        ([[0.5, 0.5]], [0], 0, "n_bins"),
    ],
)
def test_bad_input(proba, labels, n_bins, message):
    with pytest.raises(ValueError, match=message):
        expected_calibration_error(np.array(proba), np.array(labels), n_bins=n_bins)


def test_empty_validation_split_is_an_error():
    with pytest.raises(ValueError, match="non-empty"):
        fit_temperature(np.zeros((0, 3)), np.zeros(0, int))
