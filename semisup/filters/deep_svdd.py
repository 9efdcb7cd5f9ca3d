"""Deep SVDD (Ruff et al., "Deep One-Class Classification", ICML 2018) as an unlabeled-pool filter.

A bias-free copy of the shared encoder maps every image into a feature space where the labeled
images are pulled towards a fixed centre; unlabeled images that land far from it are outliers.
"""

from __future__ import annotations

import numbers
import time

import keras
import numpy as np
from keras import ops
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.utils.validation import check_is_fitted

from semisup._predict import batched_predict
from semisup._progress import TqdmEpochs
from semisup.data._validation import images_to_float
from semisup.encoders import build_encoder

__all__ = ["DeepSVDDFilter"]

OBJECTIVES = ("one-class", "soft-boundary")

#: The encoder of a filter used on its own with `encoder=None` (seed 001's network).
DEFAULT_ENCODER = "conv4"

#: Centre coordinates closer to zero than this are pushed out to +-CENTER_EPSILON (Ruff et al.'s
#: code uses 0.1): a zero coordinate is one that zero weights reproduce trivially.
CENTER_EPSILON = 0.1

# Layer config keys that add a learned constant to a layer's output, and the value that removes it.
_ADDITIVE_CONFIG_KEYS = {"use_bias": False, "center": False}
# Weight names that hold such a constant (Dense/Conv `bias`, normalization `beta`).
_ADDITIVE_WEIGHT_NAMES = ("bias", "beta")


