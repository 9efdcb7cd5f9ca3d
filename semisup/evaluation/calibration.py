"""Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax


def _negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    log_proba = log_softmax(logits / temperature, axis=1)
    return float(-log_proba[np.arange(len(labels)), labels].mean())


def fit_temperature(logits, labels, bounds=(0.05, 20.0)) -> float:
    """The temperature T minimising the negative log-likelihood of softmax(logits / T).

    Dividing logits by one positive number never changes the predicted class, only how confident
    the probabilities are; an over-confident network gets T > 1.

    Args:
        logits: N x n_classes array of a classifier's logits on a held-out split.
        labels: N class indices (0 .. n_classes - 1) of that split.
        bounds: search interval for T.

    Returns:
        The fitted temperature.

    Example:
        >>> import numpy as np
        >>> logits = np.array([[4.0, 0.0], [4.0, 0.0], [0.0, 4.0], [0.0, 4.0]])
        >>> round(fit_temperature(logits, np.array([0, 1, 1, 1])), 1) > 1
        True
    """
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    if logits.ndim != 2 or len(logits) == 0:
        raise ValueError(
            f"logits must be a non-empty N x n_classes array, got shape {logits.shape}; "
            "temperature scaling needs a non-empty validation split."
        )
    if labels.shape != (len(logits),):
        raise ValueError(f"labels must have shape ({len(logits)},), got {labels.shape}.")
    if labels.min() < 0 or labels.max() >= logits.shape[1]:
        raise ValueError(
            f"labels must be class indices in [0, {logits.shape[1]}), found "
            f"[{labels.min()}, {labels.max()}]."
        )
    low, high = np.log(bounds[0]), np.log(bounds[1])
    result = minimize_scalar(
        lambda log_t: _negative_log_likelihood(logits, labels, float(np.exp(log_t))),
        bounds=(low, high),
        method="bounded",
    )
    return float(np.exp(result.x))


def apply_temperature(logits, temperature: float) -> np.ndarray:
    """Softmax probabilities of `logits / temperature`."""
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}.")
    return np.exp(log_softmax(np.asarray(logits, dtype=np.float64) / temperature, axis=1))
