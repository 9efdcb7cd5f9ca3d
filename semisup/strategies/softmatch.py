"""SoftMatch (Chen et al., 2023, "SoftMatch: Addressing the Quantity-Quality Trade-off in
Semi-supervised Learning", ICLR).

FixMatch's step, where the 0/1 confidence mask becomes a soft weight. Every pseudo-label counts,
weighted by a truncated Gaussian of its confidence: with `mu` and `sigma^2` the moving averages
(momentum `statistics_momentum`, 0.999) of the mean and the (unbiased) variance of the weak
views' top probabilities,

    weight(p) = 1                                        if max p >= mu
              = exp(-(max p - mu)^2 / (2 sigma^2 / n_sigma^2))   otherwise (n_sigma = 2),

so confident pseudo-labels get full weight and unsure ones a weight that falls off with their
distance below the mean, where FixMatch's fixed 0.95 drops them. Before that, uniform alignment
(`uniform_alignment=True`) rescales the weak views' probabilities towards a uniform class
distribution, `p * (1/C) / E[p]` renormalised, where `E[p]` is a moving average (same momentum)
of their mean probability per class; the weights are taken from the aligned probabilities, the
pseudo-labels from the raw ones. This follows the authors' code (USB: `SoftMatchWeightingHook`
with `n_sigma=2`, `DistAlignEMAHook` with a uniform target, pseudo-labels from the weak logits):
`mu` starts at `1 / C` and `sigma^2` at 1, and `E[p]` starts at the first step's mean. The
averages are variables of the training model, updated inside the compiled step and kept in
checkpoints.

With `mu` starting at `1 / C`, every pseudo-label starts with full weight, as if FixMatch's
threshold were 0. An untrained network that predicts one class for most images is then trained
towards that class: on the embedded digits (conv4, 200 steps, seed 0) SoftMatch with the
paper's settings and FixMatch with `confidence_threshold=0.01` both collapsed to one class (test
accuracy 0.10, the same curves), while a ramp-up of the unlabeled weight over the first quarter
of the steps (`rampup_fraction=0.25`) let it reach 0.971, FixMatch's accuracy there.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from semisup.strategies._consistency import ConsistencyStrategy, _is_number
from semisup.strategies.fixmatch import FixMatch, FixMatchTrainer
from semisup.strategies.mean_teacher import ema_update


def truncated_gaussian_weights(confidences, mean, variance, n_sigma=2.0):
    """SoftMatch's weight of each pseudo-label from its confidence (top probability).

    Args:
        confidences: N top probabilities.
        mean, variance: the moving averages `mu` and `sigma^2` of the confidences.
        n_sigma: the Gaussian's width in standard deviations (2: the weight at `mu - sigma` is
            `exp(-2)`, 0.135).

    Returns:
        N weights in (0, 1]: 1 at or above `mean`, `exp(-(c - mean)^2 / (2 variance / n_sigma^2))`
        below it.

    Example:
        >>> import numpy as np
        >>> weights = truncated_gaussian_weights(np.array([0.9, 0.6, 0.5], "float32"), 0.7, 0.01)
        >>> np.round(np.asarray(weights), 4).tolist()
        [1.0, 0.1353, 0.0003]
    """
    confidences = ops.cast(confidences, "float32")
    below = ops.minimum(confidences - ops.cast(mean, "float32"), 0.0)
    spread = 2.0 * ops.cast(variance, "float32") / float(n_sigma) ** 2
    return ops.exp(-ops.square(below) / ops.maximum(spread, 1e-12))


def uniform_alignment(probabilities, class_means):
    """Probabilities rescaled towards a uniform class distribution: `p / E[p]`, renormalised
    (the uniform target `1 / C` cancels in the normalisation).

    Example:
        >>> import numpy as np
        >>> aligned = uniform_alignment(np.array([[0.6, 0.4]], "float32"), [0.75, 0.25])
        >>> np.round(np.asarray(aligned), 3).tolist()
        [[0.333, 0.667]]
    """
    probabilities = ops.cast(probabilities, "float32")
    scaled = probabilities / (ops.cast(class_means, "float32") + 1e-6)
    return scaled / ops.sum(scaled, axis=-1, keepdims=True)


def confidence_statistics(confidences):
    """Mean and unbiased variance of N >= 2 confidences (the batch's, for the moving averages)."""
    confidences = ops.cast(confidences, "float32")
    count = int(confidences.shape[0])
    return ops.mean(confidences), ops.var(confidences) * count / max(count - 1, 1)


class SoftMatchTrainer(FixMatchTrainer):
    """FixMatch's step with SoftMatch's weights and uniform alignment.

    Logs `mask_rate` (the mean weight of the unlabeled images' pseudo-labels, USB's utilisation
    ratio), `confidence_mean` and `confidence_std` (the moving averages `mu` and `sigma`).
    """

    statistics = ("mask_rate", "confidence_mean", "confidence_std")

    def __init__(
        self,
        classifier,
        *args,
        statistics_momentum=0.999,
        n_sigma=2.0,
        uniform_alignment=True,
        **kwargs,
    ):
        super().__init__(classifier, *args, **kwargs)
        self.statistics_momentum = float(statistics_momentum)
        self.n_sigma = float(n_sigma)
        self.uniform_alignment = bool(uniform_alignment)
        classes = int(classifier.output_shape[-1])
        self.confidence_mean = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(1.0 / classes),
            trainable=False,
            name="confidence_mean",
        )
        self.confidence_variance = self.add_weight(
            shape=(), initializer="ones", trainable=False, name="confidence_variance"
        )
        self.class_means = self.add_weight(
            shape=(classes,),
            initializer=keras.initializers.Constant(1.0 / classes),
            trainable=False,
            name="class_means",
        )

    def pseudo_label_thresholds(self):
        """The confidence above which a pseudo-label gets its full weight (`mu`), for every
        class; below it the weight falls off (see `truncated_gaussian_weights`)."""
        mean = float(ops.convert_to_numpy(self.confidence_mean.value))
        return np.full(int(self.classifier.output_shape[-1]), mean)

    def unlabeled_term(self, weak_logits, strong_logits):
        momentum = self.statistics_momentum
        probabilities = ops.stop_gradient(ops.softmax(ops.cast(weak_logits, "float32"), axis=-1))
        if self.uniform_alignment:
            # the class means start at the first step's, as USB's alignment does
            first = ops.equal(ops.convert_to_tensor(self.step_counter.value), 0)
            class_means = ema_update(
                self.class_means.value,
                ops.mean(probabilities, axis=0),
                ops.where(first, 0.0, momentum),
            )
            self.class_means.assign(class_means)
            probabilities = uniform_alignment(probabilities, class_means)
        confidences = ops.max(probabilities, axis=-1)
        batch_mean, batch_variance = confidence_statistics(confidences)
        mean = ema_update(self.confidence_mean.value, batch_mean, momentum)
        variance = ema_update(self.confidence_variance.value, batch_variance, momentum)
        self.confidence_mean.assign(mean)
        self.confidence_variance.assign(variance)
        weights = ops.stop_gradient(
            truncated_gaussian_weights(confidences, mean, variance, self.n_sigma)
        )
        # the pseudo-labels are the raw weak views' argmax: alignment only sets the weights
        per_image = keras.losses.sparse_categorical_crossentropy(
            ops.argmax(weak_logits, axis=-1),
            ops.cast(strong_logits, "float32"),
            from_logits=True,
        )
        return {
            "unlabeled_loss": ops.mean(per_image * weights),
            "mask_rate": ops.mean(weights),
            "confidence_mean": mean,
            "confidence_std": ops.sqrt(variance),
        }


