"""FixMatch (Sohn et al., 2020, "FixMatch: Simplifying Semi-Supervised Learning with Consistency
and Confidence", NeurIPS).

For each unlabeled image the model's prediction on a weakly augmented view (flip and translate)
becomes a hard pseudo-label when its top probability reaches `confidence_threshold` (0.95), and
the model is trained to predict it on a strongly augmented view of the same image (RandAugment
with 2 random operations, then Cutout). Both views are made on the device inside the compiled
step (`semisup.augmentation.weak_augment`, `strong_augment`). Everything else (batches, optimizer,
EMA, training length) is the shared core in `semisup.strategies._consistency`.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from semisup.augmentation import strong_augment
from semisup.strategies._consistency import (
    ConsistencyStrategy,
    ConsistencyTrainer,
    _is_int,
    _is_number,
    pseudo_label_cross_entropy,
)

#: the views the labeled images can be trained on (`labeled_augmentation`)
LABELED_AUGMENTATIONS = ("weak", "strong")


def _check_labeled_augmentation(value) -> None:
    if not isinstance(value, str) or value not in LABELED_AUGMENTATIONS:
        raise ValueError(
            f"labeled_augmentation must be one of {LABELED_AUGMENTATIONS}, got {value!r}."
        )


class FixMatchTrainer(ConsistencyTrainer):
    """Labeled (weak, or strong with `labeled_augmentation="strong"`), unlabeled weak and
    unlabeled strong views in one forward pass; the unlabeled term is
    `pseudo_label_cross_entropy(weak logits, strong logits)`. Logs `mask_rate`, the fraction of
    unlabeled images whose pseudo-label counted."""

    statistics = ("mask_rate",)

    def __init__(
        self,
        *args,
        confidence_threshold=0.95,
        num_operations=2,
        cutout=0.5,
        labeled_augmentation="weak",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.confidence_threshold = float(confidence_threshold)
        self.num_operations = int(num_operations)
        self.cutout = float(cutout)
        _check_labeled_augmentation(labeled_augmentation)
        self.labeled_augmentation = labeled_augmentation

    def strong(self, images):
        """The strong augmentation: the weak one, RandAugment, then Cutout (`strong_augment`)."""
        return strong_augment(
            images,
            self.horizontal_flip,
            self.translation,
            num_operations=self.num_operations,
            cutout=self.cutout,
            seed=self.seed_generator,
        )

    def labeled_view(self, images):
        """The view the labeled cross-entropy is computed on (`labeled_augmentation`)."""
        return self.strong(images) if self.labeled_augmentation == "strong" else self.weak(images)

    def pseudo_label_thresholds(self):
        return np.full(int(self.classifier.output_shape[-1]), self.confidence_threshold)

    def consistency(self, labeled_images, unlabeled_images, step):
        labeled_logits, weak_logits, strong_logits = self.forward(
            self.labeled_view(labeled_images),
            self.weak(unlabeled_images),
            self.strong(unlabeled_images),
        )
        return {"labeled_logits": labeled_logits, **self.unlabeled_term(weak_logits, strong_logits)}

    def unlabeled_term(self, weak_logits, strong_logits):
        """`unlabeled_loss` and the `statistics` from the unlabeled views' logits: the strong
        view's cross-entropy against the weak view's confident argmax (`confidence_threshold`).
        FreeMatch overrides it with thresholds of its own."""
        loss, mask = pseudo_label_cross_entropy(
            weak_logits, strong_logits, self.confidence_threshold
        )
        return {"unlabeled_loss": loss, "mask_rate": ops.mean(mask)}


class FixMatch(ConsistencyStrategy):
    """FixMatch: confident pseudo-labels from weak views, learned on strong views.

    The defaults are the paper's CIFAR-10 protocol: 64 labeled + 7 x 64 unlabeled images a step,
    threshold 0.95, lambda_u 1, SGD with Nesterov momentum 0.9 at 0.03 with FixMatch's cosine
    decay, weight decay 5e-4, EMA 0.999 of the weights for evaluation. The paper trains 2^20
    steps; the length is yours to set (`steps=` or `images=`).

    Args:
        confidence_threshold: tau, in (0, 1]: the weak view's top probability a pseudo-label
            needs (0.95).
        num_operations: RandAugment operations per strong view (2).
        cutout: largest Cutout side, as a fraction of the image's (0.5); 0 turns it off.
        labeled_augmentation: the view of the labeled images the cross-entropy is computed on:
            `"weak"` (flip and shift, the paper's) or `"strong"` (the unlabeled images' strong
            view: flip, shift, RandAugment and Cutout), which regularises a small labeled set
            that the weak view lets the network memorise.
        unlabeled_weight: lambda_u (1).
        Other parameters: see `ConsistencyStrategy` and `BaseStrategy`.

    Attributes:
        history_["consistency"]: per epoch `loss`, `accuracy`, `supervised_loss`,
            `unlabeled_loss`, `unlabeled_weight`, `mask_rate` (and `val_loss`,
            `val_accuracy` with validation data).
        Others: see `ConsistencyStrategy`.

    Example:
        >>> from semisup.data import load, seed_split
        >>> from semisup.strategies import FixMatch
        >>> ds = load("digits")
        >>> y = seed_split(len(ds.y_train)).apply(ds.y_train)
        >>> model = FixMatch(steps=4, epochs=2, batch_size=16, mu=2, horizontal_flip=False,
        ...                  random_state=0).fit(ds.x_train, y)
        >>> model.training_length_["steps"], model.images_seen_
        (4, 192)
    """

    def __init__(
        self,
        encoder="conv4",
        steps=None,
        images=None,
        epochs=100,
        batch_size=64,
        mu=7,
        optimizer="sgd",
        learning_rate=0.03,
        learning_rate_schedule="cosine",
        momentum=0.9,
        nesterov=True,
        weight_decay=5e-4,
        ema_decay=0.999,
        unlabeled_weight=1.0,
        rampup_fraction=0.0,
        horizontal_flip=True,
        translation=0.125,
        confidence_threshold=0.95,
        num_operations=2,
        cutout=0.5,
        labeled_augmentation="weak",
        select_best_epoch=False,
        callbacks=None,
        unlabeled_filter=None,
        random_state=None,
        verbose=0,
        steps_per_execution=1,
        precision="float32",
    ):
        self._store(locals())

    trainer_class = FixMatchTrainer

    def _trainer_arguments(self):
        return {
            "confidence_threshold": self.confidence_threshold,
            "num_operations": self.num_operations,
            "cutout": self.cutout,
            "labeled_augmentation": self.labeled_augmentation,
        }

    def _check_parameters(self):
        super()._check_parameters()
        self._check_threshold(self.confidence_threshold)
        self._check_augmentation()

    def _check_augmentation(self):
        if not _is_int(self.num_operations) or self.num_operations < 0:
            raise ValueError(
                f"num_operations must be an integer >= 0, got {self.num_operations!r}."
            )
        if not _is_number(self.cutout) or not 0 <= self.cutout <= 1:
            raise ValueError(f"cutout must be a fraction in [0, 1], got {self.cutout!r}.")
        _check_labeled_augmentation(self.labeled_augmentation)


__all__ = ["LABELED_AUGMENTATIONS", "FixMatch", "FixMatchTrainer"]
