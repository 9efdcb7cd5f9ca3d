"""The one small base every strategy builds on: validation, label encoding, the unlabeled-pool
filter, the shared encoder + classification head, compiling and fitting through stock Keras."""

from __future__ import annotations

import contextlib
import json
import os
import time
import warnings
import zlib

import keras
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from semisup import filters
from semisup._predict import batched_predict
from semisup._progress import TqdmEpochs
from semisup.data._validation import check_labels, images_to_float
from semisup.encoders import build_encoder, resolve
from semisup.heads import HEADS as FEATURE_HEADS
from semisup.heads import feature_extractor, make_head

UNLABELED = -1


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


HEADS = ("linear", "mlp")

#: The values of every strategy's `precision=`: the Keras dtype policy its networks are built
#: under. `"mixed_float16"` is left out on purpose: float16 needs loss scaling, which Keras adds
#: only when it compiles a model whose own policy is `"mixed_float16"`, and the strategies'
#: training models (which hold the losses) are float32; bfloat16 has float32's exponent range
#: and needs none.
PRECISIONS = ("float32", "mixed_bfloat16")


@contextlib.contextmanager
def dtype_policy_scope(policy: str):
    """Layers constructed inside take the Keras dtype `policy`; the previous one comes back after.

    Keras 3 layers read the global dtype policy (`keras.config.dtype_policy()`) when they are
    constructed, so building an encoder (any registered one, or a callable that builds its
    layers without `dtype=`) inside this scope gives it `policy`, and nothing outside the scope
    changes. The global policy is restored even when building raises.

    Args:
        policy: a Keras dtype policy name (`"float32"`, `"mixed_bfloat16"`, ...).

    Example:
        >>> import keras
        >>> before = keras.config.dtype_policy().name
        >>> with dtype_policy_scope("mixed_bfloat16"):
        ...     layer = keras.layers.Dense(4)
        >>> layer.compute_dtype, layer.variable_dtype, keras.config.dtype_policy().name == before
        ('bfloat16', 'float32', True)
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


class EpochLog(keras.callbacks.Callback):
    """Appends each epoch's logs to a JSON Lines file, so curves survive an interrupted fit.

    Each line also holds the epoch's wall time (`_seconds`, not a metric), so that a resumed
    fit can count the training time of the epochs an earlier process ran (`seconds_before`).
    `on_resume`, if given, is called once with that time (or None: not logged) where the fit
    resumed: as its first epoch begins, so that a time limit can count it while the fit runs,
    or at its end for a phase restored whole (no epoch left to run).
    """

    def __init__(self, path, on_resume=None):
        super().__init__()
        self.path = path
        self.on_resume = on_resume
        self.first_epoch = None  # > 0 when this fit resumed an interrupted one
        self._resume_credited = False  # whether the resume point was seen
        self._epoch_started = None

    def _credit_resume(self, epoch: int) -> None:
        if not self._resume_credited:
            self._resume_credited = True
            if epoch > 0 and self.on_resume is not None:
                self.on_resume(self.seconds_before(epoch))

    def on_epoch_begin(self, epoch, logs=None):
        self._credit_resume(epoch)
        self._epoch_started = time.perf_counter()

    def on_train_end(self, logs=None):
        self._credit_resume(len(self._entries()))  # no epoch began: every logged one was earlier

    def on_epoch_end(self, epoch, logs=None):
        if self.first_epoch is None:
            self.first_epoch = int(epoch)
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        entry = {"epoch": int(epoch), **{k: float(v) for k, v in (logs or {}).items()}}
        if self._epoch_started is not None:
            entry["_seconds"] = round(time.perf_counter() - self._epoch_started, 4)
        with open(self.path, "a") as handle:
            handle.write(json.dumps(entry) + "\n")

    def _entries(self) -> dict[int, dict]:
        """The logged entries by epoch (a re-run epoch keeps its last)."""
        by_epoch = {}
        if os.path.exists(self.path):
            with open(self.path) as handle:
                for line in handle:
                    try:
                        entry = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # a line torn by a kill
                    by_epoch[entry.pop("epoch")] = entry
        return by_epoch

    def history(self) -> dict[str, list[float]]:
        """The logged metrics by name, one value per epoch (a re-run epoch keeps its last)."""
        by_epoch = self._entries()
        names = sorted({name for entry in by_epoch.values() for name in entry})
        return {
            name: [by_epoch[e][name] for e in sorted(by_epoch) if name in by_epoch[e]]
            for name in names
            if not name.startswith("_")
        }

    def seconds_before(self, epoch: int) -> float | None:
        """The logged wall time of epochs 0..epoch-1 (those a resumed fit skipped); None when
        one of them has no time (logged before epoch times were) or is missing."""
        by_epoch = self._entries()
        seconds = [by_epoch.get(e, {}).get("_seconds") for e in range(int(epoch))]
        if any(value is None for value in seconds):
            return None
        return float(sum(seconds))


class EpochShuffleSeed(keras.callbacks.Callback):
    """Seeds NumPy's global generator at each epoch's start from (seed, phase, epoch).

    Under JAX (and NumPy-fed backends) Keras's `fit(shuffle=True)` draws each epoch's order of
    the images from NumPy's global generator. A fit resumed from a checkpoint at epoch k skips
    epochs 0..k-1 and so drew their orders for its epochs k, k+1, ...: a killed and resumed fit
    differed from the uninterrupted one (max 0.69 in probability for a 4-epoch supervised fit
    on digits under JAX), and a phase's orders depended on how much an earlier phase drew.
    Seeded per epoch, epoch k has the same order however the fit got there. TensorFlow shuffles
    with its own ops and is unaffected.
    """

    def __init__(self, seed: int, phase: str):
        super().__init__()
        self.seed = int(seed)
        self.phase = str(phase)

    def on_epoch_begin(self, epoch, logs=None):
        entropy = [self.seed, zlib.crc32(self.phase.encode()), int(epoch)]
        # the global generator, since it is the one Keras's NumPy data iterator draws from
        np.random.seed(np.random.SeedSequence(entropy).generate_state(1)[0])  # noqa: NPY002


def _build_keeping_random_state(model: keras.Model, sample) -> None:
    """Build `model` by calling it on `sample`, its random generators left as they were.

    The call draws from the model's `SeedGenerator`s (an augmenter inside the model does), so
    a fit with checkpoints would have begun one draw further on than the same fit without:
    a different run (the contrastive pretraining's first epoch lost 15.7 without, 11.2 with)."""
    states = [
        (variable, keras.ops.convert_to_numpy(variable))
        for variable in model.variables
        if variable.name == "seed_generator_state"
    ]
    model(sample)
    for variable, value in states:
        variable.assign(value)


class ThrottledBackup(keras.callbacks.BackupAndRestore):
    """Keras's `BackupAndRestore` saving at an epoch's end only when it is due: `every_s` seconds
    after its last save (or the fit's start), at the fit's last epoch, or when another callback
    has stopped the fit (early stopping, a time limit). `every_s=0` saves every epoch.

    A save writes the weights and the optimizer state (an HDF5 file) and, under JAX, first
    copies them from the device. With short epochs that is a large share of the training time:
    on an H200 the harness's per-epoch saves took 28% of the `seed` preset's supervised fit
    (conv4, 0.14 s epochs; benchmarks/results/step_breakdown.jsonl). Throttled, a killed fit
    loses at most `every_s` seconds and one epoch, and the backup is kept after the fit.

    Marked `async_safe`: any callback with its own `on_train_batch_end` makes Keras run the
    batch-end callbacks synchronously: after every compiled call the main thread converts the
    call's logs to Python floats, which waits for the device, so the host cannot queue the
    next call meanwhile (JAX; TensorFlow's callbacks are always synchronous).
    `BackupAndRestore` has one, which with `save_freq="epoch"` does nothing, so it is safe to
    run from Keras's callback thread.
    """

    def __init__(self, backup_dir, every_s: float = 0.0):
        super().__init__(backup_dir, delete_checkpoint=False)
        self.every_s = float(every_s)
        self.async_safe = True
        self.saves = 0
        self._last_save = time.monotonic()

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self._last_save = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        last = (self.params or {}).get("epochs")
        due = (
            time.monotonic() - self._last_save >= self.every_s
            or (last is not None and epoch + 1 >= last)
            or bool(getattr(self.model, "stop_training", False))
        )
        if due:
            super().on_epoch_end(epoch, logs)
            self.saves += 1
            self._last_save = time.monotonic()


def classification_head(
    features, n_classes: int, head: str = "linear", name: str = "classifier", pooling: str = "max"
):
    """A classification head on an encoder's feature map, returning class logits.

    Args:
        features: the encoder's output tensor (batch x height x width x channels).
        n_classes: number of output logits.
        head: `"linear"`: seed 001's supervised head (2x2 max-pool, flatten, one dense layer);
            the pool is skipped when the map is already a single pixel. `"mlp"`: seed 001's
            two-step head (flatten, dense 1024-256-128 with ReLU, dense logits).
        name: prefix of the head's layer names.
        pooling: `"max"` (the above, seed 001's), or `"global_average"`: the map is averaged
            over its positions first, as ResNet, DenseNet and WideResNet do (their registry
            entries say so in `preferred_pooling`), then the linear head's single dense layer
            or the mlp head's dense layers.

    The logits layer is always float32 (`dtype="float32"`), whatever the dtype policy the rest
    is built under: under a mixed policy (a strategy's `precision="mixed_bfloat16"`) every loss,
    softmax and confidence threshold then sees float32 logits.
    """
    if head not in HEADS:
        raise ValueError(f"head must be one of {HEADS}, got {head!r}.")
    if pooling not in ("max", "global_average"):
        raise ValueError(f"pooling must be 'max' or 'global_average', got {pooling!r}.")
    x = features
    if pooling == "global_average":
        x = keras.layers.GlobalAveragePooling2D(name=f"{name}_global_pool")(x)
        if head == "mlp":
            for units in (1024, 256, 128):
                x = keras.layers.Dense(units, activation="relu", name=f"{name}_dense{units}")(x)
    elif head == "linear":
        height, width = features.shape[1], features.shape[2]
        if height is not None and width is not None and min(height, width) >= 2:
            x = keras.layers.MaxPooling2D(2, name=f"{name}_pool")(x)
        x = keras.layers.Flatten(name=f"{name}_flatten")(x)
    else:
        x = keras.layers.Flatten(name=f"{name}_flatten")(x)
        for units in (1024, 256, 128):
            x = keras.layers.Dense(units, activation="relu", name=f"{name}_dense{units}")(x)
    return keras.layers.Dense(n_classes, name=f"{name}_logits", dtype="float32")(x)


class BaseStrategy(ClassifierMixin, BaseEstimator):
    """Base of every semisup strategy: a scikit-learn classifier around one shared encoder.

    `fit(X, y)` takes images (N x H x W x C, uint8 or floats in [0, 1]) and labels where `-1` marks
    an unlabeled image. Subclasses implement `_fit(x_labeled, y_labeled, x_unlabeled, validation)`
    and set `self.model_`, a `keras.Model` from images to class logits; everything else (input
    checks, label encoding, the unlabeled-pool filter, seeding, batched prediction) lives here.

    Args:
        encoder: a registered encoder name (see `semisup.encoders`) or a callable
            `input_shape -> keras.Model` returning a feature map.
        epochs: passes over the training data of each `fit()` of the classifier.
        batch_size: images per training step.
        optimizer: a Keras optimizer name (`"adam"`, `"sgd"`, ...) or instance (copied per fit).
        learning_rate: the optimizer's learning rate.
        early_stopping_patience: stop after this many epochs without improvement of the validation
            loss (and restore the best weights); needs `validation_data` in `fit()`. None: off.
        callbacks: None or a list of extra Keras callbacks passed to every `fit()`.
        unlabeled_filter: None, an outlier filter (e.g. `DeepSVDDFilter(nu=0.1)`) or a registered
            filter name (`"deep_svdd"`: that filter with its defaults), fitted on the labeled
            images; unlabeled images it marks as outliers (-1) are dropped before training. The
            strategy fits a copy; a filter whose `encoder` is None (Deep SVDD's default) gets
            the strategy's `encoder`, and one with a `random_state` the strategy's, if set.
        random_state: seed for weight initialisation, shuffling and augmentation; an int makes a
            CPU run repeatable. None: not seeded.
        verbose: 0 (or False) silent, 1 (or True) a tqdm progress bar per training phase.
        steps_per_execution: training steps run per compiled call (Keras's option). It changes
            no update, only how often control returns to Python: with the seed's small network
            on a large GPU, 32 made epochs 1.6x faster (`benchmarks/steps_per_execution.py`).
        precision: the Keras dtype policy the strategy's networks (encoder, heads, decoder,
            projector) are built under, one of `PRECISIONS`: `"float32"` (the default), or
            `"mixed_bfloat16"`: layers compute in bfloat16 and keep float32 variables (BatchNorm
            normalises in float32), for speed on GPUs with bfloat16 units. Augmentation, the
            logits layer, the losses and the optimizer stay float32, and the global Keras policy
            is left as it was. FixMatch with WRN-28-2 on an H200: 96 steps/s against 49.

    Attributes (after `fit`):
        model_: the trained `keras.Model` from images to class logits; `encoder_` its encoder.
        classes_: the labels seen on labeled images (the columns of `predict_proba`).
        history_: the Keras history of every training phase, by phase name.
        jit_compiled_: for every phase, whether its training step ran compiled.
        n_labeled_, n_unlabeled_: images used (the unlabeled count after the filter).
        unlabeled_filter_, n_unlabeled_removed_, unlabeled_kept_: the fitted filter, how many
            pool images it removed, and a mask over the pool of the kept ones (None: no filter).
        fit_seconds_: wall time of the training phases; images_seen_: training images
            processed over all phases and epochs (for images/s).
        resumed_from_epoch_: with `enable_checkpoints`, the epoch each phase resumed from
            (0: trained from scratch).
        resumed_seconds_: the logged wall time of the epochs that earlier, interrupted fits ran
            before this one resumed them (0.0: nothing resumed; None: resumed from a checkpoint
            whose epochs have no logged times). `fit_seconds_` counts only this process's time.
    """

    #: whether the strategy learns from unlabeled images at all (the supervised baseline does not)
    uses_unlabeled: bool = True
    #: images per prediction batch (a last partial batch is padded to a full one, so that a
    #: model compiles its predict step for one shape: `semisup._predict.batched_predict`)
    prediction_batch_size: int = 1024

    def __init__(
        self,
        encoder="conv4",
        epochs=100,
        batch_size=128,
        optimizer="adam",
        learning_rate=1e-3,
        early_stopping_patience=None,
        callbacks=None,
        unlabeled_filter=None,
        random_state=None,
        verbose=0,
        steps_per_execution=1,
        precision="float32",
    ):
        self.encoder = encoder
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.early_stopping_patience = early_stopping_patience
        self.callbacks = callbacks
        self.unlabeled_filter = unlabeled_filter
        self.random_state = random_state
        self.verbose = verbose
        self.steps_per_execution = steps_per_execution
        self.precision = precision

    # ------------------------------------------------------------------ public API
    def fit(self, X, y, *, validation_data=None):
        """Train on images `X` with labels `y` (-1 = unlabeled).

        Args:
            X: images, N x H x W x C, uint8 or floats in [0, 1].
            y: N integer labels; -1 marks an unlabeled image.
            validation_data: optional `(X_val, y_val)` with every label known, used for the
                validation curves in `history_` and for early stopping.

        Returns:
            self
        """
        self._check_parameters()
        x = images_to_float(X, name="X")
        y = check_labels(y, n_samples=len(x), name="y", allow_unlabeled=True)
        labeled = y != UNLABELED
        if not labeled.any():
            raise ValueError(
                "y has no labeled sample (every label is -1). A classifier needs at least one "
                "labeled image per class."
            )
        self.classes_ = np.unique(y[labeled])
        self.n_classes_ = len(self.classes_)
        if self.n_classes_ < 2:
            raise ValueError(
                f"y has labeled samples of only one class ({self.classes_[0]}); at least two "
                "classes are needed."
            )
        missing = np.setdiff1d(np.arange(self.classes_.max() + 1), self.classes_)
        if self.classes_.min() >= 0 and len(missing):
            raise ValueError(
                f"Class code(s) {missing.tolist()} have no labeled sample, while higher codes do; "
                "every class needs at least one labeled image (per_class_split guarantees it). "
                "If the codes are not 0..K-1 class indices, encode them first "
                "(sklearn.preprocessing.LabelEncoder)."
            )
        self.input_shape_ = tuple(x.shape[1:])
        x_labeled = x[labeled]
        y_labeled = self._encode_labels(y[labeled])
        x_unlabeled = x[~labeled]
        validation = self._prepare_validation(validation_data)

        self._seed()
        x_unlabeled = self._filter_unlabeled(x_labeled, x_unlabeled)
        self.n_labeled_ = len(x_labeled)
        self.n_unlabeled_ = len(x_unlabeled)
        started = time.perf_counter()
        self.history_ = {}
        self.jit_compiled_ = {}
        self.images_seen_ = 0
        self.resumed_from_epoch_ = {}
        self.resumed_seconds_ = 0.0
        self._fit(x_labeled, y_labeled, x_unlabeled, validation)
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, N x n_classes, columns in the order of `classes_`."""
        check_is_fitted(self, "model_")
        x = images_to_float(X, name="X")
        if tuple(x.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has images of shape {tuple(x.shape[1:])}, but this model was fitted on "
                f"{self.input_shape_}."
            )
        logits = batched_predict(self.model_, x, self.prediction_batch_size)
        return softmax(np.asarray(logits, dtype=np.float64))

    def predict(self, X) -> np.ndarray:
        """Predicted class labels (values from `classes_`)."""
        check_is_fitted(self, "model_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    @property
    def encoder_(self) -> keras.Model:
        """The trained shared encoder (a sub-model of `model_`)."""
        check_is_fitted(self, "model_")
        return self._encoder_model

    def enable_checkpoints(self, directory, every_s: float = 60.0) -> BaseStrategy:
        """Save the training state of every phase under `directory` as it trains.

        A later `fit()` of an identically configured strategy with the same directory resumes
        each phase where it was last saved (finished phases are restored, not retrained), so a
        long run that is killed loses little. The benchmark harness uses this; delete the
        directory to start over. Every epoch's metrics are logged (`epochs.jsonl`), so the
        history stays whole across a resume.

        Args:
            directory: where the phases' states go, one folder a phase.
            every_s: seconds between saves. A phase is saved at the end of an epoch that ends
                at least this long after its last save, at its last epoch and when a callback
                stops it early; a kill loses at most `every_s` seconds plus one epoch. 0 saves
                every epoch, which with epochs of a fraction of a second costs a large share
                of the training time (`ThrottledBackup`).

        Returns:
            self
        """
        if isinstance(every_s, bool) or not isinstance(every_s, (int, float)) or not every_s >= 0:
            raise ValueError(
                f"every_s must be a non-negative number of seconds between checkpoints (0: every "
                f"epoch), got {every_s!r}."
            )
        self._checkpoint_directory = None if directory is None else os.fspath(directory)
        self._checkpoint_every_s = float(every_s)
        return self

    # ------------------------------------------------------------------ for subclasses
    def _fit(self, x_labeled, y_labeled, x_unlabeled, validation):  # pragma: no cover
        raise NotImplementedError

    def _precision_scope(self):
        """A context in which constructed Keras layers take this strategy's `precision` policy
        (see `dtype_policy_scope`). Build networks inside it; build training models, augmenters,
        metrics and optimizers outside, so that they stay float32."""
        return dtype_policy_scope(getattr(self, "precision", "float32"))

    def _build_encoder(self) -> keras.Model:
        with self._precision_scope():
            return build_encoder(self.encoder, self.input_shape_)

    def _head_pooling(self) -> str:
        """How the Keras heads pool the feature map: the encoder's `preferred_pooling`."""
        return getattr(resolve(self.encoder), "preferred_pooling", "max")

    def _build_classifier(
        self, encoder: keras.Model | None = None, head: str = "linear"
    ) -> keras.Model:
        """Encoder + a classification head (see `classification_head`), as one keras.Model.

        With the default linear head this is seed 001's CNN: max-pool, flatten, dense logits.
        """
        encoder = encoder if encoder is not None else self._build_encoder()
        with self._precision_scope():
            inputs = keras.Input(shape=self.input_shape_, name="images")
            logits = classification_head(
                encoder(inputs), self.n_classes_, head=head, pooling=self._head_pooling()
            )
            model = keras.Model(inputs, logits, name=f"{type(self).__name__.lower()}_classifier")
        model._semisup_encoder = encoder
        return model

    def _make_optimizer(self) -> keras.optimizers.Optimizer:
        if isinstance(self.optimizer, keras.optimizers.Optimizer):
            config = self.optimizer.get_config()
            config["learning_rate"] = self.learning_rate
            return type(self.optimizer).from_config(config)
        return keras.optimizers.get(
            {"class_name": self.optimizer, "config": {"learning_rate": self.learning_rate}}
        )

    def _compile(self, model: keras.Model, optimizer=None, **kwargs) -> keras.Model:
        """`model.compile` with this strategy's optimizer, compilation and steps per call."""
        model.compile(
            optimizer=self._make_optimizer() if optimizer is None else optimizer,
            jit_compile="auto",
            steps_per_execution=int(self.steps_per_execution),
            **kwargs,
        )
        return model

    def _compile_classifier(self, model: keras.Model) -> keras.Model:
        return self._compile(
            model,
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        )

    def _keras_fit(
        self,
        model: keras.Model,
        x,
        y=None,
        *,
        sample_weight=None,
        validation=None,
        epochs=None,
        batch_size=None,
        phase: str = "fit",
        early_stopping: bool = True,
        extra_callbacks=(),
    ) -> dict[str, list[float]]:
        """`model.fit` with this strategy's callbacks, early stopping and progress bar.

        Args:
            early_stopping: apply `early_stopping_patience` (on the validation loss) in this
                phase; pretraining phases without validation data pass False.
            extra_callbacks: the strategy's own callbacks for this phase, after the user's.

        Returns the Keras history dict; it is also stored in `history_[phase]`.
        """
        callbacks = list(self.callbacks or []) + list(extra_callbacks)
        if self.random_state is not None:
            callbacks.append(EpochShuffleSeed(int(self.random_state), phase))
        if early_stopping and self.early_stopping_patience is not None:
            if validation is None:
                raise ValueError(
                    "early_stopping_patience is set but fit() got no validation_data; pass "
                    "validation_data=(X_val, y_val) or set early_stopping_patience=None."
                )
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss",
                    patience=self.early_stopping_patience,
                    restore_best_weights=True,
                )
            )
        if self.verbose:
            callbacks.append(TqdmEpochs(f"{type(self).__name__} {phase}"))
        checkpoint = getattr(self, "_checkpoint_directory", None)
        epoch_log = None
        if checkpoint is not None:
            phase_directory = os.path.join(checkpoint, phase)
            if not model.built:
                _build_keeping_random_state(model, x[:1])  # BackupAndRestore needs it built
            epoch_log = EpochLog(
                os.path.join(phase_directory, "epochs.jsonl"), on_resume=self._credit_resumed
            )
            callbacks += [ThrottledBackup(phase_directory, self._checkpoint_every_s), epoch_log]
        history = model.fit(
            x,
            y,
            sample_weight=sample_weight,
            validation_data=validation,
            epochs=self.epochs if epochs is None else epochs,
            batch_size=self.batch_size if batch_size is None else batch_size,
            callbacks=callbacks,
            verbose=0,
            shuffle=True,
        )
        record = {k: [float(v) for v in values] for k, values in history.history.items()}
        if epoch_log is not None:
            record = epoch_log.history()  # includes the epochs of an interrupted earlier fit
            total = len(next(iter(record.values()), []))
            first = epoch_log.first_epoch
            self.resumed_from_epoch_[phase] = total if first is None else first
        self.history_[phase] = record
        n_epochs = len(next(iter(record.values()), []))
        self.images_seen_ = getattr(self, "images_seen_", 0) + n_epochs * len(x)
        # Whether each phase's training step ran compiled (XLA) - eager steps are a 100x trap.
        self.jit_compiled_[phase] = bool(model.jit_compile)
        return record

    def _credit_resumed(self, earlier: float | None) -> None:
        """Add the logged time of epochs an earlier, interrupted process ran to
        `resumed_seconds_` (None, not logged, makes the total unknown)."""
        previous = getattr(self, "resumed_seconds_", 0.0)
        self.resumed_seconds_ = None if earlier is None or previous is None else previous + earlier

    def _fit_classifier_on(
        self, encoder, x_labeled, y_labeled, validation, head="linear", fine_tune=False
    ) -> None:
        """Second stage of the pretraining strategies: a head on `encoder`, trained on the
        labeled images with the encoder frozen unless `fine_tune`; sets `model_`."""
        encoder.trainable = bool(fine_tune)
        classifier = self._compile_classifier(self._build_classifier(encoder, head=head))
        self._keras_fit(classifier, x_labeled, y_labeled, validation=validation, phase="classifier")
        self._set_model(classifier, encoder)

    def _set_model(self, model: keras.Model, encoder: keras.Model) -> None:
        self.model_ = model
        self._encoder_model = encoder

    # ------------------------------------------------------------------ helpers
    def _check_positive_integers(self, *names: str) -> None:
        for name in names:
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")

    def _check_parameters(self) -> None:
        self._check_positive_integers("epochs", "batch_size", "steps_per_execution")
        if not isinstance(self.learning_rate, (int, float)) or not self.learning_rate > 0:
            raise ValueError(
                f"learning_rate must be a positive number, got {self.learning_rate!r}."
            )
        patience = self.early_stopping_patience
        if patience is not None and (not isinstance(patience, (int, np.integer)) or patience < 0):
            raise ValueError(
                f"early_stopping_patience must be None or a non-negative integer, got {patience!r}."
            )
        if not isinstance(self.optimizer, (str, keras.optimizers.Optimizer)):
            raise TypeError(
                "optimizer must be a Keras optimizer name such as 'adam' or an optimizer "
                f"instance, got {type(self.optimizer).__name__}."
            )
        if isinstance(self.optimizer, str):
            try:
                keras.optimizers.get(self.optimizer)
            except ValueError:
                raise ValueError(
                    f"Unknown optimizer {self.optimizer!r}; use a Keras optimizer name such as "
                    "'adam', 'adamw', 'sgd' or 'rmsprop'."
                ) from None
        if self.random_state is not None and not isinstance(self.random_state, (int, np.integer)):
            raise TypeError(f"random_state must be None or an int, got {self.random_state!r}.")
        verbose = self.verbose
        if not isinstance(verbose, (int, np.integer)):  # bool is an int
            raise TypeError(
                "verbose must be an int >= 0 or a bool (0/False: silent, 1/True: progress bars), "
                f"got {verbose!r}."
            )
        if verbose < 0:
            raise ValueError(
                f"verbose must be >= 0 (0: silent, 1: progress bars), got {verbose!r}."
            )
        self._check_callbacks()
        self._check_unlabeled_filter()
        precision = getattr(self, "precision", "float32")
        if not isinstance(precision, str) or precision not in PRECISIONS:
            reason = ""
            if precision == "mixed_float16":
                reason = (
                    " float16 needs loss scaling, which the strategies' custom training steps do "
                    "not apply; 'mixed_bfloat16' needs none."
                )
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}.{reason}")

    def _check_callbacks(self) -> None:
        callbacks = self.callbacks
        if callbacks is None:
            return
        if not isinstance(callbacks, (list, tuple)):
            raise TypeError(
                "callbacks must be None or a list of keras.callbacks.Callback instances, got "
                f"{type(callbacks).__name__} {callbacks!r}."
            )
        for index, callback in enumerate(callbacks):
            if not isinstance(callback, keras.callbacks.Callback):
                raise TypeError(
                    "callbacks must be None or a list of keras.callbacks.Callback instances; "
                    f"callbacks[{index}] is {type(callback).__name__} {callback!r}."
                )

    def _check_unlabeled_filter(self) -> None:
        spec = self.unlabeled_filter
        if spec is None:
            return
        if isinstance(spec, str):
            if spec not in filters.REGISTRY:
                raise ValueError(
                    f"unlabeled_filter {spec!r} is not a registered filter name; registered: "
                    f"{sorted(filters.REGISTRY)} (or pass a filter instance such as "
                    "DeepSVDDFilter(nu=0.1))."
                )
            return
        expected = (
            f"unlabeled_filter must be None, a registered filter name {sorted(filters.REGISTRY)} "
            "or a filter instance with fit, predict and get_params (a scikit-learn estimator "
            "such as DeepSVDDFilter(nu=0.1))"
        )
        if isinstance(spec, type):
            raise TypeError(f"{expected}, got the class {spec.__name__}; pass an instance of it.")
        methods = ("fit", "predict", "get_params")
        if not all(callable(getattr(spec, method, None)) for method in methods):
            raise TypeError(f"{expected}, got {type(spec).__name__} {spec!r}.")

    def _make_unlabeled_filter(self):
        """A fresh, unfitted copy of `unlabeled_filter` (an instance of it for a name), set up
        with this strategy's encoder (where the filter's is None), random_state and verbose."""
        spec = self.unlabeled_filter
        unlabeled_filter = filters.get(spec)() if isinstance(spec, str) else clone(spec)
        params = unlabeled_filter.get_params(deep=False)
        if "encoder" in params and params["encoder"] is None:
            unlabeled_filter.set_params(encoder=self.encoder)
        if "random_state" in params and self.random_state is not None:
            unlabeled_filter.set_params(random_state=self.random_state)
        if "verbose" in params:
            unlabeled_filter.set_params(verbose=self.verbose)
        return unlabeled_filter

    def _seed(self) -> None:
        if self.random_state is not None:
            keras.utils.set_random_seed(int(self.random_state))

    def _encode_labels(self, labels: np.ndarray, name: str = "y") -> np.ndarray:
        codes = np.searchsorted(self.classes_, labels)
        codes = np.clip(codes, 0, len(self.classes_) - 1)
        unknown = self.classes_[codes] != labels
        if unknown.any():
            raise ValueError(
                f"{name} holds label {labels[unknown][0]} that no labeled training image has; "
                f"known classes: {self.classes_.tolist()}."
            )
        return codes.astype(np.int64)

    def _prepare_validation(self, validation_data):
        if validation_data is None:
            return None
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a tuple (X_val, y_val).")
        x_val = images_to_float(validation_data[0], name="validation_data X")
        if tuple(x_val.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"validation_data images have shape {tuple(x_val.shape[1:])}, training images "
                f"{self.input_shape_}."
            )
        y_val = check_labels(
            validation_data[1],
            n_samples=len(x_val),
            name="validation_data y",
            allow_unlabeled=False,
        )
        return x_val, self._encode_labels(y_val, name="validation_data y")

    def _filter_unlabeled(self, x_labeled, x_unlabeled):
        self.unlabeled_filter_ = None
        self.n_unlabeled_removed_ = 0
        self.unlabeled_kept_ = None
        if self.unlabeled_filter is None or not self.uses_unlabeled or len(x_unlabeled) == 0:
            return x_unlabeled
        unlabeled_filter = self._make_unlabeled_filter()
        unlabeled_filter.fit(x_labeled)
        keep = np.asarray(unlabeled_filter.predict(x_unlabeled)) == 1
        self.unlabeled_filter_ = unlabeled_filter
        if not keep.any():
            warnings.warn(
                f"{type(unlabeled_filter).__name__} marked every one of the {len(x_unlabeled)} "
                "unlabeled images as an outlier; the pool was kept whole. Use a smaller nu.",
                stacklevel=3,
            )
            return x_unlabeled
        self.n_unlabeled_removed_ = int((~keep).sum())
        self.unlabeled_kept_ = keep
        return x_unlabeled[keep]


