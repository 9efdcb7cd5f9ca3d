"""The probe: how good are an encoder's frozen features, as measured by a head fitted on them."""

from __future__ import annotations

import time

import numpy as np
from sklearn.metrics import f1_score

from semisup.evaluation import expected_calibration_error, negative_log_likelihood
from semisup.heads._features import extract_features, resolve_encoder
from semisup.heads._registry import head_name, make_head

UNLABELED = -1


def probe(
    encoder_or_strategy,
    X_train,
    y_train,
    X_test,
    y_test,
    head="logistic",
    batch_size=256,
    random_state=None,
    pooling="avg",
) -> dict:
    """Fit a head on an encoder's frozen, pooled features and score it on a test split.

    The standard way to compare representations (a "linear probe" with the default head):
    features of the labeled training images and of the test images are extracted once, the head
    is fitted on the former and evaluated on the latter. Works for any encoder, pretrained by a
    semisup strategy or not (a randomly initialised encoder is the natural baseline).

    Args:
        encoder_or_strategy: a `keras.Model` from images to a feature map, or a fitted semisup
            strategy (its `encoder_`).
        X_train, y_train: training images and labels; labels equal to -1 (unlabeled) are
            dropped, and how many is reported.
        X_test, y_test: test images and their labels (all known).
        head: `"logistic"` (`LogisticHead`), `"elm"` (`ExtremeLearningMachine`), another name in
            `semisup.heads.HEADS`, or a scikit-learn classifier with `predict_proba` (cloned,
            never fitted in place).
        batch_size: images per forward pass of the encoder.
        random_state: seeds the head when it has a `random_state` parameter left at None.
        pooling: `"avg"`, `"max"` or `"flatten"` (see `extract_features`).

    Returns:
        A dict: `accuracy`, `macro_f1` (over the classes present in `y_test`), `nll` and `ece`
        (probabilities over the training and test classes together; a test class the head never
        saw has probability 0), `n_features`, `head` (its name), `pooling`, `n_train`,
        `n_unlabeled_dropped`, `n_test`, `n_classes`, `fit_seconds` (the head's fit) and
        `extract_seconds` (the encoder's passes).

    Example:
        >>> from semisup.data import load
        >>> from semisup.encoders import build_encoder
        >>> from semisup.heads import probe
        >>> ds = load("digits")
        >>> encoder = build_encoder("conv4", ds.x_train.shape[1:])  # random weights: a baseline
        >>> result = probe(encoder, ds.x_train, ds.y_train, ds.x_test, ds.y_test, random_state=0)
        >>> sorted(result)[:4], result["n_features"]
        (['accuracy', 'ece', 'extract_seconds', 'fit_seconds'], 128)
    """
    encoder = resolve_encoder(encoder_or_strategy)
    estimator = make_head(head, random_state=random_state)
    y_train = _labels(y_train, X_train, "y_train", "X_train")
    y_test = _labels(y_test, X_test, "y_test", "X_test")
    labeled = _labeled_mask(y_train)
    if not labeled.any():
        raise ValueError("y_train has no labeled sample (every label is -1).")
    if _labeled_mask(y_test).sum() != len(y_test):
        raise ValueError("y_test holds -1 (unlabeled); a probe is scored on labeled images only.")
    if len(y_test) == 0:
        raise ValueError("X_test is empty; a probe needs test images to score.")

    started = time.perf_counter()
    x_train = np.asarray(X_train)[labeled]
    features_train = extract_features(encoder, x_train, batch_size=batch_size, pooling=pooling)
    features_test = extract_features(encoder, X_test, batch_size=batch_size, pooling=pooling)
    extract_seconds = time.perf_counter() - started

    started = time.perf_counter()
    estimator.fit(features_train, y_train[labeled])
    fit_seconds = time.perf_counter() - started

    proba = np.asarray(estimator.predict_proba(features_test), dtype=np.float64)
    head_classes = np.asarray(estimator.classes_)
    classes = np.union1d(head_classes, np.unique(y_test))
    full = np.zeros((len(y_test), len(classes)))
    full[:, np.searchsorted(classes, head_classes)] = proba
    truth = np.searchsorted(classes, y_test)
    predicted = full.argmax(axis=1)
    return {
        "accuracy": float((predicted == truth).mean()),
        "macro_f1": float(
            f1_score(truth, predicted, average="macro", labels=np.unique(truth), zero_division=0)
        ),
        "nll": negative_log_likelihood(full, truth),
        "ece": expected_calibration_error(full, truth),
        "n_features": int(features_train.shape[1]),
        "head": head_name(head),
        "pooling": pooling,
        "n_train": int(labeled.sum()),
        "n_unlabeled_dropped": int((~labeled).sum()),
        "n_test": len(y_test),
        "n_classes": len(head_classes),
        "fit_seconds": fit_seconds,
        "extract_seconds": extract_seconds,
    }


def _labels(y, images, name, images_name) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels, got shape {y.shape}.")
    n_images = len(images) if hasattr(images, "__len__") else -1
    if len(y) != n_images:
        raise ValueError(f"{name} has {len(y)} labels but {images_name} has {n_images} images.")
    return y


def _labeled_mask(y: np.ndarray) -> np.ndarray:
    if np.issubdtype(y.dtype, np.number):
        return y != UNLABELED
    return np.ones(len(y), dtype=bool)
