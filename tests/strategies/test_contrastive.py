"""Contrastive pretraining: the losses against NumPy, pretraining that learns without collapsing,
a frozen (or fine-tuned) encoder in the classifier stage, named parameter errors."""

import keras
import numpy as np
import pytest

from semisup.strategies.contrastive import (
    ContrastivePretraining,
    barlow_twins_loss,
    fill_last_batch,
    nt_xent_loss,
)

pytestmark = pytest.mark.backend

# Small enough for a fit in a few seconds on two CPU cores.
FAST = {
    "epochs": 2,
    "batch_size": 8,
    "pretrain_epochs": 2,
    "pretrain_batch_size": 20,
    "projector_units": (32, 32),
    "random_state": 0,
}


def numpy_barlow_twins(z1, z2, lambda_offdiagonal):
    z1 = (z1 - z1.mean(0)) / z1.std(0)
    z2 = (z2 - z2.mean(0)) / z2.std(0)
    correlation = z1.T @ z2 / len(z1)
    on_diagonal = ((1 - np.diag(correlation)) ** 2).sum()
    off_diagonal = (correlation**2).sum() - (np.diag(correlation) ** 2).sum()
    return on_diagonal + lambda_offdiagonal * off_diagonal


def numpy_nt_xent(z1, z2, temperature):
    z = np.concatenate([z1, z2])
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    n = len(z1)
    total = 0.0
    for i in range(2 * n):
        partner = (i + n) % (2 * n)
        others = [k for k in range(2 * n) if k != i]
        logits = np.array([z[i] @ z[k] for k in others]) / temperature
        total += np.log(np.exp(logits).sum()) - z[i] @ z[partner] / temperature
    return total / (2 * n)


@pytest.mark.parametrize("shape", [(16, 4), (32, 24), (7, 3)])
@pytest.mark.parametrize("lambda_offdiagonal", [0.0, 5e-3, 1.0])
def test_barlow_twins_loss_matches_numpy(shape, lambda_offdiagonal):
    rng = np.random.default_rng(shape[0])
    z1 = rng.normal(size=shape)
    z2 = z1 + 0.5 * rng.normal(size=shape)
    expected = numpy_barlow_twins(z1, z2, lambda_offdiagonal)
    got = float(barlow_twins_loss(z1.astype("float32"), z2.astype("float32"), lambda_offdiagonal))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(8, 4), (6, 16)])
@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
def test_nt_xent_loss_matches_numpy(shape, temperature):
    rng = np.random.default_rng(shape[1])
    z1 = rng.normal(size=shape)
    z2 = z1 + 0.3 * rng.normal(size=shape)
    expected = numpy_nt_xent(z1, z2, temperature)
    got = float(nt_xent_loss(z1.astype("float32"), z2.astype("float32"), temperature))
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_barlow_twins_loss_is_zero_for_identical_decorrelated_views_and_largest_when_collapsed():
    # columns 1..7 of an 8 x 8 Hadamard matrix: zero mean, unit variance, mutually orthogonal
    hadamard = np.array([[1.0]])
    for _ in range(3):
        hadamard = np.block([[hadamard, hadamard], [hadamard, -hadamard]])
    z = hadamard[:, 1:].astype("float32")
    assert float(barlow_twins_loss(z, z, lambda_offdiagonal=1.0)) < 1e-6
    constant = np.ones((8, 7), dtype="float32")
    np.testing.assert_allclose(float(barlow_twins_loss(constant, constant, 1.0)), 7.0, rtol=1e-6)


def test_losses_stay_finite_for_a_batch_of_one():
    z = np.ones((1, 5), dtype="float32")
    assert float(barlow_twins_loss(z, z)) == pytest.approx(5.0)
    assert float(nt_xent_loss(z, z)) == pytest.approx(0.0, abs=1e-6)


def test_fill_last_batch_keeps_every_image_and_fills_up():
    images = np.arange(23)
    filled = fill_last_batch(images, 10, np.random.RandomState(0))
    assert len(filled) == 30
    np.testing.assert_array_equal(filled[:23], images)
    assert len(set(filled[23:].tolist())) == 7
    assert fill_last_batch(images, 23, np.random.RandomState(0)) is images


def weight_copies(model):
    # copies, not views: JAX may reuse a donated weight buffer in the next step
    return [np.array(keras.ops.convert_to_numpy(w.value), copy=True) for w in model.weights]


class EncoderWatcher(keras.callbacks.Callback):
    """Records the encoder's weights at the start and end of the classifier fit."""

    def on_train_begin(self, logs=None):
        self.encoder = getattr(self.model, "_semisup_encoder", None)
        if self.encoder is not None:
            self.before = weight_copies(self.encoder)

    def on_train_end(self, logs=None):
        if self.encoder is not None:
            self.after = weight_copies(self.encoder)


