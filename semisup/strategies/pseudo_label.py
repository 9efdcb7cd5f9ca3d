"""Pseudo-label (Lee, 2013, "Pseudo-Label: The Simple and Efficient Semi-Supervised Learning
Method for Deep Neural Networks", ICML workshop).

The model's own most probable class on an unlabeled image is taken as its label, here only where
that probability reaches `confidence_threshold`, and the cross-entropy against it (targets carry
no gradient) is added with a weight that ramps up linearly, as in the paper. Unlike the
round-based `SelfTraining`, the pseudo-labels are renewed at every step from the current model.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from semisup.strategies._consistency import (
    ConsistencyStrategy,
    ConsistencyTrainer,
    pseudo_label_cross_entropy,
)


class PseudoLabelTrainer(ConsistencyTrainer):
    """Labeled and unlabeled weak views in one pass; the unlabeled term is
    `pseudo_label_cross_entropy(logits, logits)`. Logs `mask_rate`."""

    statistics = ("mask_rate",)

    def __init__(self, *args, confidence_threshold=0.95, **kwargs):
        super().__init__(*args, **kwargs)
        self.confidence_threshold = float(confidence_threshold)

    def pseudo_label_thresholds(self):
        return np.full(int(self.classifier.output_shape[-1]), self.confidence_threshold)

    def consistency(self, labeled_images, unlabeled_images, step):
        labeled_logits, unlabeled_logits = self.forward(
            self.weak(labeled_images), self.weak(unlabeled_images)
        )
        loss, mask = pseudo_label_cross_entropy(
            unlabeled_logits, unlabeled_logits, self.confidence_threshold
        )
        return {
            "labeled_logits": labeled_logits,
            "unlabeled_loss": loss,
            "mask_rate": ops.mean(mask),
        }


class PseudoLabel(ConsistencyStrategy):
    """Pseudo-label: confident predictions of the model itself, renewed every step.

    Defaults follow USB's pseudo-label configuration (Wang et al., 2022): threshold 0.95, one
    unlabeled image per labeled one, weight 1 ramped up linearly over the first 40% of the steps,
    FixMatch's SGD protocol.

    Args:
        confidence_threshold: in (0, 1]: the top probability a pseudo-label needs (0.95).
        unlabeled_weight: the pseudo-label term's weight once ramped up (1).
        rampup_fraction: fraction of the steps the linear ramp-up takes (0.4).
        Other parameters: see `ConsistencyStrategy` and `BaseStrategy`.

    Example:
        >>> from semisup.data import load, seed_split
        >>> from semisup.strategies import PseudoLabel
        >>> ds = load("digits")
        >>> y = seed_split(len(ds.y_train)).apply(ds.y_train)
        >>> model = PseudoLabel(steps=4, epochs=2, batch_size=16, horizontal_flip=False,
        ...                     random_state=0).fit(ds.x_train, y)
        >>> "mask_rate" in model.history_["consistency"]
        True
    """

    def __init__(
        self,
        encoder="conv4",
        steps=None,
        images=None,
        epochs=100,
        batch_size=64,
        mu=1,
        optimizer="sgd",
        learning_rate=0.03,
        learning_rate_schedule="cosine",
        momentum=0.9,
        nesterov=True,
        weight_decay=5e-4,
        ema_decay=0.999,
        unlabeled_weight=1.0,
        rampup_fraction=0.4,
        horizontal_flip=True,
        translation=0.125,
        confidence_threshold=0.95,
        select_best_epoch=False,
        callbacks=None,
        unlabeled_filter=None,
        random_state=None,
        verbose=0,
        steps_per_execution=1,
        precision="float32",
    ):
        self._store(locals())

    trainer_class = PseudoLabelTrainer
    rampup_shape = "linear"

    def _trainer_arguments(self):
        return {"confidence_threshold": self.confidence_threshold}

    def _check_parameters(self):
        super()._check_parameters()
        self._check_threshold(self.confidence_threshold)


__all__ = ["PseudoLabel", "PseudoLabelTrainer"]
