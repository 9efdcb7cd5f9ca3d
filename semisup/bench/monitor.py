"""Test accuracy during training, against training time: the harness's `monitor_every` option.

`AccuracyMonitor` is a Keras callback the harness adds to a strategy's `callbacks`, which every
strategy passes to every Keras `fit()` it runs (`BaseStrategy._keras_fit`): the supervised fit,
each self-training round, the autoencoder and contrastive pretraining, the classifier stage, the
consistency methods' training. Every `every` epochs of each of those phases it predicts the test
images with the model being fitted and records `(seconds, epoch, accuracy)`.

What is predicted. A strategy's own `predict_proba` needs `model_`, which a strategy sets only
when its `fit()` is done, so the monitor reads the model Keras is fitting (`self.model`):

- a training model that is not itself the classifier but holds it as `.classifier` (the
  consistency methods' `ConsistencyTrainer`) is represented by that classifier;
- a functional model with one image input is used when one of its outputs has shape
  (batch, n_classes): that output's argmax is the prediction (the supervised and self-training
  classifiers, the stage-2 classifier of the pretraining strategies, and the one-step
  autoencoder's joint model, whose first output is the logits);
- any other model (an autoencoder, whose output is an image; the contrastive pretrainer) cannot
  classify: its epochs are skipped silently. A scikit-learn head (`head="logistic"`) has no Keras
  fit, so it adds no point; the harness's final accuracy is the one point after it.

Weight averages. Where the optimizer keeps an exponential moving average of the weights
(`use_ema=True`, the consistency methods' `ema_decay`), the strategy predicts with that average
after `fit()`, so the monitor does too: it copies the average into the model's weights (a copy:
under JAX `predict` donates the weights' buffers, which must not be the average's own), predicts,
and writes the raw weights back exactly (copied to the host first), so training resumes from the
very same values. Keras's `SwapEMAWeights` swaps in place instead, which under TensorFlow goes
through `a + b - b` and need not give the weights back to the last bit.

The unlabeled pool (`unlabeled=(x, y)`, the harness's `monitor_unlabeled`). With the hidden
labels of (a sample of) the unlabeled pool, each recorded point also scores the model there, in
`unlabeled_curve`: the accuracy of its predictions, and, for a method that keeps pseudo-labels by
confidence (its training model has `pseudo_label_thresholds()`: FixMatch, FreeMatch,
pseudo-label; SoftMatch, whose threshold is the confidence from which its weight is 1), the
share of images whose top probability reaches their predicted class's threshold and how many of
those kept pseudo-labels are right, per class. The images are scored
as they are, not augmented: FixMatch and FreeMatch take their pseudo-labels from a weakly
augmented view (flip and shift), so this is close to, not the same as, what a training step
sees. The pool is scored with the raw weights, which make the training's pseudo-labels, even
where an EMA of the weights is what the test images are scored with (in a short run with a low
`ema_decay` the two can differ a lot: on the digits after FixMatch's 150 steps at decay 0.99,
the raw weights were at least 0.95 sure of 75 % of 500 unlabeled images, the average of 40 %).

Time. `seconds` is wall time since `start()` (the harness calls it where it starts timing the
strategy's `fit()`) minus the time the monitor itself spent evaluating, which is summed in
`seconds_spent` (the row's `monitor_seconds`). Before reading the clock the monitor waits for the
device to finish the epoch's steps (JAX dispatches them asynchronously), so that work counts as
training, not as monitoring.
"""

from __future__ import annotations

import contextlib
import time

import keras
import numpy as np

from semisup._predict import batched_predict
from semisup.strategies._base import softmax
from semisup.strategies._consistency import confidence_mask, weight_average_pairs


