"""ResNet v1/v2, DenseNet-BC and Wide ResNet: shapes, published sizes, decoders, errors, and
every strategy and the Deep SVDD filter on each (tiny depths; models are built, not trained,
except in the slow compatibility test)."""

import keras
import numpy as np
import pytest
from sklearn.base import clone

from semisup import encoders, strategies
from semisup.filters import DeepSVDDFilter
from semisup.filters.deep_svdd import build_bias_free_network

# Tests marked `backend` build or run the networks and run again under JAX in CI; the others only
# check shapes and sizes, which do not depend on the backend (and building DenseNet-BC-100 for the
# first time under JAX takes ~25 s on a CPU: its initialisers compile once per kernel shape).

FAMILIES = ("resnet_v1", "resnet_v2", "densenet_bc", "wide_resnet")
# The smallest network of each family: quick to build, and trainable in a second or two.
TINY = {
    "resnet_v1": {"depth": 8},
    "resnet_v2": {"depth": 11},
    "densenet_bc": {"depth": 10},
    "wide_resnet": {"depth": 10, "widen_factor": 1},
}
# Feature channels of each family's registered default (resnet 20, resnet 56 v2, DenseNet-BC-100
# k = 12, WRN-28-2); the map is a quarter of the input side.
DEFAULT_CHANNELS = {"resnet_v1": 64, "resnet_v2": 256, "densenet_bc": 342, "wide_resnet": 128}
SHAPES = [(32, 32, 3), (48, 48, 1)]


def tiny(family):
    return encoders.get(family).with_parameters(**TINY[family])


def trainable_parameters(model):
    # PyTorch's convention, used by the papers: batch-norm moving statistics are not parameters
    return int(sum(np.prod(weight.shape) for weight in model.trainable_weights))


def with_linear_head(encoder, n_classes=10):
    """The papers' classifier: global average pool, one dense layer."""
    pooled = keras.layers.GlobalAveragePooling2D()(encoder.output)
    return keras.Model(encoder.input, keras.layers.Dense(n_classes)(pooled))


# ----------------------------------------------------------------------------- shapes
# Not marked `backend`: eager JAX compiles every op of DenseNet-BC-100 on its own (a minute).
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("input_shape", SHAPES)
def test_default_encoder_forward_pass_and_decoder_shape(family, input_shape):
    entry = encoders.get(family)
    encoder, decoder = encoders.build_encoder(family, input_shape), entry.decoder(input_shape)
    side = input_shape[0] // 4
    assert encoder.output_shape == (None, side, side, DEFAULT_CHANNELS[family])
    assert decoder.input_shape == encoder.output_shape
    assert decoder.output_shape == (None, *input_shape)
    x = np.random.default_rng(0).random((2, *input_shape)).astype("float32")
    features = keras.ops.convert_to_numpy(encoder(x))
    assert features.shape == (2, side, side, DEFAULT_CHANNELS[family])
    assert np.isfinite(features).all()


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("input_shape", [*SHAPES, (29, 31, 3), (16, 16, 1), (33, 17, 2)])
def test_decoder_reconstructs_exact_input_shape(family, input_shape):
    entry = tiny(family)
    encoder, decoder = encoders.build_encoder(entry, input_shape), entry.decoder(input_shape)
    assert decoder.input_shape == encoder.output_shape
    assert decoder.output_shape == (None, *input_shape)
    assert not any(isinstance(layer, keras.layers.Dense) for layer in decoder.layers)


@pytest.mark.backend
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("input_shape", SHAPES)
def test_forward_pass_through_encoder_and_decoder(family, input_shape):
    entry = tiny(family)
    encoder, decoder = encoders.build_encoder(entry, input_shape), entry.decoder(input_shape)
    x = np.random.default_rng(0).random((2, *input_shape)).astype("float32")
    features = keras.ops.convert_to_numpy(encoder(x))
    assert features.shape == (2, *encoder.output_shape[1:]) and np.isfinite(features).all()
    out = keras.ops.convert_to_numpy(decoder(features))
    assert out.shape == x.shape
    assert out.min() >= 0 and out.max() <= 1


