"""Metrics on predicted probabilities: calibration error, log-likelihood, classification scores.

Every function takes `proba`, an N x n_classes array of predicted class probabilities (rows sum to
1), and `labels`, N integer class indices in [0, n_classes). Calibration uses equal-width bins of
the top-class confidence: sample i goes to bin `min(floor(confidence_i * n_bins), n_bins - 1)`, so
bin b covers [b / n_bins, (b + 1) / n_bins) and the last bin also holds a confidence of exactly 1.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)


def _check_proba(proba, name: str = "proba") -> np.ndarray:
    """`proba` as a float64 N x n_classes array of finite, non-negative rows that sum to 1."""
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2 or len(proba) == 0:
        raise ValueError(f"{name} must be a non-empty N x n_classes array, got {proba.shape}.")
    if not np.isfinite(proba).all():
        rows = np.flatnonzero(~np.isfinite(proba).all(axis=1))
        raise ValueError(
            f"{name} has NaN or infinite values in {len(rows)} row(s), first at row {rows[0]}; "
            "check the model's output (a diverged training run gives NaN)."
        )
    if (proba < 0).any():
        raise ValueError(
            f"{name} has negative values (smallest {proba.min():.3g}); pass probabilities "
            "(a softmax output), not logits or scores."
        )
    if not np.allclose(proba.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError(f"{name} rows must sum to 1 (pass probabilities, not logits).")
    return proba


def _check_labels(labels, n_rows: int, n_classes: int, name: str = "labels") -> np.ndarray:
    """`labels` as an int64 vector of `n_rows` class indices in [0, n_classes)."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of class indices, got shape {labels.shape}; "
            "pass integer labels, not one-hot rows."
        )
    if len(labels) != n_rows:
        raise ValueError(
            f"{name} must have shape ({n_rows},), got {labels.shape}: mismatched lengths, the "
            f"probabilities have {n_rows} rows; pass one label per row."
        )
    if (
        labels.dtype.kind == "f"
        and np.isfinite(labels).all()
        and (labels == np.round(labels)).all()
    ):
        labels = labels.astype(np.int64)  # whole numbers stored as floats, say from a CSV
    if labels.dtype.kind not in "iu":
        raise ValueError(
            f"{name} must be integer class indices, got dtype {labels.dtype} "
            f"(first values {labels[:3].tolist()}); encode class names as 0 .. n_classes - 1 "
            "first, e.g. with sklearn.preprocessing.LabelEncoder."
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"{name} must be class indices in [0, {n_classes}), found "
            f"[{labels.min()}, {labels.max()}]; an unlabeled sample (-1) has no score, drop it "
            "first."
        )
    return labels.astype(np.int64)


def _check(proba, labels):
    proba = _check_proba(proba)
    labels = _check_labels(labels, len(proba), proba.shape[1])
    return proba, labels


def _check_n_bins(n_bins) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}.")
    return int(n_bins)


def _calibration_bins(proba: np.ndarray, labels: np.ndarray, n_bins: int) -> list[tuple]:
    """Per equal-width bin: (count, fraction of samples, mean confidence, accuracy).

    Mean confidence and accuracy are None for an empty bin. The one place the bins are computed,
    so the ECE, the MCE and a reliability diagram always describe the same bins.
    """
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == labels
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    statistics = []
    for index in range(n_bins):
        members = bins == index
        if members.any():
            statistics.append(
                (
                    int(members.sum()),
                    members.mean(),
                    confidence[members].mean(),
                    correct[members].mean(),
                )
            )
        else:
            statistics.append((0, 0.0, None, None))
    return statistics


def _ece(statistics: list[tuple]) -> float:
    error = 0.0
    for _, weight, confidence, accuracy in statistics:
        if confidence is not None:
            error += weight * abs(accuracy - confidence)
    return float(round(error, 12))


def _mce(statistics: list[tuple]) -> float:
    gaps = [
        abs(accuracy - confidence)
        for _, _, confidence, accuracy in statistics
        if accuracy is not None
    ]
    return float(round(max(gaps), 12))


def expected_calibration_error(proba, labels, n_bins: int = 15) -> float:
    """Expected calibration error with equal-width confidence bins (Guo et al., 2017).

    The sample-weighted mean, over bins, of |accuracy - mean confidence| of the top class.

    Example:
        >>> import numpy as np
        >>> expected_calibration_error(np.array([[0.9, 0.1], [0.9, 0.1]]), np.array([0, 1]))
        0.4
    """
    n_bins = _check_n_bins(n_bins)
    proba, labels = _check(proba, labels)
    return _ece(_calibration_bins(proba, labels, n_bins))


def maximum_calibration_error(proba, labels, n_bins: int = 15) -> float:
    """Maximum calibration error: the largest |accuracy - mean confidence| over non-empty bins.

    Uses the same equal-width bins as `expected_calibration_error`. Unlike the ECE it does not
    weigh bins by their size, so one bin of a handful of samples can set it: read it next to the
    bin counts (`reliability_bins`).

    Args:
        proba: N x n_classes predicted probabilities.
        labels: N class indices.
        n_bins: number of equal-width confidence bins in [0, 1].

    Returns:
        The MCE, in [0, 1].

    Example:
        >>> import numpy as np
        >>> proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4]])
        >>> maximum_calibration_error(proba, np.array([0, 1, 0]), n_bins=10)
        0.4
    """
    n_bins = _check_n_bins(n_bins)
    proba, labels = _check(proba, labels)
    return _mce(_calibration_bins(proba, labels, n_bins))