class AccuracyMonitor(keras.callbacks.Callback):
    """Record test accuracy every `every` epochs of every training phase a strategy runs.

    Args:
        x: test images, N x H x W x C, float32 in [0, 1] as the strategies train on
            (`semisup.data._validation.images_to_float`).
        y: their N true labels, in the label codes the strategy is fitted with.
        every: record after epochs `every`, `2 * every`, ... of each phase (a positive int).
        strategy: the strategy being fitted (optional); its `classes_` map the model's output
            columns to labels and its `n_classes_` is the width of a classifier output. Without
            it column j is label j and any output of shape (batch, K) counts as class scores.
        batch_size: images per prediction batch.
        unlabeled: optional `(images, true labels)` of the unlabeled pool (or a sample of it),
            scored at each recorded point into `unlabeled_curve` (see the module docstring).

    Attributes:
        curve: one dict per recorded point: `seconds` (training time so far, see the module
            docstring), `epoch` (epochs of the phase finished, 1-based), `phase` (index of the
            Keras `fit()` in the strategy's fit, 0-based) and `accuracy` (in [0, 1]).
        unlabeled_curve: with `unlabeled`, one dict per recorded point: `seconds`, `epoch`,
            `phase` as in `curve`; `n` (images scored), `accuracy` (of the predictions there);
            `thresholds` (K floats, the confidence each predicted class needed, or None where the
            method keeps no pseudo-labels by confidence), `kept` (share of the images whose
            pseudo-label counts, or None), `kept_accuracy` (share of those that are right, None
            where none is kept), `kept_by_class` and `correct_by_class` (K counts of kept and of
            right pseudo-labels by predicted class, in the strategy's class order).
        seconds_spent: wall seconds spent evaluating (excluded from `seconds`).
        started: the `time.perf_counter()` time `seconds` counts from.

    Example:
        >>> monitor = AccuracyMonitor(x_test, y_test, every=5, strategy=model)  # doctest: +SKIP
        >>> monitor.start()                                                     # doctest: +SKIP
        >>> model.set_params(callbacks=[monitor]).fit(x, y)                     # doctest: +SKIP
        >>> monitor.curve[-1]                                                   # doctest: +SKIP
        {'seconds': 12.3, 'epoch': 10, 'phase': 0, 'accuracy': 0.91}
    """

    def __init__(
        self, x, y, every: int = 1, *, strategy=None, batch_size: int = 1024, unlabeled=None
    ):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"every must be a positive number of epochs, got {every!r}.")
        self.x, self.y = _images_and_labels(x, y, "x", "y")
        if unlabeled is not None:
            if not isinstance(unlabeled, (tuple, list)) or len(unlabeled) != 2:
                raise ValueError(
                    "unlabeled must be a pair (images, true labels) of the unlabeled pool, got "
                    f"{type(unlabeled).__name__}."
                )
            unlabeled = _images_and_labels(*unlabeled, "unlabeled images", "their labels")
        self.unlabeled = unlabeled
        self.unlabeled_curve: list[dict] = []
        self.every = int(every)
        self.strategy = strategy
        self.batch_size = int(batch_size)
        self.curve: list[dict] = []
        self.seconds_spent = 0.0
        self.started: float | None = None
        self._phase = -1
        self._predictor = None

    # ------------------------------------------------------------------ time
    def start(self, now: float | None = None) -> AccuracyMonitor:
        """Start the clock (and clear the curve); `now` is a `time.perf_counter()` value."""
        self.started = time.perf_counter() if now is None else float(now)
        self.curve = []
        self.unlabeled_curve = []
        self.seconds_spent = 0.0
        self._phase = -1
        return self

    def training_seconds(self, now: float | None = None) -> float:
        """Wall seconds since `start()` without the monitor's own evaluation time."""
        now = time.perf_counter() if now is None else now
        return now - self.started - self.seconds_spent

    # ------------------------------------------------------------------ Keras hooks
    def on_train_begin(self, logs=None):
        if self.started is None:
            self.start()
        self._phase += 1
        self._predictor = _classifier_of(self.model, self._n_classes())

    def on_epoch_end(self, epoch, logs=None):
        if self._predictor is None or (int(epoch) + 1) % self.every:
            return
        _wait_for_device(self.model)
        began = time.perf_counter()
        seconds = self.training_seconds(began)
        try:
            accuracy, pool = self._evaluate()
        finally:
            self.seconds_spent += time.perf_counter() - began
        point = {"seconds": round(seconds, 3), "epoch": int(epoch) + 1, "phase": self._phase}
        self.curve.append({**point, "accuracy": accuracy})
        if pool is not None:
            self.unlabeled_curve.append({**point, **pool})

    def on_train_end(self, logs=None):
        self._predictor = None  # a sub-model of this phase must not outlive it

    # ------------------------------------------------------------------ evaluation
    def _n_classes(self) -> int | None:
        return getattr(self.strategy, "n_classes_", None)

    def _scores(self, x) -> np.ndarray:
        model, output = self._predictor
        scores = batched_predict(model, x, self.batch_size)
        if isinstance(scores, (list, tuple)):
            scores = scores[output]
        elif isinstance(scores, dict):
            scores = list(scores.values())[output]
        return np.asarray(scores, dtype=np.float64)

    def _labels(self, columns: np.ndarray) -> np.ndarray:
        classes = getattr(self.strategy, "classes_", None)
        return columns if classes is None else np.asarray(classes)[columns]

    def _evaluate(self) -> tuple[float, dict | None]:
        """Test accuracy, and the unlabeled pool's point (or None without `unlabeled`)."""
        with _averaged_weights(self.model):
            test = self._scores(self.x)
        # the pool with the raw weights: they, not the average, make the training's pseudo-labels
        pool = None if self.unlabeled is None else self._scores(self.unlabeled[0])
        accuracy = float(np.mean(self._labels(np.argmax(test, axis=1)) == self.y))
        if pool is None:
            return accuracy, None
        return accuracy, self._pool_point(pool)

    def _pool_point(self, logits: np.ndarray) -> dict:
        columns = np.argmax(logits, axis=1)
        right = self._labels(columns) == self.unlabeled[1]
        point = {"n": int(len(right)), "accuracy": float(np.mean(right))}
        thresholds = getattr(self.model, "pseudo_label_thresholds", None)
        thresholds = None if thresholds is None else thresholds()
        if thresholds is None:
            empty = dict.fromkeys(("thresholds", "kept", "kept_accuracy"))
            return {**point, **empty, "kept_by_class": None, "correct_by_class": None}
        thresholds = np.asarray(thresholds, dtype=np.float64).reshape(-1)
        if thresholds.shape != (logits.shape[1],):
            raise ValueError(
                f"pseudo_label_thresholds() gave {thresholds.shape[0]} thresholds for a model "
                f"with {logits.shape[1]} classes; it must give one per class."
            )
        # the training's own rule (and precision): top probability >= its class's threshold
        kept = keras.ops.convert_to_numpy(confidence_mask(softmax(logits), thresholds)) > 0
        n_classes = logits.shape[1]
        return {
            **point,
            "thresholds": [round(float(t), 6) for t in thresholds],
            "kept": float(np.mean(kept)),
            "kept_accuracy": float(np.mean(right[kept])) if kept.any() else None,
            "kept_by_class": np.bincount(columns[kept], minlength=n_classes).tolist(),
            "correct_by_class": np.bincount(columns[kept & right], minlength=n_classes).tolist(),
        }


