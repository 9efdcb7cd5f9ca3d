"""Seed 001's four-convolution network and its mirrored, fully convolutional decoder."""

from __future__ import annotations

import keras
from keras import layers

MIN_SIDE = 28


def _check_input_shape(input_shape: tuple[int, ...]) -> tuple[int, int, int]:
    if len(input_shape) != 3:
        raise ValueError(
            f"conv4 expects an image shape (height, width, channels), got {input_shape}."
        )
    height, width, channels = (int(v) for v in input_shape)
    if height < MIN_SIDE or width < MIN_SIDE:
        raise ValueError(
            f"conv4 needs images of at least {MIN_SIDE}x{MIN_SIDE} pixels, got {height}x{width}. "
            "Resize the images first (semisup.data.load('digits') shows how)."
        )
    if channels not in (1, 3):
        raise ValueError(f"conv4 expects 1 or 3 channels, got {channels}.")
    return height, width, channels


def conv4_encoder(input_shape: tuple[int, ...]) -> keras.Model:
    """Conv 16 -> Conv 32 -> max-pool -> Conv 64 -> max-pool -> Conv 128 (3x3, ReLU, valid).

    This is seed 001's classifier without its last pooling and output layers; the supervised head
    adds those back, so encoder + head is exactly the seed's network.

    Args:
        input_shape: (height, width, channels), sides of 28 px and up, 1 or 3 channels.

    Returns:
        A `keras.Model` from images to a feature map with 128 channels
        (4 x 4 for 32 x 32 inputs, 8 x 8 for 48 x 48).
    """
    _check_input_shape(input_shape)
    inputs = keras.Input(shape=tuple(input_shape), name="images")
    x = layers.Conv2D(16, 3, activation="relu", name="conv1")(inputs)
    x = layers.Conv2D(32, 3, activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(64, 3, activation="relu", name="conv3")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Conv2D(128, 3, activation="relu", name="conv4")(x)
    return keras.Model(inputs, x, name="conv4_encoder")


def _encoder_sides(side: int) -> list[int]:
    """Spatial side after each encoder layer: conv1, conv2, pool1, conv3, pool2, conv4."""
    sides = [side]
    for op in ("conv", "conv", "pool", "conv", "pool", "conv"):
        sides.append(sides[-1] - 2 if op == "conv" else sides[-1] // 2)
    return sides


def conv4_decoder(input_shape: tuple[int, ...]) -> keras.Model:
    """The mirror of `conv4_encoder`: transposed convolutions and up-sampling, no Dense layer.

    It maps the encoder's feature map for `input_shape` back to exactly `input_shape` (sigmoid
    output, as images are in [0, 1]). Where a max-pool floored an odd side, one row/column of zero
    padding restores it, so any side from 28 px up reconstructs exactly.
    """
    height, width, channels = _check_input_shape(input_shape)
    h_sides, w_sides = _encoder_sides(height), _encoder_sides(width)
    feature_shape = (h_sides[-1], w_sides[-1], 128)

    def upsample(x, index, name):
        # index points at the side before the pool being undone
        x = layers.UpSampling2D(2, name=name)(x)
        pad_h = h_sides[index] - 2 * h_sides[index + 1]
        pad_w = w_sides[index] - 2 * w_sides[index + 1]
        if pad_h or pad_w:
            x = layers.ZeroPadding2D(((0, pad_h), (0, pad_w)), name=f"{name}_pad")(x)
        return x

    features = keras.Input(shape=feature_shape, name="features")
    x = layers.Conv2DTranspose(64, 3, activation="relu", name="deconv4")(features)
    x = upsample(x, 4, "unpool2")
    x = layers.Conv2DTranspose(32, 3, activation="relu", name="deconv3")(x)
    x = upsample(x, 2, "unpool1")
    x = layers.Conv2DTranspose(16, 3, activation="relu", name="deconv2")(x)
    outputs = layers.Conv2DTranspose(channels, 3, activation="sigmoid", name="deconv1")(x)
    return keras.Model(features, outputs, name="conv4_decoder")