# ----------------------------------------------------------------------------- published sizes
@pytest.mark.parametrize(
    ("name", "published"),
    [
        ("resnet20", 0.27e6),  # He et al. 2016, table 6
        # ibid. (ResNet-110: 1.73M against 1.7M, 2.0%: the Keras example's projection
        # shortcuts and convolution biases add 4k parameters to the paper's option A)
        ("resnet56", 0.85e6),
        # Huang et al. 2017 table 2 rounds it to 0.8M; their code (and its ports) count 769,162
        ("densenet_bc", 769_162),
        ("wrn28_2", 1_467_610),  # FixMatch's WRN-28-2 (1.5M in the paper)
        # Zagoruyko & Komodakis 2016, table 1
        (encoders.get("wide_resnet").with_parameters(depth=40, widen_factor=4), 8.9e6),
    ],
    ids=["resnet20", "resnet56", "densenet_bc100_k12", "wrn28_2", "wrn40_4"],
)
def test_parameter_counts_match_the_papers(name, published):
    model = with_linear_head(encoders.build_encoder(name, (32, 32, 3)))
    assert abs(trainable_parameters(model) - published) / published < 0.02


def test_exact_parameter_counts_of_the_references():
    # the Keras CIFAR-10 example's ResNet-20 v1 and FixMatch's PyTorch WRN-28-2, to the parameter
    assert trainable_parameters(with_linear_head(encoders.get("resnet20")((32, 32, 3)))) == 273_066
    assert trainable_parameters(with_linear_head(encoders.get("wrn28_2")((32, 32, 3)))) == 1_467_610


def test_resnet_v2_is_the_keras_example_layout():
    encoder = encoders.get("resnet_v2").with_parameters(depth=20)((32, 32, 3))
    convs = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Conv2D)]
    # stem + 3 stages x 2 blocks x 3 convs + one projection per stage
    assert len(convs) == 1 + 3 * 2 * 3 + 3
    stage_outputs = [layer.filters for layer in convs if layer.name.endswith("_conv3")]
    assert stage_outputs == [64, 64, 128, 128, 256, 256]
    bottlenecks = [layer.filters for layer in convs if layer.name.endswith("_conv2")]
    assert bottlenecks == [16, 16, 64, 64, 128, 128]


def test_wide_resnet_follows_fixmatch():
    encoder = encoders.get("wrn28_2")((32, 32, 3))
    norms = [
        layer for layer in encoder.layers if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert norms and all(layer.momentum == 0.999 for layer in norms)
    leaky = [layer for layer in encoder.layers if isinstance(layer, keras.layers.LeakyReLU)]
    assert len(leaky) == len(norms) and all(layer.negative_slope == 0.1 for layer in leaky)
    convs = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Conv2D)]
    assert not any(layer.use_bias for layer in convs)


@pytest.mark.parametrize("family", FAMILIES)
def test_batch_norm_momentum_reaches_every_batch_norm(family):
    entry = tiny(family).with_parameters(batch_norm_momentum=0.9)
    for model in (entry((32, 32, 3)), entry.decoder((32, 32, 3))):
        norms = [
            layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)
        ]
        assert norms and all(layer.momentum == 0.9 for layer in norms)


# ----------------------------------------------------------------------------- registry
def test_registered_names_and_their_parameters():
    for family in FAMILIES:
        assert encoders.get(family).preferred_pooling == "global_average"
        assert encoders.get(family).build_decoder is not None
    assert encoders.get("conv4").preferred_pooling == "max"
    aliases = {
        "resnet20": {"depth": 20},
        "resnet56": {"depth": 56},
        "resnet110": {"depth": 110},
        "resnet56v2": {"depth": 56},
        "resnet164v2": {"depth": 164},
        "wrn28_2": {"depth": 28, "widen_factor": 2},
        "wrn28_8": {"depth": 28, "widen_factor": 8},
    }
    for alias, keywords in aliases.items():
        entry = encoders.get(alias)
        assert entry.build.keywords == keywords and entry.build_decoder.keywords == keywords
        assert entry.preferred_pooling == "global_average"