class FrozenFeatureHeadMixin:
    """Stage 2 of a pretraining strategy whose `head=` may also be a scikit-learn classifier.

    Put it before `BaseStrategy` in the bases of a strategy with `head` and `fine_tune`
    parameters, check with `_check_head()` and train stage 2 with `_fit_head_on(...)`:

    - `head="linear"` or `"mlp"`: a Keras head trained with `_fit_classifier_on` (the encoder
      frozen unless `fine_tune`); `head_` is None.
    - a name in `semisup.heads.HEADS` (`"logistic"`, `"elm"`) or a scikit-learn classifier
      instance with `predict_proba` (cloned; its `random_state`, when None, becomes the
      strategy's): the frozen encoder's feature map of the labeled images, pooled by
      `feature_pooling`, fits that head (`head_`); `model_` is then the Keras model from images
      to those features and `predict_proba` runs it, then `head_.predict_proba`.
      `history_["classifier"]` holds the head's training `accuracy` (and `val_accuracy` with
      validation data) as one-entry lists; `jit_compiled_` has no entry for it (no Keras training
      step) and early stopping does not apply.
    """

    #: how a scikit-learn head sees the encoder's feature map (`semisup.heads.POOLINGS`)
    feature_pooling: str = "avg"

    def _uses_feature_head(self) -> bool:
        return not (isinstance(self.head, str) and self.head in HEADS)

    def _check_head(self) -> None:
        if not self._uses_feature_head():
            return
        if isinstance(self.head, str) and self.head not in FEATURE_HEADS:
            raise ValueError(
                f"head must be one of {HEADS + tuple(sorted(FEATURE_HEADS))} or a scikit-learn "
                f"classifier instance with predict_proba, got {self.head!r}."
            )
        make_head(self.head)  # a clear error for anything that is not a usable classifier
        if self.fine_tune:
            raise ValueError(
                "fine_tune=True trains the encoder through the head, which a scikit-learn head "
                f"(head={self.head!r}) cannot do. Use head='linear' or head='mlp' to fine-tune, "
                "or fine_tune=False."
            )

    def _fit_head_on(self, encoder, x_labeled, y_labeled, validation) -> None:
        """Train stage 2 on the labeled images with `self.head`; sets `model_` and `head_`."""
        if not self._uses_feature_head():
            self.head_ = None
            self._fit_classifier_on(
                encoder, x_labeled, y_labeled, validation, head=self.head, fine_tune=self.fine_tune
            )
            return
        encoder.trainable = False
        extractor = feature_extractor(encoder, self.input_shape_, pooling=self.feature_pooling)
        features = batched_predict(extractor, x_labeled, self.prediction_batch_size)
        head = make_head(self.head, random_state=self.random_state)
        head.fit(features, y_labeled)
        record = {"accuracy": [float(head.score(features, y_labeled))]}
        if validation is not None:
            x_val, y_val = validation
            x_val = batched_predict(extractor, x_val, self.prediction_batch_size)
            record["val_accuracy"] = [float(head.score(x_val, y_val))]
        self.history_["classifier"] = record
        self.images_seen_ = getattr(self, "images_seen_", 0) + len(x_labeled)  # one encoder pass
        self.head_ = head
        self._set_model(extractor, encoder)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, N x n_classes, columns in the order of `classes_`."""
        if getattr(self, "head_", None) is None:
            return super().predict_proba(X)
        x = images_to_float(X, name="X")
        if tuple(x.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has images of shape {tuple(x.shape[1:])}, but this model was fitted on "
                f"{self.input_shape_}."
            )
        features = batched_predict(self.model_, x, self.prediction_batch_size)
        return np.asarray(self.head_.predict_proba(features), dtype=np.float64)
