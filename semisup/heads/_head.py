"""What every head on frozen features shares: input checks, standardisation, npz files."""

from __future__ import annotations

import json
import os
import warnings
import zipfile

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted

from semisup._atomic import atomic_path

#: Version of the npz layout written by `FeatureHead.save`; `load` refuses any other.
FILE_FORMAT_VERSION = 1


class FeatureHead(ClassifierMixin, BaseEstimator):
    """Base of the heads in `semisup.heads`: a classifier on a 2-D feature matrix.

    Subclasses implement `_fit_standardized(x, codes)` (x standardised, codes 0..K-1) and
    `decision_function`/`predict_proba`, and list in `_saved_arrays` the fitted attributes that
    `save` writes besides the standardisation statistics and `classes_`.
    """

    _saved_arrays: tuple[str, ...] = ()

    # ------------------------------------------------------------------ public API
    def fit(self, X, y):
        """Standardise `X` (n_samples x n_features) and fit the head on labels `y`.

        Args:
            X: features, a 2-D array (e.g. from `semisup.heads.extract_features`).
            y: n_samples labels of any type; at least two distinct values.

        Returns:
            self
        """
        self._check_parameters()
        x = self._check_features(X, reset=True)
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; it was flattened.",
                DataConversionWarning,
                stacklevel=2,
            )
            y = y.ravel()
        if y.ndim != 1 or len(y) != len(x):
            raise ValueError(
                f"y must be a 1-D array of {len(x)} labels (one per row of X), got shape {y.shape}."
            )
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y holds only one class ({classes.tolist()[0]!r}); a classifier needs at "
                "least two classes."
            )
        self.classes_ = classes
        mean, scale = x.mean(axis=0), x.std(axis=0)
        # A constant feature (a dead ReLU channel) carries nothing: dividing it by 1 keeps it at 0,
        # where its rounding-error "spread" would blow up into noise of unit scale.
        constant = scale <= 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)
        scale[constant] = 1.0
        self.input_mean_, self.input_scale_ = mean, scale
        self._fit_standardized(self._standardize(x), codes.astype(np.int64))
        return self

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row (values from `classes_`)."""
        proba = self.predict_proba(X)  # before classes_: an unfitted head raises NotFittedError
        return self.classes_[np.argmax(proba, axis=1)]

    def save(self, path) -> str:
        """Write the fitted head to an npz file at exactly `path` (no pickle inside).

        The file holds the fitted arrays, `classes_` and the constructor parameters as a JSON
        string; `type(self).load(path)` gives a head with identical predictions. Classes must be
        numbers or strings.

        Returns:
            `path` as a string.
        """
        check_is_fitted(self, "classes_")
        classes = np.asarray(self.classes_)
        if classes.dtype == object:
            # np.save would pickle an object array; labels of an object array are strings
            if not all(isinstance(label, str) for label in classes):
                raise TypeError(
                    "save() stores classes_ without pickle, so they must be numbers or strings; "
                    f"got {classes.tolist()!r}."
                )
            classes = classes.astype(str)
        arrays = {name: np.asarray(getattr(self, name)) for name in self._saved_arrays}
        path = os.fspath(path)
        # written beside `path` and renamed onto it: a kill mid-save leaves any earlier file whole
        with atomic_path(path) as temporary, open(temporary, "wb") as handle:
            np.savez(
                handle,
                format=np.array(self._format_name()),
                format_version=np.array(FILE_FORMAT_VERSION),
                params=np.array(json.dumps(self._json_params())),
                classes=classes,
                input_mean=self.input_mean_,
                input_scale=self.input_scale_,
                **arrays,
            )
        return path

    @classmethod
    def load(cls, path):
        """Read a head written by `save`; raises ValueError for any other file.

        Example:
            >>> import os, tempfile
            >>> import numpy as np
            >>> from semisup.heads import LogisticHead
            >>> x = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
            >>> head = LogisticHead().fit(x, y)
            >>> path = head.save(os.path.join(tempfile.mkdtemp(), "head.npz"))
            >>> np.array_equal(LogisticHead.load(path).predict_proba(x), head.predict_proba(x))
            True
        """
        path = os.fspath(path)
        not_ours = (
            f"{path} is not a {cls.__name__} file written by {cls.__name__}.save() "
            "(an npz holding its arrays and parameters)"
        )
        try:
            saved = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise ValueError(f"{not_ours}: {error}") from None
        if not isinstance(saved, np.lib.npyio.NpzFile):
            raise ValueError(f"{not_ours}; it holds a single array.")
        with saved:
            if "format" not in saved.files:
                raise ValueError(f"{not_ours}; it has no 'format' entry.")
            try:
                contents = {name: saved[name] for name in saved.files}
            except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
                raise ValueError(f"{not_ours}: {error}") from None
        if str(contents["format"]) != cls._format_name():
            raise ValueError(f"{not_ours}; it holds a {str(contents['format'])!r}.")
        version = int(contents.get("format_version", -1))
        if version != FILE_FORMAT_VERSION:
            raise ValueError(
                f"{path} was written in file format {version}; this version of semisup reads "
                f"format {FILE_FORMAT_VERSION} only."
            )
        missing = [
            name
            for name in ("params", "classes", "input_mean", "input_scale", *cls._saved_arrays)
            if name not in contents
        ]
        if missing:
            raise ValueError(f"{not_ours}; it lacks {missing}.")
        head = cls(**json.loads(str(contents["params"])))
        head.classes_ = contents["classes"]
        head.input_mean_ = contents["input_mean"]
        head.input_scale_ = contents["input_scale"]
        head.n_features_in_ = len(head.input_mean_)
        for name in cls._saved_arrays:
            value = contents[name]
            setattr(head, name, value.item() if value.ndim == 0 else value)
        return head

    # ------------------------------------------------------------------ for subclasses
    def _fit_standardized(self, x, codes):  # pragma: no cover
        raise NotImplementedError

    def _check_parameters(self) -> None:
        pass

    def _check_features(self, X, reset: bool) -> np.ndarray:
        """X as a finite float64 2-D array; on `reset` remember its width, else check it."""
        if not reset:
            check_is_fitted(self, "classes_")
        x = check_array(X, dtype=np.float64, ensure_2d=False, allow_nd=True, ensure_min_samples=1)
        if x.ndim != 2:
            raise ValueError(
                f"X must be a 2-D array (n_samples x n_features), got shape {x.shape}. For "
                "images, first turn them into features with semisup.heads.extract_features("
                "encoder, images). Reshape your data with X.reshape(1, -1) for one sample or "
                "X.reshape(-1, 1) for one feature."
            )
        if reset:
            self.n_features_in_ = x.shape[1]
        elif x.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {x.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input."
            )
        return x

    def _standardize(self, x: np.ndarray) -> np.ndarray:
        return (x - self.input_mean_) / self.input_scale_

    @classmethod
    def _format_name(cls) -> str:
        return f"semisup.heads.{cls.__name__}"

    def _json_params(self) -> dict:
        params = {}
        for name, value in self.get_params(deep=False).items():
            if isinstance(value, np.generic):
                value = value.item()
            try:
                json.dumps(value)
            except TypeError:
                if name != "random_state":
                    raise TypeError(
                        f"save() writes the parameters as JSON; {name}={value!r} is not "
                        "JSON-serialisable."
                    ) from None
                value = None  # a RandomState instance: the drawn weights are saved anyway
            params[name] = value
        return params


def check_number(value, name: str, low=None, high=None, low_inclusive=False) -> None:
    """Raise a ValueError naming `name` unless `value` is a real number in the given range."""
    if (
        not isinstance(value, (int, float, np.integer, np.floating))
        or isinstance(value, (bool, np.bool_))
        or not np.isfinite(value)
    ):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        bound = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {bound} {low}, got {value!r}.")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value!r}.")


def check_positive_integer(value, name: str) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
