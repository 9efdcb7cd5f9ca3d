"""`precision=`: networks built under a mixed dtype policy (bfloat16 compute, float32 variables),
float32 logits and losses, float probabilities, and a global Keras policy left as it was."""

import keras
import numpy as np
import pytest

from semisup import encoders, strategies
from semisup.strategies._base import PRECISIONS, dtype_policy_scope

pytestmark = pytest.mark.backend

# A 10-layer WRN of width 1: FixMatch's encoder family (with BatchNorm) in a fit of a few seconds.
TINY_WRN = encoders.get("wide_resnet").with_parameters(depth=10, widen_factor=1)
FAST = {
    "supervised": {"epochs": 2, "batch_size": 8},
    "fixmatch": {"encoder": TINY_WRN, "steps": 4, "epochs": 2, "batch_size": 4, "mu": 2},
    "contrastive": {
        "epochs": 2,
        "batch_size": 8,
        "pretrain_epochs": 1,
        "pretrain_batch_size": 20,
        "projector_units": (32, 32),
    },
}


def make(name, **overrides):
    return strategies.get(name)(**{**FAST.get(name, {}), "random_state": 0, **overrides})


def layers_of(model):
    """Every layer of `model`, nested models opened."""
    found = []
    for layer in model.layers:
        found.append(layer)
        if isinstance(layer, keras.Model):
            found.extend(layers_of(layer))
    return found


def policy_name():
    return keras.config.dtype_policy().name


@pytest.mark.parametrize("name", sorted(FAST))
def test_mixed_bfloat16_computes_in_bfloat16_with_float32_weights_and_outputs(name, tiny_images):
    x, y, _ = tiny_images
    before = policy_name()
    model = make(name, precision="mixed_bfloat16")
    assert model.get_params()["precision"] == "mixed_bfloat16"
    model.fit(x, y)
    assert policy_name() == before

    losses = [v for phase in model.history_.values() for v in phase.get("loss", [])]
    assert losses and np.all(np.isfinite(losses))

    convolutions = [
        layer for layer in layers_of(model.encoder_) if isinstance(layer, keras.layers.Conv2D)
    ]
    assert convolutions
    for layer in convolutions:
        assert layer.compute_dtype == "bfloat16", layer.name
        assert layer.kernel.dtype == "float32", layer.name
    norms = [
        layer
        for layer in layers_of(model.encoder_)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    if name == "fixmatch":
        assert norms
    for layer in norms:
        assert all(variable.dtype == "float32" for variable in layer.variables), layer.name
    assert model.model_.layers[-1].compute_dtype == "float32"  # the logits layer

    proba = model.predict_proba(x)
    assert proba.shape == (len(x), 2)
    assert proba.dtype in (np.float32, np.float64)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    logits = model.model_.predict(x[:4], verbose=0)
    assert np.asarray(logits).dtype == np.float32
    if name == "contrastive":
        assert model.pretrain_model_.projector.layers[-1].compute_dtype == "float32"
        assert model.pretrain_model_.augmenter.compute_dtype == "float32"
        assert np.isfinite(model.collapse_report_["embedding_std_mean"])
    if name == "fixmatch":
        assert model.trainer_.compute_dtype == "float32"  # losses and augmentation
        optimizer = model.trainer_.optimizer
        assert all(v.dtype == "float32" for v in optimizer.variables if "float" in v.dtype)


def test_float32_is_the_default_and_builds_float32_networks(tiny_images):
    x, y, _ = tiny_images
    for name in strategies.REGISTRY:
        assert strategies.get(name)().get_params()["precision"] == "float32", name
    model = make("supervised").fit(x, y)
    assert all(layer.compute_dtype == "float32" for layer in layers_of(model.model_))


def test_an_unknown_precision_names_the_valid_ones(tiny_images):
    x, y, _ = tiny_images
    before = policy_name()
    for value in ("mixed_float16", "bfloat16", "float64", None):
        with pytest.raises(ValueError, match="float32.*mixed_bfloat16") as error:
            make("supervised", precision=value).fit(x, y)
        if value == "mixed_float16":
            assert "loss scaling" in str(error.value)
    with pytest.raises(ValueError, match="mixed_bfloat16"):
        make("fixmatch", precision="half").fit(x, y)
    assert policy_name() == before
    assert PRECISIONS == ("float32", "mixed_bfloat16")


def test_the_global_policy_is_restored_after_an_error_and_not_read_by_the_strategy(tiny_images):
    before = policy_name()
    with pytest.raises(RuntimeError):
        with dtype_policy_scope("mixed_bfloat16"):
            assert policy_name() == "mixed_bfloat16"
            raise RuntimeError("failed while building")
    assert policy_name() == before

    # a user's own global policy neither leaks into precision="float32" nor is changed by a fit
    x, y, _ = tiny_images
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = make("supervised", epochs=1).fit(x, y)
        assert policy_name() == "mixed_bfloat16"
    finally:
        keras.config.set_dtype_policy(before)
    assert all(layer.compute_dtype == "float32" for layer in layers_of(model.model_))


def test_a_mixed_model_saves_loads_and_resumes_from_checkpoints(tiny_images, tmp_path):
    x, y, _ = tiny_images
    first = make("supervised", precision="mixed_bfloat16")
    first.enable_checkpoints(tmp_path / "checkpoints").fit(x, y)
    again = make("supervised", precision="mixed_bfloat16")
    again.enable_checkpoints(tmp_path / "checkpoints").fit(x, y)
    assert again.resumed_from_epoch_ == {"classifier": 2}
    np.testing.assert_allclose(again.predict_proba(x), first.predict_proba(x), atol=1e-6)

    path = tmp_path / "model.keras"
    first.model_.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), first.model_.predict(x, verbose=0), atol=1e-6
    )
    assert "bfloat16" in {layer.compute_dtype for layer in layers_of(loaded)}
    assert loaded.layers[-1].compute_dtype == "float32"
