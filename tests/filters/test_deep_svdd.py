"""DeepSVDDFilter: what nu means, outlier scores, the bias-free network, errors, strategy use."""

import warnings

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from semisup import filters
from semisup.filters import DeepSVDDFilter
from semisup.filters.deep_svdd import (
    CENTER_EPSILON,
    DeepSVDDModel,
    build_bias_free_network,
    center_from_features,
)
from semisup.strategies import Supervised

pytestmark = pytest.mark.backend

# Small enough for a couple of seconds per fit on two CPU cores; batches divide the data evenly
# so JAX compiles one training step per fit.
N_TRAIN = 100
FAST = {"epochs": 3, "batch_size": 25, "learning_rate": 1e-3, "warm_up_epochs": 2}


def blobs(n, seed):
    """Smooth Gaussian blobs (random position and width) on a dark 28x28 background: inliers."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:28, 0:28]
    center_row, center_col = rng.uniform(9, 19, size=(2, n, 1, 1))
    width = rng.uniform(3, 5, size=(n, 1, 1))
    images = np.exp(-((rows - center_row) ** 2 + (cols - center_col) ** 2) / (2 * width**2))
    return images[..., None].astype("float32")


def make(**overrides):
    return DeepSVDDFilter(**{**FAST, "random_state": 0, **overrides})


@pytest.fixture(scope="module")
def training_images():
    return blobs(N_TRAIN, seed=0)


@pytest.fixture(scope="module")
def fitted(training_images):
    """Fitted filters by (objective, nu), each fitted once per module."""
    cache = {}

    def get(objective, nu):
        if (objective, nu) not in cache:
            cache[objective, nu] = make(objective=objective, nu=nu).fit(training_images)
        return cache[objective, nu]

    return get


def running_on_cpu():
    """Whether Keras computes on the CPU, where a seeded fit repeats exactly (GPUs may not)."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.default_backend() == "cpu"
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return not tf.config.list_physical_devices("GPU")
    return True


def all_layers(model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from all_layers(layer)


# ---------------------------------------------------------------------------- what nu means
@pytest.mark.parametrize("objective", ["one-class", "soft-boundary"])
@pytest.mark.parametrize("nu", [0.1, 0.3])
def test_about_nu_of_the_training_images_lie_outside(fitted, training_images, objective, nu):
    svdd = fitted(objective, nu)
    labels = svdd.predict(training_images)
    assert set(np.unique(labels)) <= {-1, 1}
    assert abs(np.mean(labels == -1) - nu) <= 0.05

    decision = svdd.decision_function(training_images)
    np.testing.assert_allclose(decision, svdd.radius_ + svdd.score_samples(training_images))
    np.testing.assert_array_equal(labels, np.where(decision >= 0, 1, -1))


def test_soft_boundary_radius_is_updated_after_warm_up(fitted, training_images):
    svdd = fitted("soft-boundary", 0.1)
    radii = svdd.history_["radius"]
    assert len(radii) == FAST["epochs"] == len(svdd.history_["loss"])
    # warm_up_epochs=2: R stays 0 through the first two epochs, is set after the second and
    # updated after every epoch from then on.
    assert radii[0] == 0.0 and radii[1] > 0 and radii[2] > 0
    # The R of the last update is the (1 - nu)-quantile of the final training distances.
    np.testing.assert_allclose(radii[-1], svdd.radius_, rtol=1e-5)
    # The learned R^2 stays outside the gradient: it is a non-trainable variable.
    trainable_paths = {w.path for w in svdd.model_.trainable_weights}
    assert svdd.model_.radius_squared.path not in trainable_paths


def test_no_warm_up_sets_the_radius_before_training(training_images):
    svdd = make(objective="soft-boundary", nu=0.2, warm_up_epochs=0, epochs=1).fit(training_images)
    assert svdd.history_["radius"][0] > 0
    assert abs(np.mean(svdd.predict(training_images) == -1) - 0.2) <= 0.05


# ---------------------------------------------------------------------------- outlier scores
@pytest.mark.parametrize("objective", ["one-class", "soft-boundary"])
def test_shifted_images_score_as_outliers(fitted, objective):
    svdd = fitted(objective, 0.1)
    inliers = blobs(60, seed=1)
    inverted = 1.0 - blobs(30, seed=2)
    noise = np.random.default_rng(3).random((30, 28, 28, 1)).astype("float32")
    images = np.concatenate([inliers, inverted, noise])
    is_inlier = np.r_[np.ones(len(inliers)), np.zeros(len(inverted) + len(noise))]

    scores = svdd.score_samples(images)
    assert scores.shape == (len(images),) and np.all(np.isfinite(scores))
    assert scores.std() > 0
    assert roc_auc_score(is_inlier, scores) > 0.9
    # uint8 input is the same images scaled by 255
    as_uint8 = np.round(inliers * 255).astype(np.uint8)
    np.testing.assert_allclose(
        svdd.score_samples(as_uint8), svdd.score_samples(as_uint8 / np.float32(255)), rtol=1e-6
    )


# ---------------------------------------------------------------------------- the network
def test_network_has_no_bias_and_centre_is_away_from_zero(fitted, training_images):
    svdd = fitted("one-class", 0.1)
    layers = list(all_layers(svdd.network_))
    assert any(isinstance(layer, keras.layers.Conv2D) for layer in layers)
    assert not any(getattr(layer, "use_bias", False) for layer in layers)
    assert not any(w.name in ("bias", "beta") for w in svdd.network_.weights)
    # The classifier body of seed 001 minus its output layer: pool + flatten, no Dense.
    assert not any(isinstance(layer, keras.layers.Dense) for layer in layers)
    assert svdd.network_.output_shape == (None, 128)  # 28 px -> 3x3x128 -> pool 1x1 -> 128

    assert svdd.center_.shape == (128,)
    assert np.all(np.abs(svdd.center_) >= CENTER_EPSILON)
    # The centre is fixed: training did not move it.
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(svdd.model_.center), svdd.center_)

    if keras.backend.backend() == "jax":
        assert svdd.model_.jit_compile is True
    else:
        assert not svdd.model_.run_eagerly


