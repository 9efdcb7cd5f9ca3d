"""Temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", ICML 2017).

`fit_temperature` and `apply_temperature` work on logits. The benchmark harness keeps
probabilities, not logits, so `fit_temperature_from_proba` and `apply_temperature_to_proba` take
`log(p)` as the logits: softmax(log p) = p, and log p differs from the network's own logits z only
by a per-row constant (log p = z - logsumexp(z)), which softmax(. / T) ignores. Scaling the
probabilities is therefore exactly temperature scaling of the original logits (up to the clip of
p at 1e-12).

`calibration_report` fits T on a validation split and scores a test split before and after;
`cross_fitted_calibration` does the same on one split by cross-fitting, for data sets without a
validation split.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.model_selection import KFold, StratifiedKFold

from semisup.evaluation.metrics import (
    _calibration_bins,
    _check,
    _check_labels,
    _check_n_bins,
    _check_proba,
    _ece,
    _mce,
    negative_log_likelihood,
)

_PROBA_FLOOR = 1e-12


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
    if not np.isfinite(logits).all():
        raise ValueError("logits has NaN or infinite values; check the model's output.")
    labels = _check_labels(labels, len(logits), logits.shape[1])
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


def _proba_logits(proba) -> np.ndarray:
    """log(p), clipped at 1e-12: logits whose softmax is `proba` (up to the clip)."""
    return np.log(np.clip(proba, _PROBA_FLOOR, 1.0))


def fit_temperature_from_proba(proba, labels) -> float:
    """The temperature T minimising the NLL of temperature-scaled probabilities.

    Temperature scaling for a model whose logits were not kept: `log(p)` stands in for the logits
    (see the module docstring for why that is exact).

    Args:
        proba: N x n_classes predicted probabilities on a held-out (validation) split.
        labels: N class indices of that split.

    Returns:
        The fitted temperature (> 1 for an over-confident model, < 1 for an under-confident one).

    Example:
        >>> import numpy as np
        >>> proba = np.array([[0.98, 0.02], [0.98, 0.02], [0.02, 0.98], [0.02, 0.98]])
        >>> fit_temperature_from_proba(proba, np.array([0, 1, 1, 1])) > 1
        True
    """
    if len(np.asarray(proba)) == 0:
        raise ValueError(
            "proba is empty: temperature scaling needs a non-empty validation split to fit on."
        )
    proba, labels = _check(proba, labels)
    return fit_temperature(_proba_logits(proba), labels)


def apply_temperature_to_proba(proba, temperature: float) -> np.ndarray:
    """Probabilities scaled by `temperature`: softmax(log(p) / T).

    T > 1 flattens the probabilities, T < 1 sharpens them, T = 1 returns them (up to the 1e-12
    clip). The predicted class (argmax) of each row does not change, so neither does accuracy.

    Args:
        proba: N x n_classes predicted probabilities.
        temperature: a positive temperature, e.g. from `fit_temperature_from_proba`.

    Returns:
        The scaled N x n_classes probabilities (float64, rows sum to 1).

    Example:
        >>> import numpy as np
        >>> apply_temperature_to_proba(np.array([[0.8, 0.2]]), 2.0).round(3)
        array([[0.667, 0.333]])
    """
    proba = _check_proba(proba)
    return apply_temperature(_proba_logits(proba), temperature)


def _summary(proba: np.ndarray, labels: np.ndarray, n_bins: int) -> dict:
    """Accuracy, ECE, MCE and NLL of already validated probabilities."""
    statistics = _calibration_bins(proba, labels, n_bins)
    return {
        "accuracy": float((proba.argmax(axis=1) == labels).mean()),
        "ece": _ece(statistics),
        "mce": _mce(statistics),
        "nll": negative_log_likelihood(proba, labels),
    }


def calibration_report(proba_val, y_val, proba_test, y_test, n_bins: int = 15) -> dict:
    """Fit a temperature on the validation split; score the test split before and after it.

    Args:
        proba_val: predicted probabilities on the validation split (N_val x n_classes).
        y_val: class indices of the validation split.
        proba_test: predicted probabilities on the test split (N_test x n_classes).
        y_test: class indices of the test split.
        n_bins: confidence bins for the ECE and MCE.

    Returns:
        `{"method": "validation", "temperature", "n_bins", "before", "after"}`, where `before`
        and `after` are `{"accuracy", "ece", "mce", "nll"}` on the test split (accuracy is the
        same in both: scaling never changes the predicted class).

    Example:
        >>> import numpy as np
        >>> proba = np.array([[0.98, 0.02], [0.98, 0.02], [0.02, 0.98], [0.02, 0.98]])
        >>> labels = np.array([0, 1, 1, 1])
        >>> report = calibration_report(proba, labels, proba, labels, n_bins=10)
        >>> report["after"]["nll"] < report["before"]["nll"]
        True
    """
    n_bins = _check_n_bins(n_bins)
    if np.size(proba_val) == 0:
        raise ValueError(
            "the validation split is empty; pass a non-empty one or use cross_fitted_calibration."
        )
    proba_val, y_val = _check(proba_val, y_val)
    proba_test = _check_proba(proba_test, "proba_test")
    if proba_test.shape[1] != proba_val.shape[1]:
        raise ValueError(
            f"proba_val has {proba_val.shape[1]} classes but proba_test has "
            f"{proba_test.shape[1]}; pass both splits' probabilities over the same classes."
        )
    y_test = _check_labels(y_test, len(proba_test), proba_test.shape[1], "y_test")
    temperature = fit_temperature_from_proba(proba_val, y_val)
    scaled = apply_temperature_to_proba(proba_test, temperature)
    return {
        "method": "validation",
        "temperature": temperature,
        "n_bins": n_bins,
        "before": _summary(proba_test, y_test, n_bins),
        "after": _summary(scaled, y_test, n_bins),
    }


def cross_fitted_calibration(
    proba, labels, n_splits: int = 2, random_state=0, n_bins: int = 15
) -> dict:
    """Temperature scaling on a split that is also the one scored, without scoring on fitted data.

    For a data set with no validation split. The samples are cut into `n_splits` folds
    (stratified by class, with scikit-learn's `StratifiedKFold`; plain `KFold` when a class has
    fewer samples than folds); each fold is scaled by a temperature fitted on the other folds,
    and the after-metrics are computed on the reassembled split. No sample is scaled by a
    temperature fitted on itself, so the improvement is not flattered by overfitting T.

    Args:
        proba: N x n_classes predicted probabilities.
        labels: N class indices.
        n_splits: number of folds, 2 .. N.
        random_state: seed of the fold shuffle (int or None).
        n_bins: confidence bins for the ECE and MCE.

    Returns:
        `{"method": "cross-fit:<n_splits>", "temperature" (mean of the folds' temperatures),
        "temperatures" (one per fold), "splitter" ("StratifiedKFold" or "KFold"), "n_bins",
        "before", "after"}` with `before` and `after` as in `calibration_report`.

    Example:
        >>> import numpy as np
        >>> proba = np.tile([[0.98, 0.02], [0.02, 0.98]], (20, 1))
        >>> labels = np.tile([0, 1, 1, 0, 1, 1, 0, 0], 5)
        >>> report = cross_fitted_calibration(proba, labels, n_splits=2, n_bins=10)
        >>> report["method"], len(report["temperatures"])
        ('cross-fit:2', 2)
    """
    n_bins = _check_n_bins(n_bins)
    proba, labels = _check(proba, labels)
    if isinstance(n_splits, bool) or not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
        raise ValueError(f"n_splits must be an integer >= 2, got {n_splits!r}.")
    if n_splits > len(labels):
        raise ValueError(
            f"n_splits={n_splits} is more folds than the {len(labels)} samples; pass a smaller "
            "n_splits."
        )
    smallest_class = np.unique(labels, return_counts=True)[1].min()
    if smallest_class >= n_splits:
        splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    else:
        splitter = KFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    scaled = np.empty_like(proba)
    temperatures = []
    for fit_index, held_out_index in splitter.split(proba, labels):
        temperature = fit_temperature_from_proba(proba[fit_index], labels[fit_index])
        scaled[held_out_index] = apply_temperature_to_proba(proba[held_out_index], temperature)
        temperatures.append(temperature)
    return {
        "method": f"cross-fit:{n_splits}",
        "temperature": float(np.mean(temperatures)),
        "temperatures": temperatures,
        "splitter": type(splitter).__name__,
        "n_bins": n_bins,
        "before": _summary(proba, labels, n_bins),
        "after": _summary(scaled, labels, n_bins),
    }