def _images_and_labels(x, y, x_name: str, y_name: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 4 or len(x) != len(y) or len(x) == 0:
        raise ValueError(
            f"{x_name} must be a non-empty N x H x W x C image batch with one label each in "
            f"{y_name}; got shapes {x.shape} and {y.shape}."
        )
    return x, y


def _classifier_of(model, n_classes: int | None):
    """`(model to predict with, index of its class-score output)` for the model being fitted,
    or None where it has no output of shape (batch, n_classes) (see the module docstring)."""
    inner = getattr(model, "classifier", None)
    if isinstance(inner, keras.Model):
        model = inner
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):  # a subclassed model: no graph to read
        return None
    if not isinstance(outputs, (list, tuple)) or not isinstance(inputs, (list, tuple)):
        return None
    if len(inputs) != 1 or len(tuple(inputs[0].shape)) != 4:
        return None
    for index, output in enumerate(outputs):
        shape = tuple(output.shape)
        if len(shape) == 2 and (n_classes is None or shape[1] == n_classes):
            return model, index
    return None


def _wait_for_device(model) -> None:
    """Block until the steps dispatched so far have run (reading back one weight does)."""
    variables = model.trainable_variables or model.variables
    if variables:
        keras.ops.convert_to_numpy(min(variables, key=lambda v: int(np.prod(v.shape))))


@contextlib.contextmanager
def _averaged_weights(model):
    """Within the block the model's averaged weights stand in for its weights (no-op without
    `use_ema`); on leaving, the weights are written back from a host copy, bit for bit."""
    pairs = weight_average_pairs(model)
    saved = [keras.ops.convert_to_numpy(weight) for weight, _ in pairs]
    try:
        for weight, average in pairs:
            # a copy, never the average's own array: under JAX `predict` donates the weights'
            # buffers, and one shared with the average would delete the optimizer's state
            weight.assign(keras.ops.convert_to_numpy(average))
        yield
    finally:
        for (weight, _), value in zip(pairs, saved):
            weight.assign(value)


__all__ = ["AccuracyMonitor"]
