"""The Pi-model (Laine & Aila, 2017, "Temporal Ensembling for Semi-Supervised Learning", ICLR).

Every image of the step (labeled and unlabeled, as in the paper) is augmented twice, both views
go through the network, and the squared difference of the two softmaxes, ramped up from 0 with
`exp(-5 (1 - t)^2)`, is added to the labeled cross-entropy. As in the paper's Algorithm 1 the
gradient flows through both views (neither is a fixed target).
"""

from __future__ import annotations

from keras import ops

from semisup.strategies._consistency import ConsistencyStrategy, ConsistencyTrainer, softmax_mse


class PiModelTrainer(ConsistencyTrainer):
    """Two weak views of every image in one forward pass; `softmax_mse` between them."""

    def consistency(self, labeled_images, unlabeled_images, step):
        images = ops.concatenate([labeled_images, unlabeled_images], axis=0)
        first, second = self.forward(self.weak(images), self.weak(images))
        return {
            "labeled_logits": first[: self.batch_size],
            "unlabeled_loss": softmax_mse(first, second),
        }


class PiModel(ConsistencyStrategy):
    """Pi-model: two stochastic views of each image must agree.

    Defaults follow USB's Pi-model configuration (Wang et al., 2022): one unlabeled image per
    labeled one, consistency weight 10 ramped up over the first 40% of the steps, FixMatch's SGD
    protocol.

    Args:
        unlabeled_weight: the consistency weight once ramped up (10).
        rampup_fraction: fraction of the steps the ramp-up takes (0.4).
        Other parameters: see `ConsistencyStrategy` and `BaseStrategy`.

    Example:
        >>> from semisup.data import load, seed_split
        >>> from semisup.strategies import PiModel
        >>> ds = load("digits")
        >>> y = seed_split(len(ds.y_train)).apply(ds.y_train)
        >>> model = PiModel(steps=4, epochs=2, batch_size=16, horizontal_flip=False,
        ...                 random_state=0).fit(ds.x_train, y)
        >>> model.training_length_["unit"]
        'steps'
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
        unlabeled_weight=10.0,
        rampup_fraction=0.4,
        horizontal_flip=True,
        translation=0.125,
        select_best_epoch=False,
        callbacks=None,
        unlabeled_filter=None,
        random_state=None,
        verbose=0,
        steps_per_execution=1,
        precision="float32",
    ):
        self._store(locals())

    trainer_class = PiModelTrainer
    rampup_shape = "sigmoid"


__all__ = ["PiModel", "PiModelTrainer"]
