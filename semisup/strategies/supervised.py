"""The supervised baseline: the shared encoder + seed 001's head, on the labeled images only."""

from __future__ import annotations

from semisup.strategies._base import BaseStrategy


class Supervised(BaseStrategy):
    """Encoder + max-pool + flatten + dense softmax, trained on the labeled images only.

    Unlabeled images (`y == -1`) are ignored; every comparison in semisup includes this baseline.
    With `encoder="conv4"` and the defaults (100 epochs, batch 128, Adam 1e-3) it is exactly seed
    001's CNN. Parameters: see `BaseStrategy`.

    Example:
        >>> from semisup.data import load, seed_split
        >>> from semisup.strategies import Supervised
        >>> ds = load("digits")
        >>> y = seed_split(len(ds.y_train)).apply(ds.y_train)
        >>> model = Supervised(epochs=2, random_state=0).fit(ds.x_train, y)
        >>> model.predict_proba(ds.x_test).shape
        (450, 10)
    """

    uses_unlabeled = False

    def _fit(self, x_labeled, y_labeled, x_unlabeled, validation):
        model = self._compile_classifier(self._build_classifier())
        self._keras_fit(model, x_labeled, y_labeled, validation=validation, phase="classifier")
        self._set_model(model, model._semisup_encoder)