class SoftMatch(FixMatch):
    """SoftMatch: FixMatch with every pseudo-label weighted by a truncated Gaussian of its
    confidence, after uniform alignment of the weak views' probabilities.

    The defaults are FixMatch's protocol (the paper keeps it) with the paper's and USB's
    SoftMatch settings: momentum 0.999 for the confidence statistics and the class means,
    `n_sigma` 2, uniform alignment on (Chen et al., 2023). There is no `confidence_threshold`:
    the weights replace it (see the module docstring).

    Args:
        statistics_momentum: momentum of the moving averages (confidence mean and variance,
            class means), in [0, 1) (0.999).
        n_sigma: width of the weights' Gaussian in standard deviations, > 0 (2).
        uniform_alignment: align the weak views' probabilities to a uniform class
            distribution before taking pseudo-labels and weights (True).
        num_operations, cutout, labeled_augmentation, unlabeled_weight: as in `FixMatch`.
        Other parameters: see `ConsistencyStrategy` and `BaseStrategy`.

    Attributes:
        history_["consistency"]: per epoch FixMatch's, with `mask_rate` the mean weight of the
            pseudo-labels, plus `confidence_mean` and `confidence_std` (the moving averages,
            averaged over the epoch's steps).
        Others: see `ConsistencyStrategy`.

    Example:
        >>> from semisup.data import load, seed_split
        >>> from semisup.strategies import SoftMatch
        >>> ds = load("digits")
        >>> y = seed_split(len(ds.y_train)).apply(ds.y_train)
        >>> model = SoftMatch(steps=4, epochs=2, batch_size=16, mu=2, horizontal_flip=False,
        ...                   random_state=0).fit(ds.x_train, y)
        >>> sorted(model.history_["consistency"])[:4]
        ['accuracy', 'confidence_mean', 'confidence_std', 'loss']
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
        statistics_momentum=0.999,
        n_sigma=2.0,
        uniform_alignment=True,
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

    trainer_class = SoftMatchTrainer

    def _trainer_arguments(self):
        return {
            "num_operations": self.num_operations,
            "cutout": self.cutout,
            "labeled_augmentation": self.labeled_augmentation,
            "statistics_momentum": self.statistics_momentum,
            "n_sigma": self.n_sigma,
            "uniform_alignment": self.uniform_alignment,
        }

    def _check_parameters(self):
        ConsistencyStrategy._check_parameters(self)  # FixMatch's checks its fixed threshold
        self._check_augmentation()
        momentum = self.statistics_momentum
        if not _is_number(momentum) or not 0 <= momentum < 1:
            raise ValueError(f"statistics_momentum must be in [0, 1), got {momentum!r}.")
        if not _is_number(self.n_sigma) or not self.n_sigma > 0:
            raise ValueError(f"n_sigma must be a number > 0, got {self.n_sigma!r}.")
        if not isinstance(self.uniform_alignment, (bool, np.bool_)):
            raise TypeError(
                f"uniform_alignment must be True or False, got {self.uniform_alignment!r}."
            )


__all__ = [
    "SoftMatch",
    "SoftMatchTrainer",
    "confidence_statistics",
    "truncated_gaussian_weights",
    "uniform_alignment",
]