def reliability_bins(proba, labels, n_bins: int = 15) -> dict:
    """The numbers behind a reliability diagram: per equal-width bin, count, confidence, accuracy.

    Args:
        proba: N x n_classes predicted probabilities.
        labels: N class indices.
        n_bins: number of equal-width confidence bins in [0, 1].

    Returns:
        A dict of plain Python values: `"edges"` (n_bins + 1 floats from 0 to 1), `"counts"`
        (samples per bin), `"mean_confidence"` and `"accuracy"` (per bin, None for an empty bin),
        `"ece"` and `"mce"` (exactly `expected_calibration_error` and
        `maximum_calibration_error` of the same input), `"n"` (number of samples).

    Example:
        >>> import numpy as np
        >>> bins = reliability_bins(np.array([[0.9, 0.1], [0.9, 0.1]]), np.array([0, 1]), 2)
        >>> bins["counts"], bins["accuracy"], bins["ece"]
        ([0, 2], [None, 0.5], 0.4)
    """
    n_bins = _check_n_bins(n_bins)
    proba, labels = _check(proba, labels)
    statistics = _calibration_bins(proba, labels, n_bins)
    return {
        "edges": [float(edge) for edge in np.linspace(0.0, 1.0, n_bins + 1)],
        "counts": [count for count, _, _, _ in statistics],
        "mean_confidence": [None if c is None else float(c) for _, _, c, _ in statistics],
        "accuracy": [None if a is None else float(a) for _, _, _, a in statistics],
        "ece": _ece(statistics),
        "mce": _mce(statistics),
        "n": len(labels),
    }


def negative_log_likelihood(proba, labels) -> float:
    """Mean negative log-probability of the true class (probabilities clipped at 1e-12)."""
    proba, labels = _check(proba, labels)
    return float(-np.log(np.clip(proba[np.arange(len(labels)), labels], 1e-12, 1.0)).mean())


def _roc_auc_ovr(proba: np.ndarray, labels: np.ndarray, present: np.ndarray) -> float | None:
    """Macro one-vs-rest ROC AUC over the classes present in `labels`.

    A class absent from `labels` has no positives, so no AUC; its column is dropped and each row
    renormalised over the present classes (scikit-learn wants rows that sum to 1). A row that gave
    the present classes no probability at all carries no ranking information and becomes uniform.
    """
    if len(present) < 2:
        return None
    scores = proba[:, present]
    totals = scores.sum(axis=1, keepdims=True)
    uniform = np.full_like(scores, 1.0 / len(present))
    scores = np.divide(scores, totals, out=uniform, where=totals > 0)
    if len(present) == 2:
        return float(roc_auc_score(labels == present[1], scores[:, 1]))
    return float(roc_auc_score(labels, scores, multi_class="ovr", average="macro", labels=present))


def classification_metrics(proba, labels, n_bins: int = 15, class_names=None) -> dict:
    """Accuracy, macro and per-class precision/recall/F1, ROC AUC, NLL, ECE, MCE, confusion matrix.

    Macro averages run over the classes present in `labels` (a class absent from the split has
    no recall or F1 worth averaging); per-class scores cover every column of `proba`, with 0 where
    a score is undefined (scikit-learn's `zero_division=0`). The predicted class is the argmax.

    Args:
        proba: N x n_classes predicted probabilities.
        labels: N class indices.
        n_bins: confidence bins for the ECE and MCE.
        class_names: one name per class (default: the class indices as strings).

    Returns:
        A dict of plain Python values: `"accuracy"`, `"macro_precision"`, `"macro_recall"`,
        `"macro_f1"`, `"per_class"` (`{"precision", "recall", "f1", "support"}`, one list entry
        per class), `"roc_auc_ovr"` (macro one-vs-rest over the present classes, None with fewer
        than two), `"nll"`, `"ece"`, `"mce"`, `"confusion_matrix"` (rows true class, columns
        predicted), `"class_names"`, `"classes_present"`, `"n"`.

    Example:
        >>> import numpy as np
        >>> proba = np.array([[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.6, 0.3, 0.1]])
        >>> metrics = classification_metrics(proba, np.array([0, 1, 1]))
        >>> metrics["accuracy"], metrics["per_class"]["support"], metrics["confusion_matrix"][1]
        (0.6666666666666666, [1, 2, 0], [1, 1, 0])
    """
    n_bins = _check_n_bins(n_bins)
    proba, labels = _check(proba, labels)
    n_classes = proba.shape[1]
    if class_names is None:
        class_names = [str(index) for index in range(n_classes)]
    class_names = [str(name) for name in class_names]
    if len(class_names) != n_classes:
        raise ValueError(
            f"class_names has {len(class_names)} names for {n_classes} probability columns; "
            "pass one name per class."
        )
    predicted = proba.argmax(axis=1)
    present = np.unique(labels)
    all_classes = np.arange(n_classes)
    macro = precision_recall_fscore_support(
        labels, predicted, labels=present, average="macro", zero_division=0
    )
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predicted, labels=all_classes, average=None, zero_division=0
    )
    statistics = _calibration_bins(proba, labels, n_bins)
    return {
        "accuracy": float(accuracy_score(labels, predicted)),
        "macro_precision": float(macro[0]),
        "macro_recall": float(macro[1]),
        "macro_f1": float(macro[2]),
        "per_class": {
            "precision": [float(value) for value in precision],
            "recall": [float(value) for value in recall],
            "f1": [float(value) for value in f1],
            "support": [int(value) for value in support],
        },
        "roc_auc_ovr": _roc_auc_ovr(proba, labels, present),
        "nll": negative_log_likelihood(proba, labels),
        "ece": _ece(statistics),
        "mce": _mce(statistics),
        "confusion_matrix": confusion_matrix(labels, predicted, labels=all_classes).tolist(),
        "class_names": class_names,
        "classes_present": [int(index) for index in present],
        "n": len(labels),
    }
