"""BiasCorrectedBatchNormalization: the moving statistics worked out by hand, frozen layers,
mixed precision, saving, the encoders that use it and a compiled fit (also under JAX in CI)."""

import keras
import numpy as np
import pytest

from semisup import encoders
from semisup.encoders import BiasCorrectedBatchNormalization

RNG = np.random.default_rng(0)


def _batches(n, shape=(6, 3), scale=3.0):
    return [(RNG.normal(size=shape) * scale + index).astype("float32") for index in range(n)]


def _expected_moving(batches, momentum, correction=True):
    """The momentum-weighted average of the batch statistics, in float64, and Keras's update."""
    means = np.array([batch.mean(axis=0) for batch in batches], dtype=np.float64)
    variances = np.array([batch.var(axis=0) for batch in batches], dtype=np.float64)
    if correction:
        weights = momentum ** np.arange(len(batches) - 1, -1, -1, dtype=np.float64)
        weights /= weights.sum()
        return weights @ means, weights @ variances
    mean, variance = np.zeros(means.shape[1]), np.ones(means.shape[1])
    for batch_mean, batch_variance in zip(means, variances):
        mean = momentum * mean + (1 - momentum) * batch_mean
        variance = momentum * variance + (1 - momentum) * batch_variance
    return mean, variance


