"""Frozen-encoder features: an encoder's feature map, pooled to one vector per image."""

from __future__ import annotations

import keras
import numpy as np

from semisup._predict import batched_predict
from semisup.data._validation import images_to_float
from semisup.heads._head import check_positive_integer

POOLINGS = ("avg", "max", "flatten")

_POOLING_LAYERS = {
    3: {"avg": keras.layers.GlobalAveragePooling1D, "max": keras.layers.GlobalMaxPooling1D},
    4: {"avg": keras.layers.GlobalAveragePooling2D, "max": keras.layers.GlobalMaxPooling2D},
}


def resolve_encoder(encoder_or_strategy) -> keras.Model:
    """The `keras.Model` of an encoder, or the `encoder_` of a fitted semisup strategy.

    Raises:
        sklearn.exceptions.NotFittedError: for a strategy that was not fitted.
        TypeError: for anything else.
    """
    if isinstance(encoder_or_strategy, keras.Model):
        return encoder_or_strategy
    if hasattr(type(encoder_or_strategy), "encoder_") or hasattr(encoder_or_strategy, "encoder_"):
        encoder = encoder_or_strategy.encoder_  # a strategy not fitted raises NotFittedError here
        if isinstance(encoder, keras.Model):
            return encoder
    raise TypeError(
        "encoder must be a keras.Model (images -> feature map) or a fitted semisup strategy "
        f"(its encoder_ is used), got {type(encoder_or_strategy).__name__}."
    )


def feature_extractor(encoder_or_strategy, input_shape, pooling: str = "avg") -> keras.Model:
    """A `keras.Model` from images to pooled features: the encoder, then `pooling`.

    Args:
        encoder_or_strategy: a `keras.Model` returning a feature map, or a fitted strategy.
        input_shape: the shape of one image (H, W, C).
        pooling: `"avg"` (global average over the spatial axes), `"max"` (global maximum) or
            `"flatten"` (every position and channel). An encoder that already returns vectors
            (N x D) is left as it is.

    Returns:
        A model whose output is N x n_features; the encoder inside it is the same object, so its
        weights are shared, not copied.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
    encoder = resolve_encoder(encoder_or_strategy)
    input_shape = tuple(int(size) for size in input_shape)
    expected = _expected_input_shape(encoder)
    if expected is not None and (
        len(expected) != len(input_shape)
        or any(want is not None and want != got for want, got in zip(expected, input_shape))
    ):
        raise ValueError(
            f"The encoder takes images of shape {expected}, but X has images of shape "
            f"{input_shape}."
        )
    inputs = keras.Input(shape=input_shape, name="images")
    features = encoder(inputs)
    rank = len(features.shape)
    if rank > 2:
        if pooling == "flatten":
            features = keras.layers.Flatten(name="features_flatten")(features)
        elif rank in _POOLING_LAYERS:
            features = _POOLING_LAYERS[rank][pooling](name=f"features_{pooling}_pool")(features)
        else:
            raise ValueError(
                f"pooling={pooling!r} supports feature maps of rank 3 or 4 (N x L x C, "
                f"N x H x W x C); this encoder returns rank {rank}. Use pooling='flatten'."
            )
    elif rank != 2:
        raise ValueError(f"The encoder returns outputs of rank {rank}; expected a feature map.")
    return keras.Model(inputs, features, name=f"{encoder.name}_{pooling}_features")


def extract_features(encoder_or_strategy, X, batch_size=256, pooling="avg") -> np.ndarray:
    """Run an encoder on images in batches and pool its feature map: one vector per image.

    Args:
        encoder_or_strategy: a `keras.Model` from images to a feature map (e.g.
            `semisup.encoders.build_encoder("conv4", (32, 32, 1))`), or a fitted semisup
            strategy, whose trained `encoder_` is used.
        X: images, N x H x W x C, uint8 (divided by 255) or floats in [0, 1], as the strategies
            take them.
        batch_size: images per forward pass.
        pooling: `"avg"` (default), `"max"` or `"flatten"`; see `feature_extractor`.

    Returns:
        float32 array, N x n_features (conv4: 128 with avg/max pooling; 2,048 flattened for
        32 x 32 images).

    Example:
        >>> from semisup.data import load
        >>> from semisup.encoders import build_encoder
        >>> from semisup.heads import extract_features
        >>> ds = load("digits")
        >>> encoder = build_encoder("conv4", ds.x_train.shape[1:])
        >>> extract_features(encoder, ds.x_test[:10]).shape
        (10, 128)
    """
    check_positive_integer(batch_size, "batch_size")
    x = images_to_float(X, name="X")
    model = feature_extractor(encoder_or_strategy, x.shape[1:], pooling=pooling)
    if len(x) == 0:
        return np.zeros((0, model.output_shape[-1]), dtype=np.float32)
    features = batched_predict(model, x, int(batch_size))
    return np.asarray(features, dtype=np.float32)


def _expected_input_shape(encoder: keras.Model):
    try:
        shape = encoder.input_shape
    except (AttributeError, ValueError):
        return None
    if not isinstance(shape, tuple) or not shape or isinstance(shape[0], (tuple, list)):
        return None
    return tuple(shape[1:])
