"""Contrastive pretraining of the shared encoder (Barlow Twins or SimCLR), then a classifier on it.

Stage 1 learns from every image, labeled or not: two random views of each image go through the
encoder and a small projector, and a loss makes the two embeddings agree without letting them
collapse to a constant. Stage 2 trains a classification head on the (by default frozen) encoder
with the labeled images only.

- Barlow Twins (Zbontar et al., 2021, "Barlow Twins: Self-Supervised Learning via Redundancy
  Reduction", ICML): the cross-correlation matrix of the two views' embeddings, each dimension
  standardised over the batch, is driven to the identity.
- NT-Xent (Chen et al., 2020, "A Simple Framework for Contrastive Learning of Visual
  Representations", ICML): each view must pick out its partner among the other 2N - 2 views of the
  batch by cosine similarity.

Seed 001's own version of this idea ("lab8") collapsed: its classifier on the learned features
scored 0.10 and 0.05 test accuracy on CIFAR-100 against 0.23 for the supervised baseline. Its loss
compared the two views image by image (a per-image 2,048 x 2,048 outer product of the
batch-standardised feature maps under a softmax, pushed towards the identity, plus a term on an
untrained classifier's outputs) with no projector, and its logged loss (one epoch) was 7.50 and
7.77, about log(2048) = 7.62, the value of a uniform softmax; no term asked two features to differ.
Here the loss is a statistic over the batch: a feature that is constant over the images standardises
to 0, its diagonal correlation is 0 and it costs `(1 - 0)^2 = 1`, so a collapsed embedding costs D
where the minimum is 0. The loss sits on a projector (as in both papers), the views are made inside
the compiled train step with a random resized crop, and `collapse_report_` measures after
pretraining whether the embedding and the encoder's features still vary (and warns if not).

Measured on the cifar10-jpeg seed split (10,080 labeled, 39,920 unlabeled; conv4; one H200, JAX;
random_state=0, one run each; defaults: 50 pretraining epochs, batch 256, projector (512, 512),
then 100 epochs of the linear head): test accuracy 0.607 with the encoder frozen and 0.630
fine-tuned, against 0.562 for the supervised baseline and 0.401 for the same frozen head on a
random encoder; NT-Xent 0.617; Barlow Twins without the resized crop (flip, shift, colour) 0.566;
no dead embedding dimension in any run. A whole fit took 48 s (supervised: 27 s).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import keras
import numpy as np
from keras import layers, ops

from semisup._predict import batched_predict
from semisup.augmentation import (
    AUGMENTER_ARGUMENTS,
    augmenter_from_option,
    check_augmentation_option,
)
from semisup.strategies._base import BaseStrategy, FrozenFeatureHeadMixin

LOSSES = ("barlow", "ntxent")
#: The views' augmentation: SimCLR's recipe for small images (random resized crop, flip, colour
#: jitter with strength 0.5, i.e. 0.4 brightness/contrast/saturation, grayscale 0.2), no hue.
#: The crop already moves the image, so the pad-and-crop translation is off.
DEFAULT_AUGMENTATION = {"crop_area_range": (0.2, 1.0), "translation": 0.0}
#: The keys `augmentation=` accepts: `Augmenter`'s arguments.
AUGMENTATION_KEYS = AUGMENTER_ARGUMENTS
#: A dimension whose standard deviation over the images is below this is counted as dead.
DEAD_DIMENSION_STD = 1e-3
#: Images used to measure collapse after pretraining.
COLLAPSE_SAMPLE_SIZE = 2048
_EPSILON = 1e-5


# ---------------------------------------------------------------------------- losses
def _standardize_over_batch(embeddings):
    # sqrt(var + eps) rather than std + eps: the gradient of std is infinite at zero variance
    # (a batch of one image, a dead dimension), the gradient of var is not.
    mean = ops.mean(embeddings, axis=0, keepdims=True)
    variance = ops.var(embeddings, axis=0, keepdims=True)
    return (embeddings - mean) / ops.sqrt(variance + _EPSILON)


def barlow_twins_loss(z1, z2, lambda_offdiagonal=5e-3):
    """The Barlow Twins loss of two views' embeddings (Zbontar et al., 2021).

    Each embedding dimension is standardised over the batch, `C = z1_std.T @ z2_std / N` is the
    D x D cross-correlation matrix, and the loss is
    `sum_i (1 - C_ii)^2 + lambda_offdiagonal * sum_{i != j} C_ij^2`: the diagonal term makes the
    embedding invariant to the augmentation, the off-diagonal term makes its dimensions carry
    different information. A constant (collapsed) embedding standardises to 0, giving `C = 0` and
    the loss `D`, where the minimum is 0: collapse is never a solution.

    The off-diagonal sum has `D (D - 1)` terms against `D` on the diagonal and, for dimensions
    that are truly uncorrelated, each `C_ij^2` is still about `1 / N` from sampling noise; the
    balance between the two terms therefore goes roughly with `lambda_offdiagonal * D / N`.
    The paper's 5e-3 was tuned for D = 8192 and N = 2048 (0.02); semisup's defaults, D = 512 and
    N = 256, give 0.01 with the same lambda, so 5e-3 is kept. Measured with those defaults on the
    cifar10-jpeg seed split (frozen conv4 encoder, linear head): lambda 5e-3 and 0.08 (the paper's
    D-balance rescaled to D = 512) both gave 0.607 test accuracy, lambda 0 gave 0.527.

    Args:
        z1: N x D embeddings of the first views.
        z2: N x D embeddings of the second views (row i is the same image as row i of `z1`).
        lambda_offdiagonal: weight of the off-diagonal (redundancy) term, >= 0.

    Returns:
        A scalar float32 tensor. A batch of one image gives `D` (no correlation can be measured),
        never NaN.

    Example:
        >>> import numpy as np
        >>> z = np.random.default_rng(0).normal(size=(64, 8)).astype("float32")
        >>> float(barlow_twins_loss(z, z, 0.0)) < 1e-3  # identical views: diagonal is 1
        True
        >>> round(float(barlow_twins_loss(np.ones((64, 8)), np.ones((64, 8)))), 3)  # collapsed
        8.0
    """
    z1 = _standardize_over_batch(ops.cast(z1, "float32"))
    z2 = _standardize_over_batch(ops.cast(z2, "float32"))
    batch_size = ops.cast(ops.shape(z1)[0], "float32")
    correlation = ops.matmul(ops.transpose(z1), z2) / batch_size
    diagonal = ops.diagonal(correlation)
    on_diagonal = ops.sum(ops.square(1.0 - diagonal))
    off_diagonal = ops.sum(ops.square(correlation)) - ops.sum(ops.square(diagonal))
    return on_diagonal + lambda_offdiagonal * off_diagonal


def nt_xent_loss(z1, z2, temperature=0.5):
    """SimCLR's normalised temperature-scaled cross-entropy (Chen et al., 2020).

    The 2N embeddings are L2-normalised; for each one, the logits are its cosine similarities to
    the other 2N - 1 divided by `temperature`, and the loss is the cross-entropy of picking its
    partner view, averaged over all 2N.

    Args:
        z1: N x D embeddings of the first views.
        z2: N x D embeddings of the second views (row i is the same image as row i of `z1`).
        temperature: softmax temperature, > 0; SimCLR found 0.5 best on CIFAR-10.

    Returns:
        A scalar float32 tensor. A batch of one image gives 0 (no negatives), never NaN.

    Example:
        >>> import numpy as np
        >>> z = np.eye(4, dtype="float32")
        >>> round(float(nt_xent_loss(z, z, temperature=0.1)), 4)  # partners far closer than others
        0.0003
    """
    z1, z2 = ops.cast(z1, "float32"), ops.cast(z2, "float32")

    def l2_normalize(z):
        return z / ops.sqrt(ops.sum(ops.square(z), axis=1, keepdims=True) + _EPSILON)

    z1, z2 = l2_normalize(z1), l2_normalize(z2)
    embeddings = ops.concatenate([z1, z2], axis=0)
    logits = ops.matmul(embeddings, ops.transpose(embeddings)) / temperature
    # an embedding is not its own negative: push its self-similarity out of the softmax
    logits = logits - 1e9 * ops.eye(ops.shape(embeddings)[0], dtype="float32")
    partner = ops.sum(z1 * z2, axis=1) / temperature
    partner = ops.concatenate([partner, partner], axis=0)
    return ops.mean(ops.logsumexp(logits, axis=1) - partner)


# ---------------------------------------------------------------------------- pretraining model
def build_projector(input_dim, units=(512, 512), name="projector"):
    """The projector: (Dense -> BatchNorm -> ReLU) for all but the last width, then a plain Dense.

    As in both papers, the loss is applied to the projector's output and the projector is
    dropped after pretraining. The embedding layer is always float32 (`dtype="float32"`), so
    under a mixed dtype policy the losses' batch statistics see float32 embeddings.

    Args:
        input_dim: size of the pooled encoder features.
        units: widths of the layers; the last is the embedding size D.
        name: the model's name.

    Returns:
        A `keras.Model` from N x input_dim to N x units[-1].
    """
    inputs = keras.Input((input_dim,), name="features")
    x = inputs
    for index, width in enumerate(units[:-1]):
        # no bias before BatchNorm: its shift makes a bias redundant
        x = layers.Dense(width, use_bias=False, name=f"{name}_dense{index + 1}")(x)
        x = layers.BatchNormalization(name=f"{name}_norm{index + 1}")(x)
        x = layers.ReLU(name=f"{name}_relu{index + 1}")(x)
    outputs = layers.Dense(units[-1], name=f"{name}_embedding", dtype="float32")(x)
    return keras.Model(inputs, outputs, name=name)


class TwoViewPretrainer(keras.Model):
    """Two augmented views -> encoder -> global average pool -> projector -> a two-view loss.

    Trained with stock `fit(images)` (no labels). `call` makes both views inside the compiled
    step and returns their embeddings; `compute_loss` is the one method that says what is new.
    The mean per-dimension standard deviation of the first view's embeddings is logged as
    `embedding_std`: a value that falls towards 0 during training means collapse.

    Args:
        encoder: the shared encoder, images -> feature map.
        projector: pooled features -> embeddings (see `build_projector`).
        augmenter: the view-making layer (e.g. `semisup.augmentation.Augmenter`).
        loss: `"barlow"` or `"ntxent"`.
        lambda_offdiagonal: the Barlow Twins off-diagonal weight.
        temperature: the NT-Xent temperature.
        **kwargs: passed to `keras.Model`.
    """

    def __init__(
        self,
        encoder,
        projector,
        augmenter,
        loss="barlow",
        lambda_offdiagonal=5e-3,
        temperature=0.5,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.projector = projector
        self.augmenter = augmenter
        # the pool computes as the encoder does (bfloat16 under a mixed policy)
        self.pool = layers.GlobalAveragePooling2D(name="pool", dtype=encoder.dtype_policy)
        self.loss_name = loss
        self.lambda_offdiagonal = lambda_offdiagonal
        self.temperature = temperature
        self.embedding_std_tracker = keras.metrics.Mean(name="embedding_std")

    def embed(self, images, training=False):
        """Pooled encoder features and projector embeddings of `images` (no augmentation)."""
        features = self.pool(self.encoder(images, training=training))
        return features, self.projector(features, training=training)

    def call(self, images, training=False):
        # Always two augmented views, also in evaluate(): comparing views is this model's only
        # job. Both go through the encoder as one batch of 2N: one pass, better device use.
        views = ops.concatenate(
            [self.augmenter(images, training=True), self.augmenter(images, training=True)], axis=0
        )
        _, embeddings = self.embed(views, training=training)
        batch_size = ops.shape(images)[0]
        return embeddings[:batch_size], embeddings[batch_size:]

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z1, z2 = y_pred
        if self.loss_name == "barlow":
            loss = barlow_twins_loss(z1, z2, self.lambda_offdiagonal)
        else:
            loss = nt_xent_loss(z1, z2, self.temperature)
        if self.losses:
            loss = loss + ops.sum(self.losses)
        return loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        z1, _ = y_pred
        self.embedding_std_tracker.update_state(ops.mean(ops.std(z1, axis=0)))
        return super().compute_metrics(x, y, y_pred, sample_weight)


# ---------------------------------------------------------------------------- the strategy
class ContrastivePretraining(FrozenFeatureHeadMixin, BaseStrategy):
    """Pretrain the encoder on two augmented views of every image, then fit a classifier on it.

    Stage 1 (`pretrain_epochs` over labeled + unlabeled images): Barlow Twins (`loss="barlow"`,
    default) or SimCLR's NT-Xent (`loss="ntxent"`) on a projector over the globally pooled encoder
    features, views made inside the compiled step. Stage 2 (`epochs` over the labeled images):
    seed 001's head (`head="linear"`: max-pool, flatten, dense logits) or its dense head
    (`head="mlp"`: flatten, Dense 1024-256-128 ReLU, logits) on the encoder, which stays frozen
    unless `fine_tune=True`; or a scikit-learn head (`head="logistic"`, `"elm"` or a classifier
    instance) fitted on the frozen encoder's globally average-pooled features, as the projector
    saw them in stage 1. After `fit`, `collapse_report_` says whether the learned embedding
    still varies from image to image, `history_["pretrain"]` holds the pretraining loss and
    `embedding_std`, and `pretrain_model_` is the pretraining model.

    Args:
        encoder, epochs, batch_size, optimizer, learning_rate, early_stopping_patience,
            callbacks, unlabeled_filter, random_state, verbose, steps_per_execution, precision:
            see `BaseStrategy`; `epochs`, `batch_size`, `learning_rate` and early stopping
            apply to the classifier stage. `precision` applies to the encoder, the projector
            (its embedding layer stays float32) and the head; the views are made in float32.
        loss: `"barlow"` (Zbontar et al., 2021) or `"ntxent"` (Chen et al., 2020).
        pretrain_epochs: passes over all images in stage 1; 0 skips pretraining (a random-encoder
            baseline).
        pretrain_batch_size: images per pretraining step (each gives two views), at least 2.
            Both losses are batch statistics, so larger is better; the last batch of an epoch is
            filled up with repeated images so that no step sees only a handful.
        pretrain_learning_rate: learning rate of stage 1 (same optimizer type as `optimizer`).
        projector_units: widths of the projector; the last is the embedding size D. The paper's
            (8192, 8192, 8192) is sized for ResNet-50 on ImageNet; (512, 512) suits small images
            and the 128-channel conv4 encoder.
        lambda_offdiagonal: Barlow Twins' off-diagonal weight, >= 0. The default 5e-3 is the
            paper's; see `barlow_twins_loss` for why it still fits the smaller projector.
        temperature: NT-Xent temperature, > 0 (0.5: SimCLR's best on CIFAR-10).
        head: `"linear"` or `"mlp"`, see above; or `"logistic"` / `"elm"` (`semisup.heads`), or
            any scikit-learn classifier instance with `predict_proba` (cloned), fitted on the
            pooled features of the frozen encoder; then `head_` is the fitted head and `model_`
            maps images to those features (see `FrozenFeatureHeadMixin`).
        fine_tune: also train the encoder in stage 2 (False: frozen, the linear-evaluation
            protocol of both papers); Keras heads only, a ValueError with a scikit-learn head.
        augmentation: None, or a dict of `semisup.augmentation.Augmenter` arguments (the keys
            in `AUGMENTATION_KEYS`) that replace `DEFAULT_AUGMENTATION` entries (e.g.
            `{"crop_area_range": None, "translation": 0.125}` for flips, shifts and colour only).

    Attributes (after `fit`, besides `BaseStrategy`'s):
        collapse_report_: measured on up to 2,048 training images without augmentation:
            `embedding_std_mean`, `embedding_std_min` (per-dimension std of the projector's
            embedding, BatchNorm on batch statistics as in training), `n_dead_dimensions` (std
            below 1e-3) of `n_dimensions`, `feature_std_mean` and `n_dead_features` (the pooled
            encoder features), and `collapsed` (more than half the embedding dimensions dead;
            a warning is raised then).
        pretrain_model_: the `TwoViewPretrainer` (encoder shared with `model_`).

    Example:
        >>> from semisup.data import load, seed_split
        >>> ds = load("digits")
        >>> y = seed_split(len(ds.y_train)).apply(ds.y_train)
        >>> model = ContrastivePretraining(
        ...     pretrain_epochs=2, epochs=2, projector_units=(64, 64), random_state=0
        ... ).fit(ds.x_train, y)
        >>> model.predict_proba(ds.x_test).shape
        (450, 10)
        >>> model.collapse_report_["collapsed"]
        False
    """

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
        loss="barlow",
        pretrain_epochs=50,
        pretrain_batch_size=256,
        pretrain_learning_rate=1e-3,
        projector_units=(512, 512),
        lambda_offdiagonal=5e-3,
        temperature=0.5,
        head="linear",
        fine_tune=False,
        augmentation=None,
    ):
        super().__init__(
            encoder=encoder,
            epochs=epochs,
            batch_size=batch_size,
            optimizer=optimizer,
            learning_rate=learning_rate,
            early_stopping_patience=early_stopping_patience,
            callbacks=callbacks,
            unlabeled_filter=unlabeled_filter,
            random_state=random_state,
            verbose=verbose,
            steps_per_execution=steps_per_execution,
            precision=precision,
        )
        self.loss = loss
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_batch_size = pretrain_batch_size
        self.pretrain_learning_rate = pretrain_learning_rate
        self.projector_units = projector_units
        self.lambda_offdiagonal = lambda_offdiagonal
        self.temperature = temperature
        self.head = head
        self.fine_tune = fine_tune
        self.augmentation = augmentation

    # ------------------------------------------------------------------ stages
    def _fit(self, x_labeled, y_labeled, x_unlabeled, validation):
        encoder = self._build_encoder()
        all_images = np.concatenate([x_labeled, x_unlabeled]) if len(x_unlabeled) else x_labeled
        rng = np.random.RandomState(self.random_state)
        self.pretrain_model_ = self._build_pretrainer(encoder)
        if self.pretrain_epochs > 0:
            self._pretrain(all_images, rng)
        self.collapse_report_ = self._collapse_report(all_images, rng)

        self._fit_head_on(encoder, x_labeled, y_labeled, validation)

    def _build_pretrainer(self, encoder):
        feature_channels = encoder.output_shape[-1]
        with self._precision_scope():
            projector = build_projector(feature_channels, tuple(self.projector_units))
        augmenter = augmenter_from_option(
            self.augmentation, DEFAULT_AUGMENTATION, self.random_state, name="views"
        )
        return TwoViewPretrainer(
            encoder,
            projector,
            augmenter,
            loss=self.loss,
            lambda_offdiagonal=self.lambda_offdiagonal,
            temperature=self.temperature,
            name="two_view_pretrainer",
        )

    def _pretrain(self, images, rng):
        model = self.pretrain_model_
        optimizer = self._make_optimizer()
        optimizer.learning_rate = self.pretrain_learning_rate
        self._compile(model, optimizer=optimizer)
        batch_size = min(self.pretrain_batch_size, len(images))
        images = fill_last_batch(images, batch_size, rng)
        # Early stopping watches the classifier's validation loss; pretraining has none.
        self._keras_fit(
            model,
            images,
            None,
            epochs=self.pretrain_epochs,
            batch_size=batch_size,
            phase="pretrain",
            early_stopping=False,
        )

    def _collapse_report(self, images, rng):
        if len(images) > COLLAPSE_SAMPLE_SIZE:
            images = images[rng.choice(len(images), COLLAPSE_SAMPLE_SIZE, replace=False)]
        model = self.pretrain_model_
        inputs = keras.Input(shape=self.input_shape_, name="images")
        features = batched_predict(
            keras.Model(inputs, model.pool(model.encoder(inputs))),
            images,
            self.prediction_batch_size,
        )
        features = np.asarray(features, dtype=np.float32)  # bfloat16 under a mixed precision
        # The projector's BatchNorm as the loss saw it (batch statistics), not its moving
        # averages, which lag far behind after a short pretraining; stateless, so nothing moves.
        projector = model.projector
        embeddings, _ = projector.stateless_call(
            [variable.value for variable in projector.trainable_variables],
            [variable.value for variable in projector.non_trainable_variables],
            features,
            training=True,
        )
        embeddings = np.asarray(keras.ops.convert_to_numpy(embeddings), dtype=np.float32)
        feature_std, embedding_std = features.std(axis=0), embeddings.std(axis=0)
        n_dead = int((embedding_std < DEAD_DIMENSION_STD).sum())
        report = {
            "embedding_std_mean": float(embedding_std.mean()),
            "embedding_std_min": float(embedding_std.min()),
            "n_dead_dimensions": n_dead,
            "n_dimensions": int(embedding_std.size),
            "feature_std_mean": float(feature_std.mean()),
            "n_dead_features": int((feature_std < DEAD_DIMENSION_STD).sum()),
        }
        # Judged on the embedding, not on the features: the features' scale depends on the
        # images and the encoder (dim images give tiny but healthy features), while the projector's
        # BatchNorm rescales any variation that is there, so a dead embedding dimension means
        # the variation is gone.
        report["collapsed"] = bool(n_dead > embedding_std.size // 2)
        if report["collapsed"] and self.pretrain_epochs > 0:
            warnings.warn(
                f"Contrastive pretraining collapsed: {n_dead} of {embedding_std.size} embedding "
                f"dimensions and {report['n_dead_features']} of {feature_std.size} encoder "
                f"features barely vary over the images (std < {DEAD_DIMENSION_STD}). Try "
                "loss='barlow', a larger pretrain_batch_size or a smaller pretrain_learning_rate.",
                stacklevel=4,
            )
        return report

    # ------------------------------------------------------------------ checks
    def _check_parameters(self):
        super()._check_parameters()
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}.")
        if not _is_int(self.pretrain_epochs) or self.pretrain_epochs < 0:
            raise ValueError(
                "pretrain_epochs must be a non-negative integer (0 skips pretraining), got "
                f"{self.pretrain_epochs!r}."
            )
        if not _is_int(self.pretrain_batch_size) or self.pretrain_batch_size < 2:
            raise ValueError(
                "pretrain_batch_size must be an integer >= 2 (both losses compare the images of "
                f"a batch), got {self.pretrain_batch_size!r}."
            )
        if not _is_number(self.pretrain_learning_rate) or not self.pretrain_learning_rate > 0:
            raise ValueError(
                f"pretrain_learning_rate must be a positive number, got "
                f"{self.pretrain_learning_rate!r}."
            )
        units = self.projector_units
        if (
            not isinstance(units, Sequence)
            or isinstance(units, str)
            or len(units) == 0
            or not all(_is_int(width) and width > 0 for width in units)
        ):
            raise ValueError(
                "projector_units must be a non-empty sequence of positive integers such as "
                f"(512, 512), got {units!r}."
            )
        if not _is_number(self.lambda_offdiagonal) or self.lambda_offdiagonal < 0:
            raise ValueError(
                f"lambda_offdiagonal must be a number >= 0, got {self.lambda_offdiagonal!r}."
            )
        if not _is_number(self.temperature) or not self.temperature > 0:
            raise ValueError(f"temperature must be a number > 0, got {self.temperature!r}.")
        if not isinstance(self.fine_tune, (bool, np.bool_)):
            raise TypeError(f"fine_tune must be True or False, got {self.fine_tune!r}.")
        self._check_head()
        check_augmentation_option(self.augmentation)


def fill_last_batch(images, batch_size, rng):
    """Append randomly repeated images so that `len(images)` is a multiple of `batch_size`.

    `fit()` has no drop-remainder option; without this the last step of every epoch would
    estimate the batch statistics both losses rely on from as few as one image. Every image is
    still seen once per epoch, and at most `batch_size - 1` are seen twice.

    Args:
        images: N x ... array.
        batch_size: the batch size, at most N.
        rng: a `numpy.random.RandomState` choosing the repeated images.

    Returns:
        The images followed by the repeats.
    """
    remainder = len(images) % batch_size
    if remainder == 0:
        return images
    repeats = rng.choice(len(images), batch_size - remainder, replace=False)
    return np.concatenate([images, images[repeats]])


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


__all__ = [
    "ContrastivePretraining",
    "TwoViewPretrainer",
    "barlow_twins_loss",
    "build_projector",
    "fill_last_batch",
    "nt_xent_loss",
]