@pytest.mark.backend
@pytest.mark.parametrize("momentum", [0.0, 0.9, 0.999])
def test_moving_statistics_are_the_weighted_average_of_the_batches(momentum):
    layer = BiasCorrectedBatchNormalization(momentum=momentum)
    batches = _batches(5)
    for count, batch in enumerate(batches, start=1):
        layer(batch, training=True)
        mean, variance = _expected_moving(batches[:count], momentum)
        np.testing.assert_allclose(np.asarray(layer.moving_mean), mean, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(
            np.asarray(layer.moving_variance), variance, rtol=1e-5, atol=1e-5
        )
        assert float(np.asarray(layer.update_count)) == count
    # the first batch alone sets the statistics, whatever the momentum
    first = BiasCorrectedBatchNormalization(momentum=momentum)
    first(batches[0], training=True)
    np.testing.assert_allclose(np.asarray(first.moving_mean), batches[0].mean(axis=0), rtol=1e-5)


@pytest.mark.backend
def test_without_correction_it_is_keras_own_update():
    batches = _batches(4)
    ours = BiasCorrectedBatchNormalization(momentum=0.9, bias_correction=False)
    stock = keras.layers.BatchNormalization(momentum=0.9)
    for batch in batches:
        ours(batch, training=True)
        stock(batch, training=True)
    mean, variance = _expected_moving(batches, 0.9, correction=False)
    for layer in (ours, stock):
        np.testing.assert_allclose(np.asarray(layer.moving_mean), mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(layer.moving_variance), variance, rtol=1e-5)
    probe = _batches(1)[0]
    np.testing.assert_allclose(
        np.asarray(ours(probe, training=False)), np.asarray(stock(probe, training=False)), 1e-5
    )


@pytest.mark.backend
def test_outputs_normalise_with_batch_or_moving_statistics():
    layer = BiasCorrectedBatchNormalization(momentum=0.99, epsilon=1e-3)
    batch = _batches(1)[0]
    standardised = (batch - batch.mean(axis=0)) / np.sqrt(batch.var(axis=0) + 1e-3)
    np.testing.assert_allclose(np.asarray(layer(batch, training=True)), standardised, atol=1e-5)
    # one step in, inference uses that batch's statistics (Keras's layer: 1 % of them)
    np.testing.assert_allclose(np.asarray(layer(batch, training=False)), standardised, atol=1e-5)
    stock = keras.layers.BatchNormalization(momentum=0.99, epsilon=1e-3)
    stock(batch, training=True)
    assert np.abs(np.asarray(stock(batch, training=False)) - standardised).max() > 1.0


@pytest.mark.backend
def test_frozen_layers_and_inference_calls_neither_count_nor_update():
    layer = BiasCorrectedBatchNormalization()
    batch = _batches(1)[0]
    layer(batch, training=False)
    assert float(np.asarray(layer.update_count)) == 0
    np.testing.assert_array_equal(np.asarray(layer.moving_mean), 0.0)
    layer.trainable = False
    layer(batch, training=True)
    assert float(np.asarray(layer.update_count)) == 0
    np.testing.assert_array_equal(np.asarray(layer.moving_variance), 1.0)


@pytest.mark.backend
def test_mixed_precision_keeps_float32_statistics():
    layer = BiasCorrectedBatchNormalization(dtype="mixed_bfloat16")
    batch = _batches(1, shape=(8, 4))[0]
    out = layer(batch, training=True)
    assert keras.backend.standardize_dtype(out.dtype) == "bfloat16"
    for variable in (layer.moving_mean, layer.moving_variance, layer.update_count):
        assert keras.backend.standardize_dtype(variable.dtype) == "float32"
    # the layer's input arrives rounded to bfloat16 (3 significant digits), as in Keras's layer
    np.testing.assert_allclose(np.asarray(layer.moving_mean), batch.mean(axis=0), atol=2e-2)


def test_bad_arguments_name_what_is_wrong():
    with pytest.raises(TypeError, match="bias_correction must be True or False, got 'yes'"):
        BiasCorrectedBatchNormalization(bias_correction="yes")
    with pytest.raises(ValueError, match="does not support renorm=True"):
        BiasCorrectedBatchNormalization(renorm=True)
    layer = BiasCorrectedBatchNormalization()
    with pytest.raises(ValueError, match="does not support masked inputs"):
        layer(np.ones((2, 3), "float32"), mask=np.ones((2,), bool))


@pytest.mark.backend
def test_saving_and_loading_keeps_the_statistics_and_the_count(tmp_path):
    inputs = keras.Input((3,))
    outputs = BiasCorrectedBatchNormalization(momentum=0.95, bias_correction=False)(inputs)
    model = keras.Model(inputs, outputs)
    layer = model.layers[-1]
    for batch in _batches(3):
        layer(batch, training=True)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    restored = loaded.layers[-1]
    assert isinstance(restored, BiasCorrectedBatchNormalization)
    assert restored.bias_correction is False and restored.momentum == 0.95
    for name in ("moving_mean", "moving_variance", "update_count"):
        np.testing.assert_array_equal(
            np.asarray(getattr(restored, name)), np.asarray(getattr(layer, name))
        )


@pytest.mark.backend
@pytest.mark.parametrize(
    ("family", "parameters"),
    [
        ("resnet_v1", {"depth": 8}),
        ("resnet_v2", {"depth": 11}),
        ("densenet_bc", {"depth": 10}),
        ("wide_resnet", {"depth": 10, "widen_factor": 1}),
    ],
)
def test_every_batch_norm_of_the_encoders_and_decoders_is_corrected(family, parameters):
    entry = encoders.get(family).with_parameters(**parameters)
    for model in (entry((16, 16, 1)), entry.decoder((16, 16, 1))):
        norms = [
            layer
            for layer in model._flatten_layers()
            if isinstance(layer, keras.layers.BatchNormalization)
        ]
        assert norms and all(isinstance(layer, BiasCorrectedBatchNormalization) for layer in norms)
        assert all(layer.bias_correction for layer in norms)


@pytest.mark.backend
def test_a_compiled_fit_predicts_with_the_statistics_of_its_few_steps():
    """Three steps of a compiled fit at momentum 0.999: the moving statistics are the batches'
    (inference matches training-mode normalisation of the same data), not 99.7 % the initial
    mean 0 and variance 1."""
    keras.utils.set_random_seed(0)
    x = (RNG.normal(size=(48, 4)) * 5.0 + 10.0).astype("float32")
    y = RNG.integers(0, 2, size=48)
    inputs = keras.Input((4,))
    normalised = BiasCorrectedBatchNormalization(momentum=0.999, center=False, scale=False)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(normalised))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", jit_compile="auto")
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    layer = model.layers[1]
    assert float(np.asarray(layer.update_count)) == 3
    mean, variance = _expected_moving([x[i : i + 16] for i in (0, 16, 32)], 0.999)
    np.testing.assert_allclose(np.asarray(layer.moving_mean), mean, rtol=1e-4)
    np.testing.assert_allclose(np.asarray(layer.moving_variance), variance, rtol=1e-4)
