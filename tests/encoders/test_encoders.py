import re

import keras
import numpy as np
import pytest

from semisup import encoders

pytestmark = pytest.mark.backend


@pytest.mark.parametrize(
    ("input_shape", "feature_shape"),
    [((32, 32, 3), (4, 4, 128)), ((48, 48, 1), (8, 8, 128)), ((28, 28, 1), (3, 3, 128))],
)
def test_conv4_feature_map_shapes(input_shape, feature_shape):
    encoder = encoders.get("conv4")(input_shape)
    assert encoder.output_shape == (None, *feature_shape)
    x = np.zeros((2, *input_shape), dtype="float32")
    assert keras.ops.convert_to_numpy(encoder(x)).shape == (2, *feature_shape)


def test_conv4_layers_are_the_seed_network():
    encoder = encoders.get("conv4")((32, 32, 3))
    convs = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [16, 32, 64, 128]
    assert all(c.kernel_size == (3, 3) and c.padding == "valid" for c in convs)
    pools = [layer for layer in encoder.layers if isinstance(layer, keras.layers.MaxPooling2D)]
    assert len(pools) == 2


@pytest.mark.parametrize("input_shape", [(32, 32, 3), (48, 48, 1), (28, 28, 1), (29, 31, 3)])
def test_conv4_decoder_reconstructs_exact_input_shape(input_shape):
    entry = encoders.get("conv4")
    encoder, decoder = entry(input_shape), entry.decoder(input_shape)
    assert decoder.input_shape == encoder.output_shape
    assert decoder.output_shape == (None, *input_shape)
    assert not any(isinstance(layer, keras.layers.Dense) for layer in decoder.layers)
    x = np.random.default_rng(0).random((2, *input_shape)).astype("float32")
    out = keras.ops.convert_to_numpy(decoder(encoder(x)))
    assert out.shape == x.shape
    assert out.min() >= 0 and out.max() <= 1


def test_conv4_rejects_small_or_odd_inputs():
    with pytest.raises(ValueError, match="at least 28x28"):
        encoders.get("conv4")((16, 16, 1))
    with pytest.raises(ValueError, match="1 or 3 channels"):
        encoders.get("conv4")((32, 32, 4))


def test_unknown_encoder_lists_registered_names():
    with pytest.raises(ValueError, match="conv4"):
        encoders.get("resnet9000")


def test_build_encoder_rejects_flat_output():
    def flat(input_shape):
        inputs = keras.Input(input_shape)
        return keras.Model(inputs, keras.layers.Flatten()(inputs))

    with pytest.raises(ValueError, match="feature map"):
        encoders.build_encoder(flat, (28, 28, 1))


def test_register_custom_encoder_and_duplicate_name():
    def tiny(input_shape):
        inputs = keras.Input(input_shape)
        return keras.Model(inputs, keras.layers.Conv2D(4, 3)(inputs))

    try:
        encoders.register("tiny_test_encoder", tiny)
        assert encoders.build_encoder("tiny_test_encoder", (28, 28, 1)).output_shape[-1] == 4
        with pytest.raises(ValueError, match="already registered"):
            encoders.register("tiny_test_encoder", tiny)
        with pytest.raises(ValueError, match="no registered decoder"):
            encoders.get("tiny_test_encoder").decoder((28, 28, 1))
    finally:
        encoders.REGISTRY.pop("tiny_test_encoder", None)


def test_a_name_with_parameters_in_brackets_is_with_parameters():
    spec = encoders.get("wide_resnet[depth=10, widen_factor=4]")
    direct = encoders.get("wide_resnet").with_parameters(depth=10, widen_factor=4)
    assert spec.name == direct.name == "wide_resnet(depth=10, widen_factor=4)"
    assert spec((32, 32, 3)).output_shape == direct((32, 32, 3)).output_shape == (None, 8, 8, 256)
    assert spec.decoder((48, 48, 1)).output_shape == (None, 48, 48, 1)
    # values are JSON where they parse; an alias takes the parameters it leaves open
    assert encoders.get("resnet_v1[depth=8]")((32, 32, 3)).output_shape == (None, 8, 8, 64)
    assert encoders.resolve("wrn28_2[batch_norm_momentum=0.99]").name.endswith(
        "(batch_norm_momentum=0.99)"
    )
    assert encoders.get("conv4[]") is encoders.get("conv4")  # no parameters: the entry itself


@pytest.mark.parametrize(
    "spec, message",
    [
        ("wide_resnet[width=4]", "has no parameter(s) ['width']; its parameters are"),
        ("nope[depth=3]", "Unknown encoder 'nope'. Registered encoders"),
        ("wide_resnet[depth]", "'depth' is not param=value"),
        ("wide_resnet[depth=10", "must look like NAME or NAME[param=value, ...]"),
    ],
)
def test_a_bad_encoder_spec_says_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        encoders.get(spec)


def test_a_strategy_and_the_harness_take_an_encoder_spec():
    from semisup.bench import BenchConfig
    from semisup.strategies import Supervised

    BenchConfig.from_sources(
        "demo", overrides={"encoder": "wide_resnet[widen_factor=4]"}
    ).validate()
    with pytest.raises(ValueError, match=r"no parameter\(s\) \['width'\]"):
        BenchConfig.from_sources("demo", overrides={"encoder": "wide_resnet[width=4]"}).validate()
    rng = np.random.default_rng(0)
    x, y = rng.random((20, 16, 16, 1), dtype=np.float32), np.arange(20) % 2
    model = Supervised(encoder="resnet_v1[depth=8]", epochs=1, batch_size=10, random_state=0)
    model.fit(x, y)
    assert model.predict(x).shape == (20,)