@pytest.mark.backend
def test_with_parameters_names_builds_and_clones():
    entry = encoders.get("densenet_bc").with_parameters(depth=10, compression=0.3)
    assert entry.name == "densenet_bc(depth=10, compression=0.3)"
    assert encoders.resolve(entry) is entry
    assert entry((32, 32, 3)).name == "densenet_bc10_k12_encoder"
    model = strategies.Supervised(encoder=entry)
    assert clone(model).get_params() == model.get_params()
    with pytest.raises(TypeError, match=r"no parameter\(s\) \['width'\].*'widen_factor'"):
        encoders.get("wide_resnet").with_parameters(width=2)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("family", "parameters", "message"),
    [
        (
            "resnet_v1",
            {"depth": 21},
            r"ResNet v1 depth must be 6n\+2 \(20, 32, 44, 56, 110\), got 21",
        ),
        ("resnet_v1", {"depth": 2}, r"6n\+2 .*got 2\."),
        ("resnet_v1", {"depth": 20.0}, r"6n\+2 .*got 20\.0"),
        ("resnet_v2", {"depth": 21}, r"ResNet v2 depth must be 9n\+2 \(20, 56, 110, 164\), got 21"),
        ("densenet_bc", {"depth": 99}, r"3 dense blocks must be 6n\+4 \(10, 40, 100, 190, 250\)"),
        ("densenet_bc", {"depth": 100, "dense_blocks": 4}, r"4 dense blocks must be 8n\+5"),
        ("densenet_bc", {"compression": 0.0}, r"compression must be a number in \(0, 1\]"),
        ("densenet_bc", {"growth_rate": 0}, r"growth_rate must be a positive integer"),
        ("wide_resnet", {"depth": 27}, r"Wide ResNet depth must be 6n\+4 \(10, 16, 22, 28, 40\)"),
        ("wide_resnet", {"widen_factor": 0}, r"widen_factor must be a positive integer"),
        ("wide_resnet", {"batch_norm_momentum": 1.0}, r"batch_norm_momentum must be a float"),
        ("resnet_v2", {"batch_norm_momentum": -0.1}, r"batch_norm_momentum must be a float"),
        ("densenet_bc", {"batch_norm_momentum": True}, r"batch_norm_momentum must be a float"),
    ],
)
def test_bad_parameters_raise_clear_errors(family, parameters, message):
    entry = encoders.get(family).with_parameters(**parameters)
    with pytest.raises(ValueError, match=message):
        entry((32, 32, 3))
    with pytest.raises(ValueError, match=message):
        entry.decoder((32, 32, 3))


@pytest.mark.parametrize("family", FAMILIES)
def test_too_small_or_malformed_inputs_are_rejected(family):
    entry = tiny(family)
    with pytest.raises(
        ValueError, match=rf"{family} needs images of at least 16x16 pixels, got 8x8"
    ):
        entry((8, 8, 1))
    with pytest.raises(ValueError, match=rf"{family} needs images of at least 16x16"):
        entry.decoder((15, 32, 3))
    with pytest.raises(ValueError, match=r"image shape \(height, width, channels\)"):
        entry((32, 32))


def test_densenet_minimum_side_grows_with_its_blocks():
    entry = encoders.get("densenet_bc").with_parameters(depth=13, dense_blocks=4)
    assert entry((48, 48, 1)).output_shape == (None, 6, 6, 25)
    with pytest.raises(ValueError, match="at least 32x32"):
        entry((28, 28, 1))