def encoder_changed(watcher):
    return any(not np.array_equal(b, a) for b, a in zip(watcher.before, watcher.after))


def test_pretraining_learns_without_collapse_and_the_encoder_stays_frozen(tiny_images):
    x, y, y_true = tiny_images
    watcher = EncoderWatcher()
    # early stopping is for the classifier stage: pretraining must run all its epochs
    model = ContrastivePretraining(
        **{**FAST, "pretrain_epochs": 6}, early_stopping_patience=0, callbacks=[watcher]
    )
    model.fit(x, y, validation_data=(x, y_true))

    losses = model.history_["pretrain"]["loss"]
    assert len(losses) == 6 and np.all(np.isfinite(losses))
    assert np.mean(losses[-2:]) < np.mean(losses[:2])
    assert "embedding_std" in model.history_["pretrain"]
    report = model.collapse_report_
    assert report["collapsed"] is False
    assert report["n_dead_dimensions"] == 0 and report["n_dimensions"] == 32
    assert report["embedding_std_min"] > 1e-2 and report["feature_std_mean"] > 1e-3
    if keras.backend.backend() == "jax":
        assert model.pretrain_model_.jit_compile is True
        assert model.jit_compiled_ == {"pretrain": True, "classifier": True}
    else:
        assert not model.pretrain_model_.run_eagerly

    assert not encoder_changed(watcher)
    assert model.encoder_ is watcher.encoder
    assert model.early_stopping_patience == 0
    assert "val_loss" in model.history_["classifier"]


def test_ntxent_with_mlp_head_fine_tunes_on_labeled_images_only(tiny_images):
    x, y, _ = tiny_images
    labeled = y != -1
    watcher = EncoderWatcher()
    model = ContrastivePretraining(
        **FAST, loss="ntxent", head="mlp", fine_tune=True, callbacks=[watcher]
    ).fit(x[labeled], y[labeled])
    assert model.n_unlabeled_ == 0
    assert np.all(np.isfinite(model.history_["pretrain"]["loss"]))
    assert encoder_changed(watcher)
    dense_units = [layer.units for layer in model.model_.layers if hasattr(layer, "units")]
    assert dense_units == [1024, 256, 128, 2]
    assert model.predict_proba(x).shape == (len(x), 2)


def test_zero_pretrain_epochs_skips_pretraining(tiny_images):
    x, y, _ = tiny_images
    model = ContrastivePretraining(**{**FAST, "pretrain_epochs": 0}).fit(x, y)
    assert "pretrain" not in model.history_ and "classifier" in model.history_


def test_a_collapsed_encoder_is_reported(tiny_images):
    x, y, _ = tiny_images

    def constant_encoder(input_shape):
        inputs = keras.Input(input_shape)
        features = keras.layers.Conv2D(
            4, 3, use_bias=False, kernel_initializer="zeros", trainable=False
        )(inputs)
        return keras.Model(inputs, features)

    with pytest.warns(UserWarning, match="collapsed"):
        model = ContrastivePretraining(**{**FAST, "pretrain_epochs": 1}, encoder=constant_encoder)
        model.fit(x, y)
    assert model.collapse_report_["collapsed"] is True
    assert model.collapse_report_["n_dead_dimensions"] == 32


@pytest.mark.parametrize(
    "params, name",
    [
        ({"lambda_offdiagonal": -0.1}, "lambda_offdiagonal"),
        ({"temperature": 0}, "temperature"),
        ({"loss": "byol"}, "loss"),
        ({"head": "resnet"}, "head"),
        ({"pretrain_epochs": -1}, "pretrain_epochs"),
        ({"pretrain_batch_size": 1}, "pretrain_batch_size"),
        ({"pretrain_learning_rate": 0}, "pretrain_learning_rate"),
        ({"projector_units": ()}, "projector_units"),
        ({"projector_units": (64, 0)}, "projector_units"),
    ],
)
def test_bad_parameters_are_named(tiny_images, params, name):
    x, y, _ = tiny_images
    with pytest.raises(ValueError, match=name):
        ContrastivePretraining(**{**FAST, **params}).fit(x, y)


def test_augmentation_errors_name_the_augmentation_parameter(tiny_images):
    x, y, _ = tiny_images
    with pytest.raises(
        ValueError, match=r"augmentation has unknown key\(s\) \['bogus'\].*crop_area_range"
    ):
        ContrastivePretraining(**FAST, augmentation={"bogus": 1}).fit(x, y)
    with pytest.raises(ValueError, match="^augmentation: .*translation"):
        ContrastivePretraining(**FAST, augmentation={"translation": -1}).fit(x, y)
