"""FreeMatch (Wang et al., 2023, "FreeMatch: Self-adaptive Thresholding for Semi-supervised
Learning", ICLR).

FixMatch with its fixed confidence threshold replaced by self-adaptive ones (SAT). The model's
own confidence on the unlabeled images sets them, through two exponential moving averages
updated at every step (momentum `threshold_momentum`, 0.999):

- the global threshold `tau`: the mean top probability of the weak views;
- the class expectations `p(c)`: the mean probability of class c on the weak views;

and the threshold of class c is `tau * p(c) / max_c' p(c')`. A pseudo-label of class c counts
when its top probability reaches that. The averages start at 1, as in the authors' code (USB):
the thresholds start at 1 and fall towards the model's mean confidence, and classes the model
rarely predicts get lower thresholds than the others. The paper's text starts them at `1 / C`
(C classes), which lets every pseudo-label of the untrained network count: on the embedded
digits (200 steps, seed 0) that collapsed the model to one class (test accuracy 0.10, against
0.976 with this start and 0.971 for FixMatch; TensorFlow, CPU).

A fairness term, weighted by `fairness_weight`, is added to the loss:
`sum_c SumNorm(p / h)(c) log SumNorm(pbar / hbar)(c)`, the negative cross-entropy of the paper's
Eq. 9, which its authors use to encourage diverse predictions across classes. Here `h` is an
exponential moving average of the weak views' predicted-class histogram, and `pbar`, `hbar` are
the strong views' mean probability and predicted-class histogram over the kept images (as USB
computes it). The averages are variables of the training model, updated inside the compiled
step, and kept in checkpoints, so a resumed fit goes on with them.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from semisup.strategies._consistency import (
    ConsistencyStrategy,
    _is_number,
    pseudo_label_cross_entropy,
)
from semisup.strategies.fixmatch import FixMatch, FixMatchTrainer
from semisup.strategies.mean_teacher import ema_update


def self_adaptive_thresholds(probabilities, global_threshold, class_expectations, momentum):
    """One step of FreeMatch's self-adaptive thresholding.

    Args:
        probabilities: N x C class probabilities of the weak views.
        global_threshold: the moving average `tau` so far (a scalar).
        class_expectations: the moving averages `p(c)` so far (C values).
        momentum: the averages' momentum, in [0, 1).

    Returns:
        `(tau, p, thresholds)`: the updated averages and each class's threshold,
        `tau * p(c) / max(p)`.

    Example:
        >>> import numpy as np
        >>> probabilities = np.array([[0.9, 0.1], [0.6, 0.4]], "float32")
        >>> tau, p, thresholds = self_adaptive_thresholds(probabilities, 0.5, [0.5, 0.5], 0.0)
        >>> round(float(tau), 2), np.round(np.asarray(thresholds), 3).tolist()
        (0.75, [0.75, 0.25])
    """
    probabilities = ops.cast(probabilities, "float32")
    global_threshold = ops.cast(ops.convert_to_tensor(global_threshold), "float32")
    class_expectations = ops.cast(ops.convert_to_tensor(class_expectations), "float32")
    tau = ema_update(global_threshold, ops.mean(ops.max(probabilities, axis=-1)), momentum)
    expectations = ema_update(class_expectations, ops.mean(probabilities, axis=0), momentum)
    thresholds = tau * expectations / ops.max(expectations)
    return tau, expectations, thresholds


def predicted_histogram(probabilities, weights=None):
    """The share of images predicted as each class (weighted by `weights`; 0s if none counts)."""
    classes = int(probabilities.shape[-1])
    one_hot = ops.one_hot(ops.argmax(probabilities, axis=-1), classes, dtype="float32")
    if weights is not None:
        one_hot = one_hot * ops.expand_dims(ops.cast(weights, "float32"), -1)
    counts = ops.sum(one_hot, axis=0)
    return counts / ops.maximum(ops.sum(counts), 1.0)


def _normalise_by_histogram(values, histogram):
    """`SumNorm(values / histogram)`, classes with an empty histogram bin counting 0."""
    safe = ops.where(histogram > 0, histogram, 1.0)
    scaled = ops.where(histogram > 0, values / safe, 0.0)
    return scaled / ops.maximum(ops.sum(scaled), 1e-12)


def fairness_loss(strong_logits, mask, class_expectations, label_histogram):
    """FreeMatch's self-adaptive fairness term (to be minimised; 0 when no image counted).

    Args:
        strong_logits: N x C logits of the strong views (the gradient flows through them).
        mask: N floats, 1 where the image's pseudo-label counted.
        class_expectations: the moving averages `p(c)` (no gradient).
        label_histogram: the moving average `h` of the weak views' predicted-class histogram.

    Returns:
        `sum_c SumNorm(p / h)(c) * log SumNorm(pbar / hbar)(c)` over the kept images' mean
        strong-view probability `pbar` and predicted-class histogram `hbar` (minimising it
        raises the cross-entropy between the two normalised distributions).
    """
    probabilities = ops.softmax(ops.cast(strong_logits, "float32"), axis=-1)
    mask = ops.cast(mask, "float32")
    kept = ops.sum(mask)
    histogram = ops.stop_gradient(predicted_histogram(probabilities, mask))
    mean_probabilities = ops.sum(probabilities * ops.expand_dims(mask, -1), axis=0)
    mean_probabilities = mean_probabilities / ops.maximum(kept, 1.0)
    target = ops.stop_gradient(
        _normalise_by_histogram(
            ops.cast(class_expectations, "float32"), ops.cast(label_histogram, "float32")
        )
    )
    prediction = _normalise_by_histogram(mean_probabilities, histogram)
    loss = ops.sum(target * ops.log(prediction + 1e-12))
    return ops.where(kept > 0, loss, 0.0)


class FreeMatchTrainer(FixMatchTrainer):
    """FixMatch's step with self-adaptive thresholds and the fairness term.

    Logs `mask_rate`, `threshold` (the global threshold `tau` after the step's update) and
    `fairness_loss`; the loss adds `fairness_weight * fairness_loss` to FixMatch's.
    """

    statistics = ("mask_rate", "threshold", "fairness_loss")

    def __init__(self, classifier, *args, threshold_momentum=0.999, fairness_weight=0.01, **kwargs):
        super().__init__(classifier, *args, **kwargs)
        self.threshold_momentum = float(threshold_momentum)
        self.fairness_weight = float(fairness_weight)
        classes = int(classifier.output_shape[-1])
        # all three start at 1, as in USB (see the module docstring); `h` only enters through
        # ratios, so its start is a uniform histogram
        self.global_threshold = self.add_weight(
            shape=(), initializer="ones", trainable=False, name="global_threshold"
        )
        self.class_expectations = self.add_weight(
            shape=(classes,), initializer="ones", trainable=False, name="class_expectations"
        )
        self.label_histogram = self.add_weight(
            shape=(classes,), initializer="ones", trainable=False, name="label_histogram"
        )

    def pseudo_label_thresholds(self):
        """Each class's self-adaptive threshold after the last step: `tau * p(c) / max p`."""
        tau = float(ops.convert_to_numpy(self.global_threshold.value))
        expectations = np.asarray(ops.convert_to_numpy(self.class_expectations.value), "float64")
        return tau * expectations / expectations.max()

    def unlabeled_term(self, weak_logits, strong_logits):
        probabilities = ops.stop_gradient(ops.softmax(ops.cast(weak_logits, "float32"), axis=-1))
        tau, expectations, thresholds = self_adaptive_thresholds(
            probabilities,
            self.global_threshold.value,
            self.class_expectations.value,
            self.threshold_momentum,
        )
        histogram = ema_update(
            self.label_histogram.value, predicted_histogram(probabilities), self.threshold_momentum
        )
        self.global_threshold.assign(tau)
        self.class_expectations.assign(expectations)
        self.label_histogram.assign(histogram)
        loss, mask = pseudo_label_cross_entropy(weak_logits, strong_logits, thresholds)
        return {
            "unlabeled_loss": loss,
            "mask_rate": ops.mean(mask),
            "threshold": tau,
            "fairness_loss": fairness_loss(strong_logits, mask, expectations, histogram),
        }

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        if isinstance(y_pred, dict):
            loss = loss + self.fairness_weight * y_pred["fairness_loss"]
        return loss


class FreeMatch(FixMatch):
    """FreeMatch: FixMatch with self-adaptive confidence thresholds and a fairness term.

    The defaults are FixMatch's protocol (the paper keeps it) with the paper's and USB's
    FreeMatch settings: threshold momentum 0.999, fairness weight 0.01 (Wang et al., 2023).
    There is no `confidence_threshold`: the thresholds adapt (see the module docstring).

    Args:
        threshold_momentum: momentum of the thresholds' moving averages, in [0, 1) (0.999).
        fairness_weight: weight of the fairness term, >= 0 (0.01); 0 leaves only the
            self-adaptive thresholds.
        num_operations, cutout, labeled_augmentation, unlabeled_weight: as in `FixMatch`.
        Other parameters: see `ConsistencyStrategy` and `BaseStrategy`.

    Attributes:
        history_["consistency"]: per epoch FixMatch's, plus `threshold` (the global threshold,
            averaged over the epoch's steps) and `fairness_loss`.
        Others: see `ConsistencyStrategy`.

    Example:
        >>> from semisup.data import load, seed_split
        >>> from semisup.strategies import FreeMatch
        >>> ds = load("digits")
        >>> y = seed_split(len(ds.y_train)).apply(ds.y_train)
        >>> model = FreeMatch(steps=4, epochs=2, batch_size=16, mu=2, horizontal_flip=False,
        ...                   random_state=0).fit(ds.x_train, y)
        >>> sorted(model.history_["consistency"])[:4]
        ['accuracy', 'fairness_loss', 'loss', 'mask_rate']
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
        threshold_momentum=0.999,
        fairness_weight=0.01,
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

    trainer_class = FreeMatchTrainer

    def _trainer_arguments(self):
        return {
            "num_operations": self.num_operations,
            "cutout": self.cutout,
            "labeled_augmentation": self.labeled_augmentation,
            "threshold_momentum": self.threshold_momentum,
            "fairness_weight": self.fairness_weight,
        }

    def _check_parameters(self):
        ConsistencyStrategy._check_parameters(self)  # FixMatch's checks its fixed threshold
        self._check_augmentation()
        momentum = self.threshold_momentum
        if not _is_number(momentum) or not 0 <= momentum < 1:
            raise ValueError(f"threshold_momentum must be in [0, 1), got {momentum!r}.")
        weight = self.fairness_weight
        if not _is_number(weight) or not weight >= 0:
            raise ValueError(f"fairness_weight must be a number >= 0, got {weight!r}.")


__all__ = [
    "FreeMatch",
    "FreeMatchTrainer",
    "fairness_loss",
    "predicted_histogram",
    "self_adaptive_thresholds",
]