# ----------------------------------------------------------------------------- Deep SVDD
@pytest.mark.backend
@pytest.mark.parametrize("family", FAMILIES)
def test_deep_svdd_network_is_bias_free(family):
    network = build_bias_free_network(tiny(family), (32, 32, 3))
    assert not [w.path for w in network.weights if w.name in ("bias", "beta")]
    norms = [
        layer
        for layer in network.get_layer(index=1).layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert norms and not any(layer.center for layer in norms)


# ----------------------------------------------------------------------------- strategies
N_IMAGES = 64
# The shortest training each strategy allows, applied where a strategy has the parameter, so
# strategies registered later are covered too.
SHORTEST = {
    "epochs": 1,
    "batch_size": 32,
    "random_state": 0,
    "rounds": 1,
    "pretrain_epochs": 1,
    "pretrain_batch_size": 32,
    "projector_units": (32, 32),
    "steps": 2,
    "mu": 1,
}
EXTRA = {"self_training": {"confidence_threshold": 0.0}}


def make_strategy(name, **parameters):
    strategy = strategies.get(name)
    accepted = strategy().get_params()
    settings = {key: value for key, value in SHORTEST.items() if key in accepted}
    return strategy(**{**settings, **EXTRA.get(name, {}), **parameters})


@pytest.fixture(scope="module")
def images():
    """64 images of 32x32x3 in two classes, half of each class labeled."""
    rng = np.random.default_rng(0)
    y_true = np.repeat([0, 1], N_IMAGES // 2)
    x = rng.random((N_IMAGES, 32, 32, 3)).astype("float32") * 0.3
    x[y_true == 1, 8:24, 8:24] += 0.6
    y = np.where(np.arange(N_IMAGES) % 2 == 0, y_true, -1)
    return x, y


# Every strategy on every family, once per strategy and at least twice per family, in the default
# run (about a minute); the full matrix is `slow` (about 5 minutes on two CPU cores, TensorFlow):
# `python3 -m pytest -q -m slow`. The JAX pass runs the joint-step test below.
ROTATION = [
    (name, FAMILIES[index % len(FAMILIES)])
    for index, name in enumerate(sorted(strategies.REGISTRY))
]


@pytest.mark.parametrize(("name", "family"), ROTATION)
def test_each_strategy_fits_with_one_of_the_new_encoders(name, family, images):
    test_every_strategy_fits_and_predicts_with_every_encoder(name, family, images)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("name", sorted(strategies.REGISTRY))
def test_every_strategy_fits_and_predicts_with_every_encoder(name, family, images):
    x, y = images
    model = make_strategy(name, encoder=tiny(family)).fit(x, y)
    losses = [v for phase in model.history_.values() for v in phase.get("loss", [])]
    assert losses and np.all(np.isfinite(losses))
    proba = model.predict_proba(x)
    assert proba.shape == (N_IMAGES, 2) and np.isfinite(proba).all()
    assert set(np.unique(model.predict(x))) <= {0, 1}
    if keras.backend.backend() == "jax":
        assert all(model.jit_compiled_.values()), model.jit_compiled_


@pytest.mark.backend
@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_joint_training_step_compiles(family, images):
    x, y = images
    model = make_strategy("one_step_autoencoder", encoder=tiny(family)).fit(x, y)
    assert np.isfinite(model.history_["joint"]["loss"]).all()
    assert model.predict_proba(x).shape == (N_IMAGES, 2)
    if keras.backend.backend() == "jax":
        assert model.jit_compiled_ == {"joint": True}


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_deep_svdd_filter_fits_with_every_encoder(family, images):
    x, y = images
    svdd = DeepSVDDFilter(nu=0.1, epochs=1, batch_size=32, encoder=tiny(family), random_state=0)
    svdd.fit(x)
    assert np.isfinite(svdd.history_["loss"]).all()
    assert 1 <= (svdd.predict(x) == -1).sum() <= 0.1 * N_IMAGES + 1
    # and in front of a strategy, as `unlabeled_filter=`
    model = strategies.SelfTraining(
        encoder=tiny(family),
        epochs=1,
        batch_size=32,
        rounds=1,
        unlabeled_filter=DeepSVDDFilter(nu=0.25, epochs=1, batch_size=32, encoder=tiny(family)),
        random_state=0,
    ).fit(x, y)
    assert model.n_unlabeled_removed_ > 0
    assert model.n_unlabeled_ + model.n_unlabeled_removed_ == int((y == -1).sum())


def test_the_keras_heads_average_pool_the_new_encoders_and_max_pool_conv4():
    from semisup.strategies import Supervised

    x = np.random.default_rng(0).random((8, 32, 32, 3)).astype("float32")
    y = np.array([0, 1] * 4)
    layers = {}
    # the smallest Wide ResNet: its entry keeps the family's pooling, and builds and traces in a
    # fraction of WRN-28-2's time
    assert tiny("wide_resnet").preferred_pooling == encoders.get("wrn28_2").preferred_pooling
    for name, encoder in (("conv4", "conv4"), ("wide_resnet", tiny("wide_resnet"))):
        model = Supervised(encoder=encoder, epochs=1, batch_size=8).fit(x, y)
        layers[name] = {type(layer).__name__ for layer in model.model_.layers}
    assert "MaxPooling2D" in layers["conv4"] and "GlobalAveragePooling2D" not in layers["conv4"]
    assert "GlobalAveragePooling2D" in layers["wide_resnet"]
