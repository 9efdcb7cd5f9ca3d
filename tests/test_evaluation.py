import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

from semisup.evaluation import (
    apply_temperature,
    apply_temperature_to_proba,
    calibration_report,
    classification_metrics,
    cross_fitted_calibration,
    expected_calibration_error,
    fit_temperature,
    fit_temperature_from_proba,
    maximum_calibration_error,
    negative_log_likelihood,
    plot_feature_embedding,
    plot_per_class_metrics,
    plot_reliability_diagram,
    reliability_bins,
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


# ------------------------------------------------------------------------------------------
# calibration error: ECE, MCE and the reliability bins behind them


def _softmax(logits):
    from scipy.special import softmax

    return softmax(logits, axis=1)


def _over_confident(n=2000, n_classes=5, sharpness=6.0, seed=1):
    """Probabilities of a synthetic model that is right ~60% of the time but ~100% sure."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, size=n)
    logits = rng.normal(size=(n, n_classes))
    logits[np.arange(n), labels] += 1.0
    return logits * sharpness, labels


def test_ece_of_labels_drawn_from_the_predicted_probabilities_is_near_zero():
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.full(4, 0.5), size=50_000)
    # each label drawn from its own row: the model is calibrated by construction
    labels = (rng.random((len(proba), 1)) > proba.cumsum(axis=1)).sum(axis=1)
    assert expected_calibration_error(proba, labels) < 0.02
    assert reliability_bins(proba, labels)["ece"] < 0.02


def test_ece_of_a_constant_over_confident_predictor():
    # always 80% sure of class 0, right half the time: one bin, gap 0.3
    proba = np.tile([0.8, 0.2], (10, 1))
    labels = np.array([0, 1] * 5)
    assert expected_calibration_error(proba, labels, n_bins=5) == pytest.approx(0.3)
    assert maximum_calibration_error(proba, labels, n_bins=5) == pytest.approx(0.3)


def test_mce_matches_a_hand_computation():
    proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.75, 0.25]])
    labels = np.array([0, 1, 0, 1, 1])
    # bins (10): bin 9 accuracy 0.5 vs 0.9 (gap 0.4); bin 6: 1.0 vs 0.6 (0.4);
    # bin 7: {0.7 right, 0.75 wrong} accuracy 0.5 vs 0.725 (0.225); the other bins are empty
    assert maximum_calibration_error(proba, labels, n_bins=10) == pytest.approx(0.4)
    expected_ece = 0.4 * 0.4 + 0.2 * 0.4 + 0.4 * 0.225
    assert expected_calibration_error(proba, labels, n_bins=10) == pytest.approx(expected_ece)


def test_mce_counts_a_bin_with_no_correct_prediction():
    proba = np.array([[0.7, 0.3], [0.95, 0.05]])
    labels = np.array([1, 0])  # bin 7: accuracy 0 vs 0.7; bin 9: 1.0 vs 0.95
    assert maximum_calibration_error(proba, labels, n_bins=10) == pytest.approx(0.7)


def test_reliability_bins_agree_with_ece_and_mce():
    logits, labels = _over_confident(n=500)
    proba = _softmax(logits)
    bins = reliability_bins(proba, labels, n_bins=12)
    assert json.loads(json.dumps(bins)) == bins  # plain Python values only
    assert bins["ece"] == expected_calibration_error(proba, labels, n_bins=12)
    assert bins["mce"] == maximum_calibration_error(proba, labels, n_bins=12)
    assert bins["n"] == 500 and sum(bins["counts"]) == 500
    assert bins["edges"] == pytest.approx(np.linspace(0, 1, 13).tolist())
    assert len(bins["counts"]) == len(bins["accuracy"]) == len(bins["mean_confidence"]) == 12
    gaps, weighted = [], 0.0
    for count, accuracy, confidence, low, high in zip(
        bins["counts"],
        bins["accuracy"],
        bins["mean_confidence"],
        bins["edges"][:-1],
        bins["edges"][1:],
    ):
        if count == 0:
            assert accuracy is None and confidence is None
            continue
        assert low - 1e-9 <= confidence <= high + 1e-9
        gaps.append(abs(accuracy - confidence))
        weighted += count / 500 * abs(accuracy - confidence)
    assert bins["ece"] == pytest.approx(weighted, abs=1e-12)
    assert bins["mce"] == pytest.approx(max(gaps), abs=1e-12)
    assert 0 in bins["counts"]  # the test covers empty bins too


# ------------------------------------------------------------------------------------------
# classification metrics


def test_classification_metrics_match_sklearn():
    from sklearn.metrics import confusion_matrix, f1_score, precision_score, roc_auc_score

    logits, labels = _over_confident(n=300, n_classes=4, sharpness=1.0, seed=3)
    proba = _softmax(logits)
    predicted = proba.argmax(axis=1)
    metrics = classification_metrics(proba, labels, n_bins=10, class_names=list("abcd"))
    assert json.loads(json.dumps(metrics)) == metrics
    assert metrics["accuracy"] == pytest.approx((predicted == labels).mean())
    assert metrics["macro_f1"] == pytest.approx(f1_score(labels, predicted, average="macro"))
    assert metrics["macro_precision"] == pytest.approx(
        precision_score(labels, predicted, average="macro")
    )
    np.testing.assert_allclose(
        metrics["per_class"]["f1"], f1_score(labels, predicted, average=None)
    )
    assert metrics["per_class"]["support"] == np.bincount(labels, minlength=4).tolist()
    assert metrics["roc_auc_ovr"] == pytest.approx(roc_auc_score(labels, proba, multi_class="ovr"))
    assert metrics["confusion_matrix"] == confusion_matrix(labels, predicted).tolist()
    assert metrics["nll"] == negative_log_likelihood(proba, labels)
    assert metrics["ece"] == expected_calibration_error(proba, labels, n_bins=10)
    assert metrics["mce"] == maximum_calibration_error(proba, labels, n_bins=10)
    assert metrics["class_names"] == list("abcd") and metrics["n"] == 300


def test_classification_metrics_with_a_class_absent_from_the_labels():
    from sklearn.metrics import f1_score, roc_auc_score

    proba = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.4, 0.1, 0.5]])
    labels = np.array([0, 0, 2, 2])  # class 1 never occurs, but is predicted once
    metrics = classification_metrics(proba, labels)
    assert metrics["classes_present"] == [0, 2]
    assert metrics["per_class"]["support"] == [2, 0, 2]
    assert metrics["per_class"]["recall"] == [0.5, 0.0, 1.0]
    assert metrics["per_class"]["precision"] == [1.0, 0.0, 1.0]
    # macro averages over the present classes only
    predicted = proba.argmax(axis=1)
    assert metrics["macro_f1"] == pytest.approx(
        f1_score(labels, predicted, labels=[0, 2], average="macro")
    )
    assert metrics["macro_recall"] == pytest.approx(0.75)
    # ROC AUC on the present classes' renormalised columns
    renormalised = proba[:, 2] / (proba[:, 0] + proba[:, 2])
    assert metrics["roc_auc_ovr"] == pytest.approx(roc_auc_score(labels == 2, renormalised))
    assert metrics["confusion_matrix"] == [[1, 1, 0], [0, 0, 0], [0, 0, 2]]


def test_classification_metrics_with_three_of_four_classes_present():
    from sklearn.metrics import roc_auc_score

    logits, labels = _over_confident(n=200, n_classes=4, sharpness=1.0, seed=4)
    labels[labels == 3] = 0
    proba = _softmax(logits)
    restricted = proba[:, :3] / proba[:, :3].sum(axis=1, keepdims=True)
    expected = roc_auc_score(labels, restricted, multi_class="ovr")
    assert classification_metrics(proba, labels)["roc_auc_ovr"] == pytest.approx(expected)


def test_roc_auc_is_none_with_a_single_class_present():
    proba = np.array([[0.7, 0.3], [0.4, 0.6]])
    metrics = classification_metrics(proba, np.array([1, 1]))
    assert metrics["roc_auc_ovr"] is None
    assert metrics["accuracy"] == 0.5


# ------------------------------------------------------------------------------------------
# temperature scaling on probabilities, and calibration reports


def test_temperature_scaling_on_probabilities_lowers_nll_and_keeps_accuracy():
    logits, labels = _over_confident()
    proba = _softmax(logits)
    temperature = fit_temperature_from_proba(proba, labels)
    assert temperature > 1
    scaled = apply_temperature_to_proba(proba, temperature)
    assert negative_log_likelihood(scaled, labels) < negative_log_likelihood(proba, labels)
    assert expected_calibration_error(scaled, labels) < expected_calibration_error(proba, labels)
    np.testing.assert_array_equal(scaled.argmax(axis=1), proba.argmax(axis=1))
    np.testing.assert_allclose(scaled.sum(axis=1), 1.0)


def test_temperature_on_probabilities_equals_temperature_on_logits():
    logits, labels = _over_confident(sharpness=2.0)
    proba = _softmax(logits)
    np.testing.assert_allclose(
        apply_temperature_to_proba(proba, 1.7), apply_temperature(logits, 1.7), atol=1e-9
    )
    np.testing.assert_allclose(apply_temperature_to_proba(proba, 1.0), proba, atol=1e-12)
    assert fit_temperature_from_proba(proba, labels) == pytest.approx(
        fit_temperature(logits, labels), rel=1e-3
    )


def test_an_under_confident_model_gets_a_temperature_below_one():
    logits, labels = _over_confident(sharpness=0.3)
    proba = _softmax(logits)
    temperature = fit_temperature_from_proba(proba, labels)
    assert temperature < 1
    scaled = apply_temperature_to_proba(proba, temperature)
    np.testing.assert_array_equal(scaled.argmax(axis=1), proba.argmax(axis=1))


@pytest.mark.parametrize("temperature", [0.1, 0.5, 3.0, 20.0])
def test_temperature_never_changes_the_predicted_class(temperature):
    rng = np.random.default_rng(5)
    proba = rng.dirichlet(np.full(10, 0.3), size=1000)
    scaled = apply_temperature_to_proba(proba, temperature)
    np.testing.assert_array_equal(scaled.argmax(axis=1), proba.argmax(axis=1))


REPORT_KEYS = {"method", "temperature", "n_bins", "before", "after"}
SUMMARY_KEYS = {"accuracy", "ece", "mce", "nll"}


def test_calibration_report_on_a_validation_split():
    logits, labels = _over_confident(n=1200)
    proba = _softmax(logits)
    report = calibration_report(proba[:600], labels[:600], proba[600:], labels[600:], n_bins=10)
    assert json.loads(json.dumps(report)) == report
    assert set(report) == REPORT_KEYS
    assert set(report["before"]) == set(report["after"]) == SUMMARY_KEYS
    assert report["method"] == "validation" and report["n_bins"] == 10
    assert report["temperature"] == fit_temperature_from_proba(proba[:600], labels[:600])
    assert report["after"]["nll"] < report["before"]["nll"]
    assert report["after"]["accuracy"] == report["before"]["accuracy"]
    assert report["before"]["ece"] == expected_calibration_error(proba[600:], labels[600:], 10)


def test_cross_fitted_calibration():
    logits, labels = _over_confident(n=900)
    proba = _softmax(logits)
    report = cross_fitted_calibration(proba, labels, n_splits=3, random_state=0, n_bins=10)
    assert json.loads(json.dumps(report)) == report
    assert set(report) == REPORT_KEYS | {"temperatures", "splitter"}
    assert report["method"] == "cross-fit:3" and report["splitter"] == "StratifiedKFold"
    assert len(report["temperatures"]) == 3
    assert report["temperature"] == pytest.approx(np.mean(report["temperatures"]))
    assert all(temperature > 1 for temperature in report["temperatures"])
    assert report["after"]["nll"] < report["before"]["nll"]
    assert report["after"]["accuracy"] == report["before"]["accuracy"]
    assert report["before"]["nll"] == negative_log_likelihood(proba, labels)
    assert cross_fitted_calibration(proba, labels, n_splits=3, random_state=0, n_bins=10) == report


def test_cross_fitted_calibration_falls_back_to_plain_folds_for_a_rare_class():
    logits, labels = _over_confident(n=60, n_classes=3)
    labels[labels == 2] = 0
    labels[0] = 2  # one sample of class 2: too few to stratify over 2 folds
    report = cross_fitted_calibration(_softmax(logits), labels, n_splits=2)
    assert report["splitter"] == "KFold" and len(report["temperatures"]) == 2


# ------------------------------------------------------------------------------------------
# bad input: a ValueError that says what was wrong

GOOD_PROBA = [[0.7, 0.3], [0.2, 0.8]]

BAD_INPUTS = [
    ([[0.5, 0.6], [0.2, 0.8]], [0, 1], "sum to 1"),
    ([[0.7, 0.3], [0.2, 0.8]], [0, 2], "class indices in \\[0, 2\\)"),
    ([[0.7, 0.3], [0.2, 0.8]], [-1, 1], "unlabeled"),
    ([[0.7, 0.3], [0.2, 0.8]], [0, 0.5], "integer class indices"),
    ([[0.7, 0.3], [0.2, 0.8]], ["cat", "dog"], "LabelEncoder"),
    ([[np.nan, 0.3], [0.2, 0.8]], [0, 1], "NaN or infinite"),
    ([[np.inf, 0.3], [0.2, 0.8]], [0, 1], "NaN or infinite"),
    ([[1.2, -0.2], [0.2, 0.8]], [0, 1], "negative"),
    ([[0.7, 0.3], [0.2, 0.8]], [0, 1, 1], "mismatched lengths"),
    ([[0.7, 0.3], [0.2, 0.8]], [[1, 0], [0, 1]], "1-D"),
    (np.zeros((0, 2)), [], "non-empty"),
]


@pytest.mark.parametrize(
    "function",
    [
        expected_calibration_error,
        maximum_calibration_error,
        reliability_bins,
        classification_metrics,
        negative_log_likelihood,
        fit_temperature_from_proba,
        cross_fitted_calibration,
    ],
    ids=lambda function: function.__name__,
)
@pytest.mark.parametrize(("proba", "labels", "message"), BAD_INPUTS)
def test_bad_proba_or_labels(function, proba, labels, message):
    with pytest.raises(ValueError, match=message):
        function(np.array(proba), np.array(labels))


@pytest.mark.parametrize(
    "function",
    [
        expected_calibration_error,
        maximum_calibration_error,
        reliability_bins,
        classification_metrics,
        cross_fitted_calibration,
    ],
    ids=lambda function: function.__name__,
)
@pytest.mark.parametrize("n_bins", [0, -3, 2.5, "10", True, None])
def test_bad_bin_count(function, n_bins):
    with pytest.raises(ValueError, match="n_bins must be an integer >= 1"):
        function(np.array(GOOD_PROBA), np.array([0, 1]), n_bins=n_bins)


def test_bad_bin_count_in_calibration_report():
    proba, labels = np.array(GOOD_PROBA), np.array([0, 1])
    with pytest.raises(ValueError, match="n_bins"):
        calibration_report(proba, labels, proba, labels, n_bins=0)


@pytest.mark.parametrize("empty", [np.zeros((0, 2)), np.array([]), []])
def test_calibration_report_with_an_empty_validation_split(empty):
    proba, labels = np.array(GOOD_PROBA), np.array([0, 1])
    with pytest.raises(
        ValueError,
        match="the validation split is empty; pass a non-empty one or use cross_fitted_calibration",
    ):
        calibration_report(empty, np.array([], dtype=int), proba, labels)


def test_calibration_report_checks_the_test_split_too():
    proba, labels = np.array(GOOD_PROBA), np.array([0, 1])
    with pytest.raises(ValueError, match="y_test must have shape \\(2,\\)"):
        calibration_report(proba, labels, proba, np.array([0]))
    with pytest.raises(ValueError, match="same classes"):
        calibration_report(proba, labels, np.array([[0.2, 0.3, 0.5]]), np.array([0]))
    with pytest.raises(ValueError, match="proba_test has NaN"):
        calibration_report(proba, labels, np.array([[np.nan, 1.0]]), np.array([0]))


@pytest.mark.parametrize(("n_splits", "message"), [(1, ">= 2"), (2.0, ">= 2"), (5, "smaller")])
def test_cross_fit_bad_number_of_folds(n_splits, message):
    with pytest.raises(ValueError, match=message):
        cross_fitted_calibration(np.array(GOOD_PROBA * 2), np.array([0, 1] * 2), n_splits=n_splits)


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("nan")])
def test_bad_temperature(temperature):
    with pytest.raises(ValueError, match="temperature must be positive"):
        apply_temperature_to_proba(np.array(GOOD_PROBA), temperature)


def test_bad_proba_when_applying_a_temperature():
    with pytest.raises(ValueError, match="negative"):
        apply_temperature_to_proba(np.array([[1.5, -0.5]]), 2.0)


def test_class_names_must_match_the_columns():
    with pytest.raises(ValueError, match="one name per class"):
        classification_metrics(np.array(GOOD_PROBA), np.array([0, 1]), class_names=["a"])


def test_fit_temperature_rejects_non_integer_labels():
    with pytest.raises(ValueError, match="integer class indices"):
        fit_temperature(np.zeros((2, 2)), np.array([0.5, 1.0]))


def test_whole_numbers_stored_as_floats_are_accepted_as_labels():
    proba = np.array(GOOD_PROBA)
    assert expected_calibration_error(proba, np.array([0.0, 1.0])) == (
        expected_calibration_error(proba, np.array([0, 1]))
    )


# ------------------------------------------------------------------------------------------
# plots: each writes a PNG and returns what it drew


def _is_png(path):
    data = Path(path).read_bytes()
    return len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"


def test_reliability_diagram(tmp_path):
    logits, labels = _over_confident(n=600)
    proba = _softmax(logits)
    temperature = fit_temperature_from_proba(proba, labels)
    before = reliability_bins(proba, labels, n_bins=10)
    after = reliability_bins(apply_temperature_to_proba(proba, temperature), labels, n_bins=10)
    numbers = plot_reliability_diagram(
        {"before T": before, f"after T={temperature:.1f}": after}, tmp_path / "reliability.png"
    )
    assert _is_png(tmp_path / "reliability.png")
    assert numbers["path"] == str(tmp_path / "reliability.png")
    assert list(numbers["panels"]) == ["before T", f"after T={temperature:.1f}"]
    for drawn, bins in zip(numbers["panels"].values(), (before, after)):
        assert drawn["counts"] == bins["counts"] and drawn["n"] == 600
        assert drawn["accuracy"] == bins["accuracy"]
        assert drawn["mean_confidence"] == bins["mean_confidence"]
        assert (drawn["ece"], drawn["mce"]) == (bins["ece"], bins["mce"])
    assert numbers["count_scale"] in ("linear", "log")
    assert json.loads(json.dumps(numbers)) == numbers


def test_reliability_diagram_uses_a_log_axis_for_skewed_counts(tmp_path):
    proba = np.array([[0.99, 0.01]] * 500 + [[0.55, 0.45]] * 2)
    labels = np.zeros(502, dtype=int)
    numbers = plot_reliability_diagram(
        {"skewed": reliability_bins(proba, labels, 10)}, tmp_path / "r.png"
    )
    assert numbers["count_scale"] == "log"
    assert numbers["panels"]["skewed"]["counts"][5] == 2


@pytest.mark.parametrize(
    ("panels", "message"),
    [
        ({}, "no panel"),
        ({"a": {"counts": [1]}}, "reliability_bins"),
        (
            {
                "a": {
                    "edges": [0, 1],
                    "counts": [1, 2],
                    "mean_confidence": [0.5],
                    "accuracy": [0.5],
                    "ece": 0.0,
                    "mce": 0.0,
                }
            },
            "edges",
        ),
        (
            {
                "a": {
                    "edges": [0, 1],
                    "counts": [0],
                    "mean_confidence": [None],
                    "accuracy": [None],
                    "ece": 0.0,
                    "mce": 0.0,
                }
            },
            "no samples",
        ),
    ],
)
def test_reliability_diagram_with_nothing_to_draw(tmp_path, panels, message):
    with pytest.raises(ValueError, match=message):
        plot_reliability_diagram(panels, tmp_path / "r.png")
    assert not (tmp_path / "r.png").exists()


def test_per_class_metrics_plot(tmp_path):
    proba = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.4, 0.1, 0.5]])
    metrics = classification_metrics(proba, np.array([0, 0, 2, 2]))
    numbers = plot_per_class_metrics(
        metrics["per_class"], ["cat", "dog", "bird"], tmp_path / "per_class.png", title="t"
    )
    assert _is_png(tmp_path / "per_class.png")
    assert numbers["class_names"] == ["cat", "dog", "bird"]
    for key in ("precision", "recall", "f1", "support"):
        assert numbers[key] == pytest.approx(metrics["per_class"][key])
    assert numbers["support"] == [2, 0, 2]


def test_per_class_metrics_plot_leaves_a_gap_for_a_missing_score(tmp_path):
    numbers = plot_per_class_metrics(
        {"precision": [0.5, None], "recall": [0.4, 0.3], "f1": [0.45, None]},
        ["a", "b"],
        tmp_path / "p.png",
    )
    assert numbers["precision"] == [0.5, None] and numbers["support"] is None


@pytest.mark.parametrize(
    ("per_class", "names", "message"),
    [
        ({"precision": [], "recall": [], "f1": []}, [], "no per-class score"),
        ({"precision": [0.5], "recall": [0.5]}, ["a"], "lacks \\['f1'\\]"),
        ({"precision": [0.5], "recall": [0.5], "f1": [0.5]}, ["a", "b"], "one per class"),
    ],
)
def test_per_class_metrics_plot_bad_input(tmp_path, per_class, names, message):
    with pytest.raises(ValueError, match=message):
        plot_per_class_metrics(per_class, names, tmp_path / "p.png")


def _clustered_features(n_per_class=40, n_classes=3, dims=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=5.0, size=(n_classes, dims))
    labels = np.repeat(np.arange(n_classes), n_per_class)
    return centres[labels] + rng.normal(size=(len(labels), dims)), labels


def test_feature_embedding_with_pca(tmp_path):
    from sklearn.decomposition import PCA

    features, labels = _clustered_features()
    numbers = plot_feature_embedding(
        features, labels, tmp_path / "embedding.png", class_names=["a", "b", "c"], method="pca"
    )
    assert _is_png(tmp_path / "embedding.png")
    assert numbers["method"] == "pca" and numbers["n_points"] == 120
    assert numbers["labels"] == labels.tolist() and numbers["indices"] == list(range(120))
    pca = PCA(n_components=2).fit(features)
    np.testing.assert_allclose(numbers["coordinates"], pca.transform(features), atol=1e-8)
    np.testing.assert_allclose(numbers["explained_variance_ratio"], pca.explained_variance_ratio_)
    assert json.loads(json.dumps(numbers)) == numbers


def test_feature_embedding_subsamples_by_class_with_a_seed(tmp_path):
    features, labels = _clustered_features(n_per_class=100)
    labels[:50] = -1  # unlabeled samples are drawn too, in grey
    features = features.reshape(300, 2, 3)  # a feature map is flattened
    first = plot_feature_embedding(
        features, labels, tmp_path / "a.png", method="pca", max_points=60
    )
    again = plot_feature_embedding(
        features, labels, tmp_path / "b.png", method="pca", max_points=60
    )
    assert first["n_points"] == 60 and first == {**again, "path": first["path"]}
    assert first["labels"] == labels[first["indices"]].tolist()
    assert np.bincount(np.array(first["labels"]) + 1).tolist() == [10, 10, 20, 20]


def test_feature_embedding_auto_and_umap_without_umap_learn(tmp_path):
    if importlib.util.find_spec("umap") is not None:
        pytest.skip("umap-learn is installed")
    features, labels = _clustered_features()
    assert plot_feature_embedding(features, labels, tmp_path / "e.png")["method"] == "pca"
    with pytest.raises(ValueError, match="umap-learn"):
        plot_feature_embedding(features, labels, tmp_path / "u.png", method="umap")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"method": "tsne"}, "method must be one of"),
        ({"max_points": 1}, "max_points"),
        ({"features": np.zeros((5,))}, "N x D"),
        ({"features": np.zeros((5, 1))}, "at least 2 dimensions"),
        ({"features": np.full((5, 3), np.nan)}, "NaN"),
        ({"labels": [0, 1, 2]}, "one per feature row"),
        ({"labels": [0.5] * 5}, "integer class indices"),
        ({"class_names": ["a"]}, "class_names"),
    ],
)
def test_feature_embedding_bad_input(tmp_path, change, message):
    arguments = {"features": np.eye(5, 3), "labels": [0, 1, 1, 0, 1], "method": "pca", **change}
    with pytest.raises(ValueError, match=message):
        plot_feature_embedding(path=tmp_path / "e.png", **arguments)


# ------------------------------------------------------------------------------------------
# the documentation's examples run


_DOC_EXAMPLES = re.findall(
    r"```python\n(.*?)\n```",
    (Path(__file__).resolve().parents[1] / "docs" / "evaluation.md").read_text(),
    flags=re.S,
)


def test_docs_have_their_examples():
    assert len(_DOC_EXAMPLES) >= 6


# one test per example (each stands alone), so that pytest-xdist's workers share them
@pytest.mark.parametrize("index", range(len(_DOC_EXAMPLES)))
def test_docs_examples_run(tmp_path, monkeypatch, index):
    monkeypatch.chdir(tmp_path)
    exec(compile(_DOC_EXAMPLES[index], f"docs/evaluation.md, example {index + 1}", "exec"), {})
