import keras
import numpy as np
import pytest

from semisup.strategies import OneStepAutoencoder, Supervised, TwoStepAutoencoder

FAST = {"epochs": 2, "batch_size": 8, "random_state": 0}


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


def test_one_step_classifier_is_the_supervised_network(tiny_images):
    x, y, _ = tiny_images
    one_step = OneStepAutoencoder(**FAST).fit(x, y)
    supervised = Supervised(**FAST).fit(x, y)
    shapes = [w.shape for w in one_step.model_.get_weights()]
    assert shapes == [w.shape for w in supervised.model_.get_weights()]
    kinds = [type(layer).__name__ for layer in one_step.model_.layers]
    assert kinds == [type(layer).__name__ for layer in supervised.model_.layers]
    # the classifier shares its encoder with the joint model that trained it
    assert one_step.joint_model_.get_layer("conv4_encoder") is one_step.encoder_


def test_one_step_records_both_losses_and_learns(tiny_images):
    x, y, y_true = tiny_images
    model = OneStepAutoencoder(epochs=15, batch_size=8, random_state=0).fit(x, y)
    history = model.history_["joint"]
    assert history["reconstruction_loss"][-1] < history["reconstruction_loss"][0]
    assert np.isfinite(history["classification_loss"]).all()
    assert model.score(x, y_true) >= 0.9
    reconstruction = model.joint_model_.predict(x[:2].astype("float32") / 255, verbose=0)[1]
    assert reconstruction.shape == (2, 28, 28, 1)


def test_one_step_rejects_negative_weight(tiny_images):
    x, y, _ = tiny_images
    with pytest.raises(ValueError, match="reconstruction_weight"):
        OneStepAutoencoder(reconstruction_weight=-1, **FAST).fit(x, y)


@pytest.mark.parametrize("fine_tune", [False, True])
def test_two_step_freezes_encoder_unless_fine_tuning(tiny_images, fine_tune, monkeypatch):
    x, y, _ = tiny_images
    snapshots = {}
    original = TwoStepAutoencoder._keras_fit

    def spy(self, model, *args, phase, **kwargs):
        result = original(self, model, *args, phase=phase, **kwargs)
        snapshots[phase] = _weights(model.get_layer("conv4_encoder"))
        return result

    monkeypatch.setattr(TwoStepAutoencoder, "_keras_fit", spy)
    model = TwoStepAutoencoder(
        pretrain_epochs=2, pretrain_batch_size=8, fine_tune=fine_tune, **FAST
    )
    model.fit(x, y)
    unchanged = all(
        np.array_equal(a, b) for a, b in zip(snapshots["autoencoder"], snapshots["classifier"])
    )
    assert unchanged is (not fine_tune)
    assert model.history_["autoencoder"]["loss"][-1] <= model.history_["autoencoder"]["loss"][0]


def test_two_step_heads(tiny_images):
    x, y, _ = tiny_images
    mlp = TwoStepAutoencoder(pretrain_epochs=1, head="mlp", **FAST).fit(x, y)
    dense_units = [d.units for d in mlp.model_.layers if isinstance(d, keras.layers.Dense)]
    assert dense_units == [1024, 256, 128, 2]
    linear = TwoStepAutoencoder(pretrain_epochs=1, head="linear", **FAST).fit(x, y)
    assert [type(layer).__name__ for layer in linear.model_.layers][-3:] == [
        "MaxPooling2D",
        "Flatten",
        "Dense",
    ]
    with pytest.raises(ValueError, match="head"):
        TwoStepAutoencoder(head="deep", **FAST).fit(x, y)


def test_autoencoder_needs_a_decoder(tiny_images):
    x, y, _ = tiny_images

    def no_decoder(input_shape):
        inputs = keras.Input(input_shape)
        return keras.Model(inputs, keras.layers.Conv2D(4, 3)(inputs))

    with pytest.raises(ValueError, match="decoder"):
        TwoStepAutoencoder(encoder=no_decoder, **FAST).fit(x, y)
    with pytest.raises(ValueError, match="decoder"):
        OneStepAutoencoder(encoder=no_decoder, **FAST).fit(x, y)