class DeepSVDDFilter(OutlierMixin, BaseEstimator):
    """Deep SVDD outlier filter: keeps the images that fall inside a hypersphere in feature space.

    The network is the shared encoder (`encoder=`; by default the encoder of the strategy the
    filter is placed in front of) followed by seed 001's classifier body without
    its output layer (2x2 max-pool when the feature map is at least 2 px, flatten): exactly the
    supervised classifier minus its output layer, but with no additive terms anywhere. Ruff et al.
    show that a bias lets the network map every input to the centre (a constant output) and so
    "solve" the objective trivially; every layer that has `use_bias` is rebuilt with
    `use_bias=False`, and normalization layers (BatchNormalization, LayerNormalization, ...) with
    `center=False` (no beta; their scale gamma stays). The centre `c` is the mean network output
    on the training images before training, with coordinates closer to zero than 0.1 pushed to
    +-0.1, and is fixed afterwards.

    Two objectives (Ruff et al., eqs. 3 and 4), each plus `weight_decay / 2 * sum ||W||^2`:

    - `"one-class"`: the mean squared distance `||phi(x) - c||^2` of the training images.
    - `"soft-boundary"`: `R^2 + 1/nu * mean(max(0, ||phi(x) - c||^2 - R^2))`. R is not a gradient
      parameter: after each epoch (once `warm_up_epochs` are done; R is 0 before) it is set to the
      (1 - nu)-quantile of the training distances.

    **What nu means here.** `nu` in (0, 1] is the fraction of the training (labeled) images left
    outside the sphere: for the soft-boundary objective it is Ruff et al.'s upper bound on that
    fraction; for the one-class objective, which has no radius, the decision radius is set after
    training to the (1 - nu)-quantile of the training distances. With both objectives `radius_`
    is that quantile, so `predict` gives the same meaning to nu, and about a fraction nu of
    images distributed like the training images is marked as outliers.

    **Mapping from seed 001.** Seed 001's notebook used the "lab9" detector with "nu = 0.9": a
    sigmoid score with the threshold at the 10 % quantile, so its nu was the fraction *kept*. It
    removed 4,138 of the 39,920 unlabeled CIFAR images (~10 %). In the standard formulation used
    here that is `nu ~= 0.1`, not 0.9 (`nu=0.9` here would remove ~90 %).

    Args:
        nu: fraction of training images left outside the sphere, in (0, 1].
        objective: `"one-class"` or `"soft-boundary"`.
        encoder: None, a registered encoder name (see `semisup.encoders`) or a callable
            `input_shape -> keras.Model` returning a feature map; built from the functional or
            Sequential API so its biases can be removed (or already bias-free). None (the
            default): the encoder of the strategy the filter is placed in front of (a strategy
            sets it on its copy of the filter), `"conv4"` when the filter is used on its own.
            An encoder given here is kept, whatever the strategy's.
        epochs: passes over the training images.
        batch_size: images per training step.
        learning_rate: Adam's learning rate (Ruff et al.: 1e-4).
        weight_decay: L2 weight-decay coefficient lambda of the objective (Ruff et al.: 1e-6).
        warm_up_epochs: soft-boundary only: epochs trained with R = 0 before R is first set
            (Ruff et al.: 10); 0 sets R from the initial network before training.
        random_state: seed for weight initialisation and shuffling; an int makes a CPU run
            repeatable. None: not seeded.
        verbose: 0 silent, 1 a tqdm progress bar over epochs.

    Attributes (after `fit`):
        network_: the bias-free `keras.Model` from images to feature vectors `phi(x)`.
        model_: the training model: `network_` plus the fixed centre; its output is the squared
            distance to the centre.
        center_: the centre `c`, a float32 vector.
        radius_: the decision radius: the (1 - nu)-quantile of the training distances.
        input_shape_: the image shape the filter was fitted on.
        encoder_used_: the encoder the network was built from: `encoder`, or `"conv4"` when
            that is None.
        history_: per-epoch `"loss"` (and `"radius"`, R after each epoch, for soft-boundary).
        fit_seconds_: wall time of `fit`.

    Example:
        >>> import numpy as np
        >>> from semisup.filters import DeepSVDDFilter
        >>> images = np.random.default_rng(0).random((50, 28, 28, 1)).astype("float32")
        >>> svdd = DeepSVDDFilter(nu=0.1, epochs=2, random_state=0).fit(images)
        >>> int((svdd.predict(images) == -1).sum())
        5
        >>> svdd.score_samples(images).shape
        (50,)
    """

    #: images per prediction batch
    prediction_batch_size: int = 1024

    def __init__(
        self,
        nu=0.1,
        objective="one-class",
        encoder=None,
        epochs=50,
        batch_size=128,
        learning_rate=1e-4,
        weight_decay=1e-6,
        warm_up_epochs=10,
        random_state=None,
        verbose=0,
    ):
        self.nu = nu
        self.objective = objective
        self.encoder = encoder
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.warm_up_epochs = warm_up_epochs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ public API
    def fit(self, X, y=None):
        """Fit the sphere to the images `X` (the labeled images, in a strategy).

        Args:
            X: images, N x H x W x C (N >= 2), uint8 or floats in [0, 1].
            y: ignored; present for scikit-learn compatibility.

        Returns:
            self
        """
        self._check_parameters()
        x = images_to_float(X, name="X")
        if len(x) < 2:
            raise ValueError(
                f"X has {len(x)} image(s); DeepSVDDFilter needs at least 2 to place a centre "
                "and a radius."
            )
        started = time.perf_counter()
        if self.random_state is not None:
            keras.utils.set_random_seed(int(self.random_state))
        self.input_shape_ = tuple(x.shape[1:])
        self.encoder_used_ = DEFAULT_ENCODER if self.encoder is None else self.encoder
        self.network_ = build_bias_free_network(self.encoder_used_, self.input_shape_)

        # Ruff et al.: c is the mean output of the initial network, fixed from then on.
        features = batched_predict(self.network_, x, self.prediction_batch_size)
        self.center_ = center_from_features(features)

        model = DeepSVDDModel(
            self.network_,
            objective=self.objective,
            nu=self.nu,
            weight_decay=self.weight_decay,
        )
        model.center.assign(self.center_)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=self.learning_rate),
            jit_compile="auto",
        )
        callbacks = []
        radius_update = None
        if self.objective == "soft-boundary":
            radius_update = RadiusUpdate(
                x, self.nu, self.warm_up_epochs, batch_size=self.prediction_batch_size
            )
            callbacks.append(radius_update)
        if self.verbose:
            callbacks.append(TqdmEpochs(f"{type(self).__name__} fit"))
        history = model.fit(
            x,
            epochs=self.epochs,
            batch_size=min(self.batch_size, len(x)),
            callbacks=callbacks,
            shuffle=True,
            verbose=0,
        )
        self.model_ = model
        self.history_ = {k: [float(v) for v in values] for k, values in history.history.items()}
        if radius_update is not None:
            self.history_["radius"] = list(radius_update.radii)

        # Same meaning of nu for both objectives: a fraction nu of the training images lies
        # outside. For soft-boundary this equals the R set after the last epoch (unless training
        # ended within the warm-up, when R is still 0 and would reject every image).
        self.radius_ = float(np.quantile(self._distances(x), 1.0 - float(self.nu)))
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def score_samples(self, X) -> np.ndarray:
        """Normality scores: minus the distance to the centre (higher = more normal).

        Args:
            X: images, N x H x W x C, uint8 or floats in [0, 1], of the fitted image shape.

        Returns:
            A float64 array of N scores.
        """
        return -self._distances(self._check_input(X))

    def decision_function(self, X) -> np.ndarray:
        """Signed distance to the sphere's surface: `radius_ - distance`, positive inside.

        Args:
            X: images, N x H x W x C, uint8 or floats in [0, 1], of the fitted image shape.

        Returns:
            A float64 array of N values; negative values are outliers.
        """
        distances = self._distances(self._check_input(X))
        return self.radius_ - distances

    def predict(self, X) -> np.ndarray:
        """+1 for an image inside the sphere (inlier), -1 outside (outlier).

        Args:
            X: images, N x H x W x C, uint8 or floats in [0, 1], of the fitted image shape.

        Returns:
            An int64 array of N values in {+1, -1}.
        """
        return np.where(self.decision_function(X) >= 0, 1, -1).astype(np.int64)

    # ------------------------------------------------------------------ helpers
    def _check_input(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        x = images_to_float(X, name="X")
        if tuple(x.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has images of shape {tuple(x.shape[1:])}, but this filter was fitted on "
                f"{self.input_shape_}."
            )
        return x

    def _distances(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros(0)
        squared = batched_predict(self.model_, x, self.prediction_batch_size)
        return np.sqrt(np.maximum(np.asarray(squared, dtype=np.float64), 0.0))

    def _check_parameters(self) -> None:
        nu = self.nu
        if not isinstance(nu, numbers.Real) or isinstance(nu, bool):
            raise TypeError(f"nu must be a number in (0, 1], got {nu!r}.")
        if not 0.0 < nu <= 1.0:
            raise ValueError(
                f"nu must be in (0, 1] (the fraction of training images left outside the "
                f"sphere; e.g. 0.1), got {nu!r}."
            )
        if self.objective not in OBJECTIVES:
            raise ValueError(
                f"Unknown objective {self.objective!r}; use one of {list(OBJECTIVES)}."
            )
        for name, minimum in (("epochs", 1), ("batch_size", 1), ("warm_up_epochs", 0)):
            value = getattr(self, name)
            if (
                not isinstance(value, (int, np.integer))
                or isinstance(value, bool)
                or value < minimum
            ):
                kind = "a positive" if minimum else "a non-negative"
                raise ValueError(f"{name} must be {kind} integer, got {value!r}.")
        if not isinstance(self.learning_rate, numbers.Real) or not self.learning_rate > 0:
            raise ValueError(
                f"learning_rate must be a positive number, got {self.learning_rate!r}."
            )
        if not isinstance(self.weight_decay, numbers.Real) or not 0 <= self.weight_decay < np.inf:
            raise ValueError(
                "weight_decay must be a non-negative number (e.g. 1e-6), got "
                f"{self.weight_decay!r}."
            )
        if self.random_state is not None and not isinstance(self.random_state, (int, np.integer)):
            raise TypeError(f"random_state must be None or an int, got {self.random_state!r}.")


class DeepSVDDModel(keras.Model):
    """The training model: squared distance of `network(x)` to a fixed centre, Ruff et al.'s loss.

    `center` and `radius_squared` (R^2) are non-trainable variables: the centre is set once before
    training, R^2 by `RadiusUpdate` between epochs, so neither receives gradients.

    Args:
        network: a bias-free `keras.Model` from images to feature vectors.
        objective: `"one-class"` or `"soft-boundary"`.
        nu: the soft-boundary objective's nu, in (0, 1].
        weight_decay: coefficient lambda of the `lambda / 2 * sum ||W||^2` term.

    Returns (when called):
        The squared distances `||network(x) - center||^2`, one per image.
    """

    def __init__(self, network, objective="one-class", nu=0.1, weight_decay=0.0, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.objective = objective
        self.nu = float(nu)
        self.weight_decay = float(weight_decay)
        self.center = self.add_weight(
            shape=(network.output_shape[-1],), initializer="zeros", trainable=False, name="center"
        )
        self.radius_squared = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="radius_squared"
        )

    def call(self, images, training=False):
        features = self.network(images, training=training)
        return ops.sum(ops.square(features - self.center), axis=-1)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        squared_distances = y_pred
        if self.objective == "soft-boundary":
            beyond = ops.relu(squared_distances - self.radius_squared)
            loss = self.radius_squared + ops.mean(beyond) / self.nu
        else:
            loss = ops.mean(squared_distances)
        if self.weight_decay:
            penalty = sum(ops.sum(ops.square(weight)) for weight in self.trainable_weights)
            loss = loss + 0.5 * self.weight_decay * penalty
        # Regularisation losses a custom encoder may carry.
        if self.losses:
            loss = loss + ops.sum(self.losses)
        return loss


class RadiusUpdate(keras.callbacks.Callback):
    """Sets the soft-boundary R to the (1 - nu)-quantile of the training distances.

    R stays 0 for the first `warm_up_epochs` epochs (Ruff et al.: the network first moves the
    data towards the centre), then is updated after every epoch; with no warm-up it is also set
    once from the initial network, before the first epoch.

    Args:
        images: the training images (float32, N x H x W x C).
        nu: the fraction of training images to leave outside, in (0, 1].
        warm_up_epochs: epochs trained with R = 0.
        batch_size: images per prediction batch.
    """

    def __init__(self, images, nu, warm_up_epochs, batch_size=1024):
        super().__init__()
        self.images = images
        self.nu = float(nu)
        self.warm_up_epochs = int(warm_up_epochs)
        self.batch_size = batch_size
        #: R after each epoch (0 during warm-up)
        self.radii: list[float] = []

    def on_train_begin(self, logs=None):
        self.radii = []
        if self.warm_up_epochs == 0:
            self._update()

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 >= self.warm_up_epochs:
            self._update()
        self.radii.append(float(np.sqrt(float(self.model.radius_squared.numpy()))))

    def _update(self):
        squared = batched_predict(self.model, self.images, self.batch_size)
        distances = np.sqrt(np.maximum(np.asarray(squared, dtype=np.float64), 0.0))
        radius = float(np.quantile(distances, 1.0 - self.nu))
        self.model.radius_squared.assign(np.float32(radius**2))


def build_bias_free_network(encoder, input_shape: tuple[int, ...]) -> keras.Model:
    """The shared encoder without additive terms, plus seed 001's max-pool + flatten.

    Args:
        encoder: a registered encoder name or a callable `input_shape -> keras.Model`.
        input_shape: (height, width, channels).

    Returns:
        A `keras.Model` from images to flat feature vectors, with no bias or beta weight.

    Raises:
        ValueError: if the encoder does not return a feature map (from `build_encoder`), or it
            keeps an additive weight that no `use_bias`/`center` option removes (a custom
            layer with its own bias weight).
    """
    built = build_encoder(encoder, input_shape)
    try:
        built = keras.models.clone_model(
            built, clone_function=_without_additive_terms, recursive=True
        )
    except ValueError:
        # Keras clones only functional and Sequential models; any other encoder is used as
        # built, and the check below refuses it if it has biases.
        pass
    inputs = keras.Input(shape=tuple(input_shape), name="images")
    features = built(inputs)
    height, width = features.shape[1], features.shape[2]
    # Seed 001's head pools before flattening; a 1-px feature map has nothing left to pool.
    if height is not None and width is not None and min(height, width) >= 2:
        features = keras.layers.MaxPooling2D(2, name="svdd_pool")(features)
    features = keras.layers.Flatten(name="svdd_flatten")(features)
    network = keras.Model(inputs, features, name="deep_svdd_network")
    additive = [w.path for w in network.weights if w.name in _ADDITIVE_WEIGHT_NAMES]
    if additive:
        raise ValueError(
            f"The encoder {getattr(encoder, '__name__', encoder)!r} keeps additive weights "
            f"{additive}, which let Deep SVDD collapse to a constant output. Build it with the "
            "functional or Sequential API from layers with `use_bias`/`center` options, or "
            "without biases."
        )
    return network


def center_from_features(features, epsilon: float = CENTER_EPSILON) -> np.ndarray:
    """The centre c: the mean feature vector, coordinates within `epsilon` of 0 pushed to +-epsilon.

    A coordinate exactly 0 goes to +epsilon.

    Args:
        features: N x D network outputs of the training images.
        epsilon: the smallest allowed magnitude of a coordinate.

    Returns:
        A float32 vector of D coordinates.

    Example:
        >>> center_from_features(np.array([[0.05, -0.05, 0.0, 0.5]]))
        array([ 0.1, -0.1,  0.1,  0.5], dtype=float32)
    """
    center = np.asarray(features, dtype=np.float64).mean(axis=0)
    small = np.abs(center) < epsilon
    center[small] = np.where(center[small] < 0, -epsilon, epsilon)
    return center.astype(np.float32)


def _without_additive_terms(layer: keras.layers.Layer) -> keras.layers.Layer:
    """A fresh copy of `layer` with its bias (`use_bias`) and beta (`center`) switched off.

    A layer without such an option is reused as it is: the encoder it came from was built just
    for this network, and reusing spares custom layers a `from_config` round trip.
    """
    config = layer.get_config()
    switched = False
    for key, value in _ADDITIVE_CONFIG_KEYS.items():
        if isinstance(config.get(key), bool) and config[key] != value:
            config[key] = value
            switched = True
    return type(layer).from_config(config) if switched else layer
