"""Evaluation: metrics and calibration."""

from semisup.evaluation.calibration import apply_temperature, fit_temperature

__all__ = ["apply_temperature", "fit_temperature"]
