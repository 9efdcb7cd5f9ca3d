"""Evaluation: metrics and calibration."""

from semisup.evaluation.calibration import apply_temperature, fit_temperature
from semisup.evaluation.metrics import expected_calibration_error, negative_log_likelihood

__all__ = [
    "apply_temperature",
    "expected_calibration_error",
    "fit_temperature",
    "negative_log_likelihood",
]
