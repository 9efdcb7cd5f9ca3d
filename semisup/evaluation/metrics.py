"""Metrics on predicted probabilities: calibration error and log-likelihood."""

from __future__ import annotations

import numpy as np


def _check(proba, labels):
    proba = np.asarray(proba, dtype=np.float64)
    labels = np.asarray(labels)
    if proba.ndim != 2 or len(proba) == 0:
        raise ValueError(f"proba must be a non-empty N x n_classes array, got {proba.shape}.")
    if labels.shape != (len(proba),):
        raise ValueError(f"labels must have shape ({len(proba)},), got {labels.shape}.")
    if not np.allclose(proba.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError("proba rows must sum to 1 (pass probabilities, not logits).")
    if labels.min() < 0 or labels.max() >= proba.shape[1]:
        raise ValueError(
            f"labels must be class indices in [0, {proba.shape[1]}), found "
            f"[{labels.min()}, {labels.max()}]."
        )
    return proba, labels


def expected_calibration_error(proba, labels, n_bins: int = 15) -> float:
    """Expected calibration error with equal-width confidence bins (Guo et al., 2017).

    The sample-weighted mean, over bins, of |accuracy - mean confidence| of the top class.

    Example:
        >>> import numpy as np
        >>> expected_calibration_error(np.array([[0.9, 0.1], [0.9, 0.1]]), np.array([0, 1]))
        0.4
    """
    if not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}.")
    proba, labels = _check(proba, labels)
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == labels
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    error = 0.0
    for index in range(n_bins):
        members = bins == index
        if members.any():
            gap = abs(correct[members].mean() - confidence[members].mean())
            error += members.mean() * gap
    return float(round(error, 12))


def negative_log_likelihood(proba, labels) -> float:
    """Mean negative log-probability of the true class (probabilities clipped at 1e-12)."""
    proba, labels = _check(proba, labels)
    return float(-np.log(np.clip(proba[np.arange(len(labels)), labels], 1e-12, 1.0)).mean())