def test_center_pushes_small_coordinates_to_epsilon():
    features = np.array([[0.04, -0.02, 0.0, 0.5, -0.3], [0.02, -0.06, 0.0, 0.7, -0.5]])
    np.testing.assert_allclose(
        center_from_features(features), [0.1, -0.1, 0.1, 0.6, -0.4], rtol=1e-6
    )


def test_batch_norm_and_dense_lose_their_additive_terms():
    def encoder(input_shape):
        inputs = keras.Input(shape=input_shape)
        x = keras.layers.Conv2D(4, 3)(inputs)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Dense(3, activation="relu")(x)
        return keras.Model(inputs, x)

    network = build_bias_free_network(encoder, (8, 8, 1))
    layers = list(all_layers(network))
    batch_norms = [layer for layer in layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert batch_norms and all(layer.center is False and layer.scale for layer in batch_norms)
    assert not any(getattr(layer, "use_bias", False) for layer in layers)
    assert not any(w.name in ("bias", "beta") for w in network.weights)


def test_custom_layer_with_a_bias_is_refused():
    class ShiftedConv(keras.layers.Layer):
        """A convolution with a bias weight that no `use_bias` option can switch off."""

        def build(self, input_shape):
            self.conv = keras.layers.Conv2D(4, 3, use_bias=False)
            self.conv.build(input_shape)
            self.bias = self.add_weight(shape=(4,), initializer="zeros", name="bias")

        def call(self, images):
            return self.conv(images) + self.bias

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-3], input_shape[-3] - 2, input_shape[-2] - 2, 4)

    def encoder(input_shape):
        inputs = keras.Input(shape=input_shape)
        return keras.Model(inputs, ShiftedConv()(inputs))

    with pytest.raises(ValueError, match="additive weights"):
        build_bias_free_network(encoder, (8, 8, 1))


