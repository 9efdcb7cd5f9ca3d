"""Heads on frozen encoder features: scikit-learn classifiers, feature extraction and the probe.

A pretrained encoder is judged, and a two-step strategy finished, by fitting a classifier on its
frozen features. This package holds the pieces:

- `extract_features(encoder, X)`: images -> the encoder's feature map -> pooled vectors;
- `LogisticHead` (the linear probe) and `ExtremeLearningMachine` (a random hidden layer with a
  Ridge, Lasso or ElasticNet readout): scikit-learn classifiers on those vectors, with input
  standardisation and pickle-free `save`/`load`;
- `probe(encoder, X_train, y_train, X_test, y_test, head=...)`: accuracy, macro-F1, NLL and ECE
  of a head fitted on an encoder's features;
- `HEADS` / `get(name)`: the heads by name (`"logistic"`, `"elm"`), also accepted as `head=` by
  `TwoStepAutoencoder` and `ContrastivePretraining`.

Example:
    >>> from semisup import heads
    >>> sorted(heads.HEADS)
    ['elm', 'logistic']
"""

from __future__ import annotations

from semisup.heads._elm import ExtremeLearningMachine
from semisup.heads._features import (
    POOLINGS,
    extract_features,
    feature_extractor,
    resolve_encoder,
)
from semisup.heads._head import FeatureHead
from semisup.heads._logistic import LogisticHead
from semisup.heads._probe import probe
from semisup.heads._registry import HEADS, get, head_name, make_head

__all__ = [
    "HEADS",
    "POOLINGS",
    "ExtremeLearningMachine",
    "FeatureHead",
    "LogisticHead",
    "extract_features",
    "feature_extractor",
    "get",
    "head_name",
    "make_head",
    "probe",
    "resolve_encoder",
]
