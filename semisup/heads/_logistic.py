"""Multinomial logistic regression on standardised features: the linear probe."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, softmax
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from semisup.heads._head import FeatureHead, check_number, check_positive_integer


class LogisticHead(FeatureHead):
    """Logistic regression (scikit-learn's `LogisticRegression`, lbfgs) on standardised features.

    The linear-evaluation protocol of self-supervised learning: the features are standardised
    with the training set's statistics and an L2-regularised multinomial logistic regression is
    fitted on them (with two classes, scikit-learn fits the equivalent binary model). Predictions
    are computed from the stored `coef_` and `intercept_` exactly as scikit-learn does, so a head
    read back by `load` predicts the same numbers.

    Args:
        C: inverse L2 regularisation strength, > 0.
        max_iter: lbfgs iterations (scikit-learn warns when they do not suffice).

    Attributes (after `fit`):
        classes_, n_features_in_, input_mean_, input_scale_: as in `ExtremeLearningMachine`.
        coef_, intercept_: scikit-learn's (one row for two classes, one per class otherwise),
            on the standardised features.
        n_iter_: lbfgs iterations used.

    Example:
        >>> from sklearn.datasets import load_digits
        >>> from semisup.heads import LogisticHead
        >>> x, y = load_digits(return_X_y=True)
        >>> head = LogisticHead(C=0.1).fit(x[:1200], y[:1200])
        >>> head.score(x[1200:], y[1200:]) > 0.85
        True
    """

    _saved_arrays = ("coef_", "intercept_")

    def __init__(self, C=1.0, max_iter=1000):
        self.C = C
        self.max_iter = max_iter

    def decision_function(self, X) -> np.ndarray:
        """Class scores on the standardised features; 1-D for two classes (as scikit-learn)."""
        check_is_fitted(self, "coef_")
        x = self._standardize(self._check_features(X, reset=False))
        scores = x @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, n_samples x n_classes: softmax of the scores (sigmoid for two)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            positive = expit(scores)
            return np.column_stack([1.0 - positive, positive])
        return softmax(scores, axis=1)

    def _fit_standardized(self, x, codes):
        model = LogisticRegression(C=float(self.C), max_iter=int(self.max_iter), solver="lbfgs")
        model.fit(x, codes)
        self.coef_ = np.asarray(model.coef_, dtype=np.float64)
        self.intercept_ = np.asarray(model.intercept_, dtype=np.float64)
        self.n_iter_ = np.asarray(model.n_iter_)

    def _check_parameters(self):
        check_number(self.C, "C", low=0)
        check_positive_integer(self.max_iter, "max_iter")
