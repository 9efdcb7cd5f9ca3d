"""The core the consistency-training strategies share: FixMatch, FreeMatch, Mean Teacher,
pseudo-label, Pi.

Each of them trains one classifier (the shared encoder + head) on a labeled batch and an unlabeled
batch at every optimizer step: cross-entropy on the labeled images plus `unlabeled_weight` times
a method-specific term on the unlabeled ones. What differs is that term, so each method is a
`ConsistencyTrainer` subclass that overrides one method (`consistency`) and a
`ConsistencyStrategy` subclass that lists its parameters; everything else lives here.

Training length. These methods are trained for a number of optimizer steps (FixMatch: 2^20),
not epochs over one data set, since the labeled and unlabeled batches run through their sets at
different rates. Exactly one of `steps` and `images` sets it (`images` counts labeled plus
unlabeled images drawn, `batch_size * (1 + mu)` a step, and is rounded up to whole steps);
`epochs` only splits it into that many Keras epochs, the unit of the history, the progress bar
and checkpoints. `training_length_` records the choice and the steps actually run.

Data feeding (why the data lives on the device). The target is WRN-28-2 at >= 27 steps/s with
64 labeled + 448 unlabeled images a step and < 10% of the step time outside the compiled step.
Feeding batches from the host would copy ~1.5 MB (uint8; 6 MB as float32) per step and pay the
Python data path of `fit()` once per step; instead both image sets are stored once, as non-trainable
variables of the training model (`OnDeviceImages`: uint8 when the images are 8-bit, else
float32), and each step draws its batch indices with `keras.random` from the model's
`SeedGenerator`, gathers the images and augments them, all inside the compiled step. `fit()` is
stock Keras: it is given a placeholder array of one float per step (batch size 1), so a step
moves 4 bytes from the host, and `steps_per_execution` works as everywhere else (TensorFlow runs
k steps per compiled call; Keras's JAX trainer still dispatches each compiled step from Python,
but with no data to prepare). Indices are drawn uniformly with replacement, independently each
step, rather than as shuffled epochs: with 448 of 40,000 images a batch holds ~2.5 repeated pairs
on average. The images are data, not learned state: `OnDeviceImages` leaves them out of saved
weights and checkpoints (each `fit()` stores them again). CIFAR-10's 50,000 32 x 32 x 3 images take
150 MB of device memory as uint8. Under JAX the image variables are part of the state the compiled
step takes (donated) and returns unchanged, so no copy is expected; that, and the step rate, are
still to be measured on the GPU.

Optimizer and evaluation. FixMatch's protocol is the default: SGD with Nesterov momentum 0.9,
learning rate 0.03 decayed as `lr cos(7 pi k / 16 K)` over the K steps (`FixMatchCosineDecay`),
weight decay 5e-4 as an L2 term in the loss (`weight_decay / 2 * sum ||kernel||^2` over kernels,
not biases or BatchNorm), which through the momentum is what FixMatch's and USB's code do; Keras's
optimizer `weight_decay` is decoupled (AdamW-style) and would be about 10x weaker here. The model
evaluated is an exponential moving average of the weights (decay `ema_decay`, 0.999): the
optimizer's own `use_ema` / `ema_momentum`, which `fit()` copies into the model at the end
(`optimizer.finalize_variable_values`), so `predict_proba` uses the averaged weights; with
`validation_data`, `keras.callbacks.SwapEMAWeights` swaps them in for each validation pass.
The average is bias-corrected (`BiasCorrectedWeightAverage`): Keras's keeps the first step's
weights at weight `decay^(t-1)` after t steps (37 % after 1,000 steps at 0.999), ours weighs
the steps' weights by `decay^(t-i)` and normalises. Keras averages the trainable weights only;
BatchNorm's moving statistics are the model's own (bias-corrected in semisup's encoders).
There is no early stopping: the learning-rate schedule is fixed by the training length.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from semisup._seed_state import SavesSeedState
from semisup.augmentation import weak_augment
from semisup.strategies._base import BaseStrategy

LEARNING_RATE_SCHEDULES = ("cosine", "constant")
RAMPUP_SHAPES = ("sigmoid", "linear")
PHASE = "consistency"


# ---------------------------------------------------------------------------- pieces
@keras.saving.register_keras_serializable(package="semisup")
class FixMatchCosineDecay(keras.optimizers.schedules.LearningRateSchedule):
    """FixMatch's learning rate: `initial_learning_rate * cos(7 pi k / (16 K))` at step k of K.

    It ends at `cos(7 pi / 16) = 0.195` of the initial rate, not at 0 like a half cosine
    (Sohn et al., 2020, Sec. 4); steps past K keep the last rate.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: K, the training length in steps.
    """

    def __init__(self, initial_learning_rate, decay_steps):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = int(decay_steps)

    def __call__(self, step):
        progress = ops.minimum(ops.cast(step, "float32") / max(self.decay_steps, 1), 1.0)
        return self.initial_learning_rate * ops.cos(7.0 * math.pi * progress / 16.0)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
        }


def rampup(step, rampup_steps, shape="sigmoid"):
    """The unlabeled term's ramp-up factor at `step`, rising from 0 to 1 over `rampup_steps`.

    `"sigmoid"`: `exp(-5 (1 - t)^2)` with `t = step / rampup_steps` (Laine & Aila, 2017;
    Tarvainen & Valpola, 2017); `"linear"`: `t` (Lee, 2013). 1 from `rampup_steps` on, and
    always 1 when `rampup_steps` is 0.
    """
    if rampup_steps <= 0:
        return ops.ones((), "float32")
    progress = ops.clip(ops.cast(step, "float32") / float(rampup_steps), 0.0, 1.0)
    if shape == "linear":
        return progress
    return ops.exp(-5.0 * ops.square(1.0 - progress))


def confidence_mask(probabilities, confidence_threshold):
    """1 where an image's top probability reaches the threshold, else 0.

    `confidence_threshold` is one number for every class, or one per class (K values: the
    image's predicted class's counts, as FreeMatch's self-adaptive thresholds).

    Example:
        >>> import numpy as np
        >>> probabilities = np.array([[0.9, 0.1], [0.3, 0.7], [0.6, 0.4]], "float32")
        >>> np.asarray(confidence_mask(probabilities, np.array([0.8, 0.5]))).tolist()
        [1.0, 1.0, 0.0]
    """
    probabilities = ops.cast(probabilities, "float32")
    needed = ops.cast(confidence_threshold, "float32")
    if len(ops.shape(needed)):  # one per class: that of the predicted class
        needed = ops.take(needed, ops.argmax(probabilities, axis=-1), axis=0)
    return ops.cast(ops.max(probabilities, axis=-1) >= needed, "float32")


def pseudo_label_cross_entropy(target_logits, logits, confidence_threshold):
    """Cross-entropy of `logits` against hard pseudo-labels taken from `target_logits`.

    The pseudo-label of image i is the argmax of `softmax(target_logits[i])` and it counts only
    where that top probability is at least `confidence_threshold` (one number, or one per class:
    see `confidence_mask`); the targets carry no gradient.
    The masked sum is divided by the number of images, kept or not (FixMatch's `H` term averaged
    over the mu * B unlabeled images, Sohn et al., 2020, Eq. 4), so a batch where no prediction
    is confident gives 0. FixMatch calls it with the weak view's logits as targets and the strong
    view's as `logits`; pseudo-label (Lee, 2013) with the same logits twice.

    Args:
        target_logits: N x K logits that make the pseudo-labels.
        logits: N x K logits that are trained towards them.
        confidence_threshold: in (0, 1], or K such values, one per class.

    Returns:
        `(loss, mask)`: a scalar, and N floats (1 where the pseudo-label counted, else 0).

    Example:
        >>> import numpy as np
        >>> target = np.array([[5.0, 0.0], [0.0, 0.1]], "float32")   # confident, unsure
        >>> loss, mask = pseudo_label_cross_entropy(target, target, 0.95)
        >>> np.asarray(mask).tolist()
        [1.0, 0.0]
    """
    target_logits = ops.stop_gradient(ops.cast(target_logits, "float32"))
    logits = ops.cast(logits, "float32")
    probabilities = ops.softmax(target_logits, axis=-1)
    mask = confidence_mask(probabilities, confidence_threshold)
    pseudo_labels = ops.argmax(probabilities, axis=-1)
    per_image = keras.losses.sparse_categorical_crossentropy(
        pseudo_labels, logits, from_logits=True
    )
    return ops.mean(per_image * mask), mask


def softmax_mse(logits, target_logits):
    """Mean squared difference of two softmaxes, over images and classes (Pi-model, Mean Teacher).

    Gradients flow into both arguments; stop them where a target must not move.
    """
    difference = ops.softmax(ops.cast(logits, "float32"), axis=-1) - ops.softmax(
        ops.cast(target_logits, "float32"), axis=-1
    )
    return ops.mean(ops.square(difference))


def l2_penalty(variables):
    """`sum ||w||^2 / 2` over the variables named `kernel` (dense and convolution weights).

    Biases and BatchNorm's scales and offsets are left out, as in FixMatch's code.
    """
    kernels = [ops.sum(ops.square(v)) for v in variables if v.name.endswith("kernel")]
    if not kernels:
        return ops.zeros((), "float32")
    return 0.5 * ops.cast(ops.sum(ops.stack(kernels)), "float32")


def _stored_images(images: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """uint8 codes when the float images are exactly `code / 255` (as `images_to_float` makes
    them from 8-bit images): 4x less device memory. Anything else stays float32. Checked in
    chunks, so the check needs little host memory beyond the result."""
    codes = np.empty(images.shape, dtype=np.uint8)
    for start in range(0, len(images), chunk):
        part = images[start : start + chunk]
        rounded = np.rint(part * np.float32(255.0))
        if not np.array_equal(rounded.astype(np.float32) / np.float32(255.0), part):
            return images.astype(np.float32, copy=False)
        codes[start : start + chunk] = rounded
    return codes


class OnDeviceImages(keras.layers.Layer):
    """A fixed image set (and its labels) kept on the device and sampled inside the step.

    The images are stored once as a non-trainable variable (uint8 codes when they are 8-bit
    images, else float32); `sample` draws indices uniformly with replacement from a
    `keras.random.SeedGenerator` and gathers, so a training step needs no host-to-device copy.
    The variables are data, not state: they are left out of saved weights and checkpoints.

    Args:
        images: N x H x W x C floats in [0, 1].
        labels: N integer class indices, or None.
        **kwargs: passed to `keras.layers.Layer` (e.g. `name`).
    """

    def __init__(self, images, labels=None, **kwargs):
        super().__init__(**kwargs)
        stored = _stored_images(np.asarray(images))
        self.count = int(stored.shape[0])
        self.codes = stored.dtype == np.uint8
        self.images = keras.Variable(
            stored, dtype=str(stored.dtype), trainable=False, name="images"
        )
        self.labels = None
        if labels is not None:
            labels = np.asarray(labels, dtype=np.int32)
            self.labels = keras.Variable(labels, dtype="int32", trainable=False, name="labels")
        self.built = True

    def sample(self, count, seed):
        """`count` images (float32 in [0, 1]) and their labels (or None), drawn with `seed`."""
        index = keras.random.randint((count,), 0, self.count, seed=seed)
        images = ops.cast(ops.take(self.images, index, axis=0), "float32")
        if self.codes:  # the division of images_to_float, so the values are the same floats
            images = images / 255.0
        labels = None if self.labels is None else ops.take(self.labels, index, axis=0)
        return images, labels

    def save_own_variables(self, store):
        pass  # data, fed again by every fit(): checkpoints stay small

    def load_own_variables(self, store):
        pass


# ---------------------------------------------------------------------------- the training model
class ConsistencyTrainer(SavesSeedState, keras.Model):
    """A training model for stock `fit()`: each step draws, augments and trains on its batches.

    `fit()` gets a placeholder array (one value per step, batch size 1). `call` on the
    placeholder draws `batch_size` labeled and `unlabeled_batch_size` unlabeled images from the
    on-device sets, hands them to `consistency` (the one method a subclass overrides) and returns
    what the loss needs; `compute_loss` adds the labeled cross-entropy, the ramped-up unlabeled
    term and the L2 penalty. `call` on images (validation data) is the classifier's forward pass,
    and `compute_loss` then is the plain cross-entropy, so stock validation works.

    Metrics logged per epoch: `loss`, `accuracy` (on the labeled batch, weakly augmented),
    `supervised_loss`, `unlabeled_loss`, `unlabeled_weight` (after the ramp-up), and what a
    subclass adds in `statistics`.

    Args:
        classifier: images -> logits (the shared encoder + head); trained in place.
        labeled_images, labeled_targets: the labeled set (floats in [0, 1], class indices).
        unlabeled_images: the unlabeled set.
        batch_size, unlabeled_batch_size: images of each set drawn per step.
        unlabeled_weight: weight of the unlabeled term once ramped up.
        rampup_steps, rampup_shape: its ramp-up (see `rampup`).
        weight_decay: factor of `l2_penalty(classifier weights)` in the loss.
        horizontal_flip, translation: the weak augmentation (see `weak_augment`).
        seed: seeds the step's `SeedGenerator` (batches and augmentation).
        validation_batch_size: images per validation step.
    """

    #: names of the extra per-step scalars `consistency` returns, logged as metrics
    statistics: tuple[str, ...] = ()

    def __init__(
        self,
        classifier,
        labeled_images,
        labeled_targets,
        unlabeled_images,
        batch_size,
        unlabeled_batch_size,
        unlabeled_weight=1.0,
        rampup_steps=0,
        rampup_shape="sigmoid",
        weight_decay=0.0,
        horizontal_flip=True,
        translation=0.125,
        seed=None,
        validation_batch_size=1024,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.classifier = classifier
        self.labeled = OnDeviceImages(labeled_images, labeled_targets, name="labeled_images")
        self.unlabeled = OnDeviceImages(unlabeled_images, name="unlabeled_images")
        self.batch_size = int(batch_size)
        self.unlabeled_batch_size = int(unlabeled_batch_size)
        self.unlabeled_weight = float(unlabeled_weight)
        self.rampup_steps = int(rampup_steps)
        self.rampup_shape = rampup_shape
        self.weight_decay = float(weight_decay)
        self.horizontal_flip = bool(horizontal_flip)
        self.translation = translation
        self.validation_batch_size = int(validation_batch_size)
        self.seed_generator = keras.random.SeedGenerator(seed)
        # the step count as model state: the optimizer's is out of reach of `call` under JAX
        self.step_counter = keras.Variable(0, dtype="int32", trainable=False, name="step")
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in ("supervised_loss", "unlabeled_loss", "unlabeled_weight", *self.statistics)
        }
        self.built = True  # every variable exists; checkpoints can be restored before fit()

    # -------------------------------------------------------------- for subclasses
    def consistency(self, labeled_images, unlabeled_images, step):  # pragma: no cover
        """The method: a dict with `labeled_logits` (for the cross-entropy), `unlabeled_loss`
        and one scalar per name in `statistics`."""
        raise NotImplementedError

    def pseudo_label_thresholds(self):
        """The confidence each class's pseudo-label needs now, as K floats (numpy), or None for a
        method that keeps no pseudo-labels by confidence (the default). The harness's monitor
        reads it to score the pseudo-labels on the unlabeled pool (`monitor_unlabeled`)."""
        return None

    def weak(self, images):
        """The weak augmentation: random flip (if enabled) and translation with reflection."""
        return weak_augment(
            images, self.horizontal_flip, self.translation, "reflect", seed=self.seed_generator
        )

    def forward(self, *batches):
        """The classifier on several batches as one (BatchNorm sees them together); the logits
        come back split the same way."""
        sizes = [int(batch.shape[0]) for batch in batches]
        logits = self.classifier(ops.concatenate(batches, axis=0), training=True)
        splits = np.cumsum(sizes)[:-1].tolist()
        return ops.split(logits, splits, axis=0) if splits else [logits]

    # -------------------------------------------------------------- Keras
    def call(self, inputs, training=False):
        if len(inputs.shape) == 4:  # images: validation or any plain forward pass
            return self.classifier(inputs, training=training)
        # fit()'s placeholder: one training step on batches drawn on the device.
        # Read the counter now and write it last: a TensorFlow graph reads a variable where its
        # value is first used, which would come after the write.
        step = ops.convert_to_tensor(self.step_counter.value)
        labeled, targets = self.labeled.sample(self.batch_size, self.seed_generator)
        unlabeled, _ = self.unlabeled.sample(self.unlabeled_batch_size, self.seed_generator)
        outputs = dict(self.consistency(labeled, unlabeled, step))
        outputs["labeled_targets"] = targets
        outputs["unlabeled_weight"] = self.unlabeled_weight * rampup(
            step, self.rampup_steps, self.rampup_shape
        )
        outputs["weight_penalty"] = l2_penalty(self.classifier.trainable_variables)
        self.step_counter.assign(step + 1)
        return outputs

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        extra = ops.sum(ops.stack(self.losses)) if self.losses else 0.0
        if not isinstance(y_pred, dict):  # validation images
            y_pred = ops.cast(y_pred, "float32")  # (the head's logits are float32 already)
            y = ops.reshape(ops.cast(y, "int32"), (-1,))
            self.accuracy_tracker.update_state(y, y_pred)
            per_image = keras.losses.sparse_categorical_crossentropy(y, y_pred, from_logits=True)
            return ops.mean(per_image) + extra
        logits = ops.cast(y_pred["labeled_logits"], "float32")
        targets = y_pred["labeled_targets"]
        supervised = ops.mean(
            keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True)
        )
        self.accuracy_tracker.update_state(targets, logits)
        weight = ops.stop_gradient(y_pred["unlabeled_weight"])
        unlabeled = y_pred["unlabeled_loss"]
        for name, tracker in self.trackers.items():
            value = {"supervised_loss": supervised, "unlabeled_weight": weight}.get(name)
            tracker.update_state(y_pred[name] if value is None else value)
        return (
            supervised + weight * unlabeled + self.weight_decay * y_pred["weight_penalty"] + extra
        )

    def fit(self, *args, callbacks=None, validation_data=None, **kwargs):
        """Stock `fit()`; validation evaluates the optimizer's EMA weights when it keeps them."""
        callbacks = list(callbacks or [])
        if validation_data is not None:
            kwargs.setdefault("validation_batch_size", self.validation_batch_size)
            if getattr(self.optimizer, "use_ema", False):
                callbacks.insert(0, keras.callbacks.SwapEMAWeights())
        return super().fit(*args, callbacks=callbacks, validation_data=validation_data, **kwargs)


# ---------------------------------------------------------------------------- weight averaging
class BiasCorrectedWeightAverage:
    """Mixin for a Keras optimizer with `use_ema=True`: after t steps the moving average of the
    weights is exactly the momentum-weighted average of the weights after steps 1..t,
    `sum_i m^(t-i) w_i / sum_i m^(t-i)`, instead of Keras's, which keeps the first step's weights
    (nearly the initial ones) at weight `m^(t-1)`: with `ema_momentum` 0.999 still 37 % after
    1,000 steps, so that a short run, or the first thousands of steps of a long one, evaluates
    mostly an untrained network.

    The t-th update moves the average by `(1 - m) / (1 - m^t)` of its gap to the weights
    (1 at the first step, as in Keras, then falling to `1 - m`): the same correction as
    `semisup.encoders.BiasCorrectedBatchNormalization` makes for the batch statistics. It
    overrides Keras's private `_update_model_variables_moving_average`, which both backends'
    optimizers call once a step before the step counter is incremented (tests pin that down).
    """

    def _update_model_variables_moving_average(self, trainable_variables):
        if not self.use_ema:
            return
        momentum = float(self.ema_momentum)
        if momentum == 0.0:
            rate = 1.0
        else:
            # (1 - m) / (1 - m^t) with t = iterations + 1, written with expm1 so that it stays
            # accurate for m near 1 and large t
            log_momentum = math.log(momentum)
            count = ops.cast(self.iterations, "float32") + 1.0
            rate = -math.expm1(log_momentum) / -ops.expm1(count * log_momentum)
        for variable, average in zip(trainable_variables, self._model_variables_moving_average):
            if average is not None:
                step = ops.cast(rate, average.dtype) * (ops.cast(variable, average.dtype) - average)
                average.assign(average + step)


def weight_average_pairs(model) -> list:
    """(weight, its moving average) for each weight the model's optimizer averages; [] when it
    keeps no average (or the model has no optimizer)."""
    optimizer = getattr(model, "optimizer", None)
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer
    if not getattr(optimizer, "use_ema", False):
        return []
    averages = getattr(optimizer, "_model_variables_moving_average", None) or []
    return list(zip(optimizer._trainable_variables, averages))


def with_bias_corrected_weight_average(optimizer: keras.optimizers.Optimizer):
    """The optimizer, of a subclass of its own class with `BiasCorrectedWeightAverage` mixed in
    (the same object if it has it already, or keeps no average)."""
    if not getattr(optimizer, "use_ema", False) or isinstance(
        optimizer, BiasCorrectedWeightAverage
    ):
        return optimizer
    cls = type(optimizer)
    optimizer.__class__ = type(cls.__name__, (BiasCorrectedWeightAverage, cls), {})
    return optimizer


# ---------------------------------------------------------------------------- model selection
class BestEpoch(keras.callbacks.Callback):
    """Keeps, on the host, the weights the model is evaluated with (the optimizer's moving
    average where it keeps one, else the weights) and the classifier's non-trainable variables
    (batch-norm statistics) at the end of the epoch with the highest `val_accuracy` so far;
    `restore()` writes them into the classifier after `fit()`. Epochs without a validation
    accuracy are passed over."""

    def __init__(self, classifier):
        super().__init__()
        self.classifier = classifier
        self.best_accuracy = None
        self.best_epoch = None  # 1-based
        self._saved = None

    def _evaluated_pairs(self):
        return weight_average_pairs(self.model) or [
            (variable, variable) for variable in self.classifier.trainable_variables
        ]

    def on_epoch_end(self, epoch, logs=None):
        accuracy = (logs or {}).get("val_accuracy")
        if accuracy is None or not math.isfinite(float(accuracy)):
            return
        if self.best_accuracy is not None and float(accuracy) <= self.best_accuracy:
            return
        self.best_accuracy, self.best_epoch = float(accuracy), epoch + 1
        self._saved = [
            (variable, np.array(ops.convert_to_numpy(value)))
            for variable, value in self._evaluated_pairs()
        ] + [
            (variable, np.array(ops.convert_to_numpy(variable)))
            for variable in self.classifier.non_trainable_variables
        ]

    def restore(self) -> bool:
        """Write the best epoch's values into the classifier; False if no epoch had one."""
        if self._saved is None:
            return False
        for variable, value in self._saved:
            variable.assign(value)
        return True


# ---------------------------------------------------------------------------- the strategy
def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


class ConsistencyStrategy(BaseStrategy):
    """Base of FixMatch, FreeMatch, MeanTeacher, PseudoLabel and PiModel (see the module
    docstring).

    Subclasses set `trainer_class` (a `ConsistencyTrainer` subclass), `rampup_shape`, and
    `_trainer_arguments()` (their own trainer keywords), and list every parameter in their
    `__init__` (scikit-learn reads the signature), storing them with `self._store(locals())`.

    Parameters shared by all of them:
        steps: training length in optimizer steps; or
        images: training length in images drawn (labeled + unlabeled, `batch_size * (1 + mu)`
            a step), rounded up to whole steps. Exactly one of `steps` and `images` is given.
        epochs: Keras epochs the training length is split into (history points, progress and
            checkpoints); the steps are rounded up to a multiple of it (at most `epochs - 1`
            extra steps) and it is lowered to `steps` if larger.
        batch_size: labeled images per step (FixMatch: 64).
        mu: unlabeled images per labeled one in a step (`round(mu * batch_size)`), >= 1.
        optimizer: `"sgd"` (with `momentum` and `nesterov`), another Keras optimizer name, or
            an instance (its learning rate is replaced by the schedule).
        learning_rate: the initial learning rate (FixMatch: 0.03).
        learning_rate_schedule: `"cosine"` (FixMatch's `cos(7 pi k / 16 K)`) or `"constant"`.
        momentum, nesterov: SGD's (FixMatch: 0.9, Nesterov).
        weight_decay: L2 factor on the kernels in the loss (FixMatch: 5e-4 on CIFAR-10).
        ema_decay: decay of the weights' moving average that is evaluated and predicted with
            (0.999); None evaluates the raw weights. The average is bias-corrected
            (`BiasCorrectedWeightAverage`): from the first step on it is the decay-weighted
            average of the weights the run went through, with no share left to the initial
            ones, so the default suits short runs too; it averages over the last ~1 / (1 -
            decay) steps.
        unlabeled_weight: weight of the unlabeled term (lambda_u, or w_max once ramped up).
        rampup_fraction: fraction of the steps over which that weight ramps up from 0.
        horizontal_flip: the weak augmentation mirrors half the images; turn it off where
            mirroring changes the class (digits, text).
        translation: the weak augmentation's largest shift, a fraction of the side (0.125).
        select_best_epoch: with `validation_data`, predict with the model of the epoch whose
            validation accuracy was highest (its averaged weights and batch-norm statistics)
            instead of the last one: model selection on a validation split, such as FER2013's
            PublicTest. False (the default) keeps the last epoch's; True without validation
            data raises. After a resume from a checkpoint the choice is among the epochs run
            since.
        encoder, callbacks, unlabeled_filter, random_state, verbose, steps_per_execution,
            precision: see `BaseStrategy`. With `precision="mixed_bfloat16"` the classifier
            (encoder and head) computes in bfloat16; the images are stored, drawn and augmented
            in float32 and cast where the encoder takes them, and the losses, the L2 penalty,
            the confidence mask, the weights and their moving averages stay float32.

    Attributes (after `fit`), besides `BaseStrategy`'s:
        training_length_: `{"unit": "steps" | "images", "value": as given, "steps": steps run,
            "epochs", "steps_per_epoch", "images_per_step"}`.
        images_seen_: labeled + unlabeled images drawn over all steps run.
        best_epoch_: with `select_best_epoch`, `{"epoch": the 1-based epoch kept,
            "val_accuracy": its validation accuracy}`; None otherwise.
        trainer_: the fitted `ConsistencyTrainer` (its history: `history_["consistency"]`).
        unlabeled_pool_: `"unlabeled"`, or `"labeled"` when there was no unlabeled image: then
            the labeled images (labels unused) stand in for the unlabeled set, so the method
            still regularises with its unlabeled term instead of failing.
    """

    trainer_class: type[ConsistencyTrainer] = ConsistencyTrainer
    rampup_shape = "sigmoid"
    #: no early stopping: the learning rate follows the fixed training length (see module doc)
    early_stopping_patience = None

    def _store(self, arguments):
        for name, value in arguments.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    def _trainer_arguments(self) -> dict:
        return {}

    # -------------------------------------------------------------- fitting
    def _fit(self, x_labeled, y_labeled, x_unlabeled, validation):
        length = self._training_length()
        self.unlabeled_pool_ = "unlabeled" if len(x_unlabeled) else "labeled"
        pool = x_unlabeled if len(x_unlabeled) else x_labeled
        classifier = self._build_classifier()
        trainer = self.trainer_class(
            classifier,
            x_labeled,
            y_labeled,
            pool,
            batch_size=self.batch_size,
            unlabeled_batch_size=self._unlabeled_batch_size(),
            unlabeled_weight=self.unlabeled_weight,
            rampup_steps=int(round(self.rampup_fraction * length["steps"])),
            rampup_shape=self.rampup_shape,
            weight_decay=self.weight_decay,
            horizontal_flip=self.horizontal_flip,
            translation=self.translation,
            seed=self.random_state,
            validation_batch_size=self.prediction_batch_size,
            name=f"{type(self).__name__.lower()}_trainer",
            **self._trainer_arguments(),
        )
        self._compile(trainer, optimizer=self._make_consistency_optimizer(length["steps"]))
        placeholder = np.zeros((length["steps_per_epoch"], 1), dtype=np.float32)
        best = BestEpoch(classifier) if self.select_best_epoch else None
        if best is not None and validation is None:
            raise ValueError(
                "select_best_epoch=True selects the epoch with the best validation accuracy, "
                "but fit() got no validation_data; pass validation_data=(X_val, y_val) or set "
                "select_best_epoch=False."
            )
        history = self._keras_fit(
            trainer,
            placeholder,
            None,
            validation=validation,
            epochs=length["epochs"],
            batch_size=1,
            phase=PHASE,
            early_stopping=False,
            extra_callbacks=[] if best is None else [best],
        )
        self.best_epoch_ = None
        if best is not None and best.restore():
            self.best_epoch_ = {"epoch": best.best_epoch, "val_accuracy": best.best_accuracy}
        # validation passes only compute the loss and accuracy; drop the other val_ zeros
        kept = {"val_loss", "val_accuracy"}
        history = {k: v for k, v in history.items() if not k.startswith("val_") or k in kept}
        self.history_[PHASE] = history
        steps_run = len(history.get("loss", [])) * length["steps_per_epoch"]
        self.images_seen_ = steps_run * length["images_per_step"]
        self.training_length_ = length
        self.trainer_ = trainer
        self._set_model(classifier, classifier._semisup_encoder)

    def _unlabeled_batch_size(self) -> int:
        return max(1, int(round(self.mu * self.batch_size)))

    def _training_length(self) -> dict:
        images_per_step = self.batch_size + self._unlabeled_batch_size()
        if self.steps is not None:
            unit, value, steps = "steps", int(self.steps), int(self.steps)
        else:
            unit, value = "images", int(self.images)
            steps = -(-value // images_per_step)
        epochs = min(int(self.epochs), steps)
        steps_per_epoch = -(-steps // epochs)
        return {
            "unit": unit,
            "value": value,
            "steps": epochs * steps_per_epoch,
            "epochs": epochs,
            "steps_per_epoch": steps_per_epoch,
            "images_per_step": images_per_step,
        }

    def _make_consistency_optimizer(self, total_steps):
        schedule = self.learning_rate
        if self.learning_rate_schedule == "cosine":
            schedule = FixMatchCosineDecay(self.learning_rate, total_steps)
        averaging = {}
        if self.ema_decay is not None:
            averaging = {"use_ema": True, "ema_momentum": float(self.ema_decay)}
        if isinstance(self.optimizer, keras.optimizers.Optimizer):
            config = self.optimizer.get_config()
            config.update(learning_rate=schedule, **averaging)
            optimizer = type(self.optimizer).from_config(config)
        elif self.optimizer == "sgd":
            optimizer = keras.optimizers.SGD(
                schedule, momentum=self.momentum, nesterov=bool(self.nesterov), **averaging
            )
        else:
            optimizer = type(keras.optimizers.get(self.optimizer))(
                learning_rate=schedule, **averaging
            )
        return with_bias_corrected_weight_average(optimizer)

    # -------------------------------------------------------------- checks
    def _check_parameters(self):
        super()._check_parameters()
        steps, images = self.steps, self.images
        if (steps is None) == (images is None):
            raise ValueError(
                f"{type(self).__name__} needs its training length: give exactly one of steps= "
                "(optimizer steps; FixMatch's paper: 2**20) or images= (labeled + unlabeled "
                f"images drawn, batch_size * (1 + mu) a step); got steps={steps!r}, "
                f"images={images!r}."
            )
        for name, value in (("steps", steps), ("images", images)):
            if value is not None and (not _is_int(value) or value < 1):
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if not _is_number(self.mu) or not self.mu >= 1:
            raise ValueError(
                f"mu (unlabeled images per labeled image in a step) must be a number >= 1, got "
                f"{self.mu!r}."
            )
        if self.learning_rate_schedule not in LEARNING_RATE_SCHEDULES:
            raise ValueError(
                f"learning_rate_schedule must be one of {LEARNING_RATE_SCHEDULES}, got "
                f"{self.learning_rate_schedule!r}."
            )
        if not _is_number(self.momentum) or not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}.")
        if not isinstance(self.nesterov, (bool, np.bool_)):
            raise TypeError(f"nesterov must be True or False, got {self.nesterov!r}.")
        if not _is_number(self.weight_decay) or self.weight_decay < 0:
            raise ValueError(f"weight_decay must be a number >= 0, got {self.weight_decay!r}.")
        decay = self.ema_decay
        if decay is not None and (not _is_number(decay) or not 0 <= decay < 1):
            raise ValueError(f"ema_decay must be None or in [0, 1), got {decay!r}.")
        if not _is_number(self.unlabeled_weight) or self.unlabeled_weight < 0:
            raise ValueError(
                f"unlabeled_weight must be a number >= 0, got {self.unlabeled_weight!r}."
            )
        fraction = self.rampup_fraction
        if not _is_number(fraction) or not 0 <= fraction <= 1:
            raise ValueError(f"rampup_fraction must be in [0, 1], got {fraction!r}.")
        if not isinstance(self.horizontal_flip, (bool, np.bool_)):
            raise TypeError(f"horizontal_flip must be True or False, got {self.horizontal_flip!r}.")
        if not isinstance(self.select_best_epoch, (bool, np.bool_)):
            raise TypeError(
                f"select_best_epoch must be True or False, got {self.select_best_epoch!r}."
            )
        if not _is_number(self.translation) or not 0 <= self.translation < 1:
            raise ValueError(
                f"translation must be a fraction of the side in [0, 1), got {self.translation!r}."
            )

    @staticmethod
    def _check_threshold(value):
        if not _is_number(value) or not 0 < value <= 1:
            raise ValueError(f"confidence_threshold must be in (0, 1], got {value!r}.")


__all__ = [
    "BestEpoch",
    "BiasCorrectedWeightAverage",
    "ConsistencyStrategy",
    "ConsistencyTrainer",
    "FixMatchCosineDecay",
    "OnDeviceImages",
    "l2_penalty",
    "pseudo_label_cross_entropy",
    "rampup",
    "softmax_mse",
    "weight_average_pairs",
    "with_bias_corrected_weight_average",
]