@pytest.mark.parametrize("objective", ["one-class", "soft-boundary"])
def test_loss_matches_the_paper(objective):
    network = build_bias_free_network("conv4", (28, 28, 1))
    model = DeepSVDDModel(network, objective=objective, nu=0.25, weight_decay=0.0)
    model.radius_squared.assign(0.5)
    squared = np.array([0.1, 0.4, 0.9, 2.0], dtype="float32")
    loss = float(keras.ops.convert_to_numpy(model.compute_loss(y_pred=squared)))
    if objective == "one-class":
        expected = squared.mean()
    else:
        expected = 0.5 + np.maximum(0.0, squared - 0.5).mean() / 0.25
    np.testing.assert_allclose(loss, expected, rtol=1e-6)

    decayed = DeepSVDDModel(network, objective=objective, nu=0.25, weight_decay=1e-2)
    decayed.radius_squared.assign(0.5)
    penalty = sum(float(np.sum(np.square(w))) for w in network.get_weights())
    loss = float(keras.ops.convert_to_numpy(decayed.compute_loss(y_pred=squared)))
    np.testing.assert_allclose(loss, expected + 0.5 * 1e-2 * penalty, rtol=1e-5)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("nu", [0, 0.0, 1.5, -0.1, float("nan")])
def test_nu_outside_zero_one_is_refused(training_images, nu):
    with pytest.raises(ValueError, match=r"nu must be in \(0, 1\]"):
        make(nu=nu).fit(training_images)


def test_bad_arguments_are_named(training_images):
    with pytest.raises(TypeError, match="nu"):
        make(nu="0.1").fit(training_images)
    with pytest.raises(ValueError, match="one-class.*soft-boundary"):
        make(objective="two-class").fit(training_images)
    for name, value in [("epochs", 0), ("batch_size", 0), ("warm_up_epochs", -1)]:
        with pytest.raises(ValueError, match=name):
            make(**{name: value}).fit(training_images)
    with pytest.raises(ValueError, match="learning_rate"):
        make(learning_rate=0).fit(training_images)
    with pytest.raises(ValueError, match="weight_decay"):
        make(weight_decay=-1e-6).fit(training_images)
    with pytest.raises(ValueError, match="at least 2"):
        make().fit(training_images[:1])
    with pytest.raises(ValueError, match="4-D"):
        make().fit(training_images[..., 0])
    with pytest.raises(NotFittedError):
        make().predict(training_images)


def test_flat_encoder_gets_the_encoder_registry_error(training_images):
    def flat_encoder(input_shape):
        inputs = keras.Input(shape=input_shape)
        return keras.Model(inputs, keras.layers.Flatten()(inputs))

    with pytest.raises(ValueError, match="feature map"):
        make(encoder=flat_encoder).fit(training_images)


def test_wrong_image_shape_at_prediction(fitted):
    with pytest.raises(ValueError, match="fitted on"):
        fitted("one-class", 0.1).predict(np.zeros((2, 32, 32, 1), dtype="float32"))


# ---------------------------------------------------------------------------- scikit-learn API
def test_clone_and_params_round_trip():
    svdd = DeepSVDDFilter(nu=0.2, objective="soft-boundary", epochs=7, random_state=3)
    params = svdd.get_params()
    twin = clone(svdd)
    assert twin is not svdd and twin.get_params() == params
    twin.set_params(nu=0.3)
    assert twin.nu == 0.3 and svdd.nu == 0.2
    assert DeepSVDDFilter(**params).get_params() == params


def test_encoder_defaults_to_none_and_to_conv4_on_its_own(fitted):
    svdd = DeepSVDDFilter()
    assert svdd.get_params()["encoder"] is None and clone(svdd).encoder is None
    alone = fitted("one-class", 0.1)
    assert alone.encoder is None  # fit stores what it used apart from the parameter
    assert alone.encoder_used_ == "conv4"


def test_registry():
    assert filters.get("deep_svdd") is DeepSVDDFilter
    with pytest.raises(ValueError, match="deep_svdd"):
        filters.get("isolation_forest")


@pytest.mark.skipif(not running_on_cpu(), reason="GPU kernels need not repeat bit for bit")
def test_same_random_state_repeats_on_cpu(fitted, training_images, capsys):
    first = fitted("one-class", 0.1)
    second = make(nu=0.1, verbose=1)
    labels = second.fit_predict(training_images)
    np.testing.assert_allclose(
        second.score_samples(training_images),
        first.score_samples(training_images),
        rtol=1e-6,
        atol=1e-7,
    )
    np.testing.assert_array_equal(labels, first.predict(training_images))
    assert "DeepSVDDFilter fit" in capsys.readouterr().err  # verbose shows a tqdm bar


