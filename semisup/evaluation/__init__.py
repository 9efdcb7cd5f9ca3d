"""Evaluation: metrics, calibration and plots of a classifier's predicted probabilities.

- `semisup.evaluation.metrics`: ECE, MCE, reliability bins, NLL, classification metrics.
- `semisup.evaluation.calibration`: temperature scaling on logits or on probabilities, and
  before/after calibration reports (on a validation split, or cross-fitted on one split).
- `semisup.evaluation.plots`: benchmark and evaluation figures (PNG in, plotted numbers out).
- `semisup.evaluation.tta`: test-time augmentation, a fitted classifier's probabilities averaged
  over mirrored and shifted copies of each image.

See docs/evaluation.md for the definitions and examples.
"""

from semisup.evaluation.calibration import (
    apply_temperature,
    apply_temperature_to_proba,
    calibration_report,
    cross_fitted_calibration,
    fit_temperature,
    fit_temperature_from_proba,
)
from semisup.evaluation.metrics import (
    classification_metrics,
    expected_calibration_error,
    maximum_calibration_error,
    negative_log_likelihood,
    reliability_bins,
)
from semisup.evaluation.plots import (
    plot_feature_embedding,
    plot_per_class_metrics,
    plot_reliability_diagram,
)
from semisup.evaluation.tta import tta_predict, tta_predict_proba

__all__ = [
    "apply_temperature",
    "apply_temperature_to_proba",
    "calibration_report",
    "classification_metrics",
    "cross_fitted_calibration",
    "expected_calibration_error",
    "fit_temperature",
    "fit_temperature_from_proba",
    "maximum_calibration_error",
    "negative_log_likelihood",
    "plot_feature_embedding",
    "plot_per_class_metrics",
    "plot_reliability_diagram",
    "reliability_bins",
    "tta_predict",
    "tta_predict_proba",
]