# ---------------------------------------------------------------------------- in a strategy
class SupervisedWithPool(Supervised):
    """The supervised baseline, declared as using unlabeled images so the filter runs."""

    uses_unlabeled = True


def strategy(**overrides):
    svdd = DeepSVDDFilter(nu=0.3, epochs=1, batch_size=10, learning_rate=1e-3)
    params = {"epochs": 1, "batch_size": 10, "unlabeled_filter": svdd, "random_state": 0}
    return SupervisedWithPool(**{**params, **overrides})


def test_strategy_drops_what_the_filter_predicts_as_outliers(tiny_images):
    x, y, _ = tiny_images
    unlabeled = x[y == -1].astype("float32") / 255
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the filter must not empty the pool here
        model = strategy().fit(x, y)
    fitted_filter = model.unlabeled_filter_
    assert isinstance(fitted_filter, DeepSVDDFilter) and fitted_filter is not model.unlabeled_filter
    assert fitted_filter.random_state == 0  # the strategy's seed reaches the filter
    removed = int((fitted_filter.predict(unlabeled) == -1).sum())
    assert removed > 0
    assert model.n_unlabeled_removed_ == removed
    assert model.n_unlabeled_ == len(unlabeled) - removed


def test_filter_that_removes_the_whole_pool_warns_and_keeps_it(tiny_images, monkeypatch):
    x, y, _ = tiny_images
    # Only the strategy's reaction is under test here, so the filter need not train.
    monkeypatch.setattr(DeepSVDDFilter, "fit", lambda self, X, y=None: self)
    monkeypatch.setattr(DeepSVDDFilter, "predict", lambda self, X: -np.ones(len(X), dtype=int))
    with pytest.warns(UserWarning, match="every one of the 30"):
        model = strategy().fit(x, y)
    assert model.n_unlabeled_removed_ == 0
    assert model.n_unlabeled_ == 30


def tiny_encoder(input_shape):
    """An encoder that is not conv4, with a layer name to find it by."""
    inputs = keras.Input(shape=input_shape)
    features = keras.layers.Conv2D(
        4, 3, strides=2, padding="same", activation="relu", name="tiny_conv"
    )(inputs)
    return keras.Model(inputs, features, name="tiny_encoder")


def test_the_filter_takes_the_strategys_encoder(tiny_images):
    x, y, _ = tiny_images
    model = strategy(encoder=tiny_encoder).fit(x, y)
    fitted_filter = model.unlabeled_filter_
    assert fitted_filter.encoder is tiny_encoder and fitted_filter.encoder_used_ is tiny_encoder
    assert "tiny_conv" in [layer.name for layer in all_layers(fitted_filter.network_)]
    assert model.unlabeled_filter.encoder is None  # the user's filter is left as given


def stub_fit_and_predict(monkeypatch):
    """Only what the strategy hands the filter is under test: it need not train."""
    monkeypatch.setattr(DeepSVDDFilter, "fit", lambda self, X, y=None: self)
    monkeypatch.setattr(DeepSVDDFilter, "predict", lambda self, X: np.ones(len(X), dtype=int))


def test_an_explicit_filter_encoder_is_kept(tiny_images, monkeypatch):
    stub_fit_and_predict(monkeypatch)
    x, y, _ = tiny_images
    svdd = DeepSVDDFilter(nu=0.3, epochs=1, encoder="conv4")
    model = strategy(encoder=tiny_encoder, unlabeled_filter=svdd).fit(x, y)
    assert model.unlabeled_filter_.encoder == "conv4"


def test_a_registered_filter_name_is_accepted(tiny_images, monkeypatch):
    stub_fit_and_predict(monkeypatch)
    x, y, _ = tiny_images
    model = strategy(encoder=tiny_encoder, unlabeled_filter="deep_svdd").fit(x, y)
    fitted_filter = model.unlabeled_filter_
    assert type(fitted_filter) is DeepSVDDFilter
    assert fitted_filter.encoder is tiny_encoder and fitted_filter.random_state == 0
    assert fitted_filter.nu == DeepSVDDFilter().nu  # the filter's defaults otherwise
    assert model.get_params()["unlabeled_filter"] == "deep_svdd"
    assert clone(model).unlabeled_filter == "deep_svdd"
