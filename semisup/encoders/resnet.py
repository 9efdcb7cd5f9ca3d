"""ResNet v1 and v2 for small images (He et al. 2016), as laid out by the Keras CIFAR-10 example.

- v1 ("Deep Residual Learning for Image Recognition", CVPR 2016, section 4.2): depth 6n + 2, a
  3x3 stem with 16 filters, then three stages of n basic blocks (two 3x3 conv-BN, ReLU after the
  sum) with 16, 32 and 64 filters; the first block of stages 2 and 3 halves the side with a
  stride-2 convolution and projects its shortcut with a 1x1 convolution.
- v2 ("Identity Mappings in Deep Residual Networks", ECCV 2016): depth 9n + 2, pre-activation
  bottleneck blocks (BN-ReLU-conv 1x1, 3x3, 1x1), stages ending in 64, 128 and 256 channels after
  a 16-filter stem, and BN-ReLU after the last sum.

Each encoder returns the map before the classifier's pooling (8 x 8 for 32 x 32 inputs), for the
strategies' heads; its decoder mirrors the three resolution levels back to the input shape.

This module also holds the shape checks and the mirrored decoder that `densenet` and
`wide_resnet` share with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import layers

from semisup.encoders._batch_norm import BiasCorrectedBatchNormalization

#: Resolution levels of the small-image ResNets, DenseNets and WRNs: full, 1/2 and 1/4 side.
LEVELS = 3


# ----------------------------------------------------------------------------- shared helpers
def check_image_shape(
    input_shape: tuple[int, ...], architecture: str, min_side: int
) -> tuple[int, int, int]:
    """`(height, width, channels)` of `input_shape`, or a ValueError naming `architecture`.

    Args:
        input_shape: the image shape given to an encoder builder.
        architecture: the name used in error messages, e.g. "resnet_v1".
        min_side: the smallest height and width accepted.
    """
    if len(input_shape) != 3:
        raise ValueError(
            f"{architecture} expects an image shape (height, width, channels), got "
            f"{tuple(input_shape)}."
        )
    height, width, channels = (int(v) for v in input_shape)
    if channels < 1:
        raise ValueError(f"{architecture} expects at least 1 channel, got {channels}.")
    if height < min_side or width < min_side:
        raise ValueError(
            f"{architecture} needs images of at least {min_side}x{min_side} pixels, got "
            f"{height}x{width}: its feature map is too small to pool below that. Resize the "
            "images first, or use encoder='conv4'."
        )
    return height, width, channels


def check_positive_integer(value, name: str, architecture: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{architecture} {name} must be a positive integer, got {value!r}.")
    return value


def check_momentum(value, architecture: str, reference: str) -> float:
    """A batch-norm momentum in [0, 1) (Keras's convention), or a ValueError."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < 1:
        raise ValueError(
            f"{architecture} batch_norm_momentum must be a float in [0, 1) (Keras convention: "
            f"the weight of the old moving average; {reference}), got {value!r}."
        )
    return float(value)


def batch_norm(x, momentum: float, name: str):
    """The encoders' and decoders' batch norm: Keras's, with bias-corrected moving statistics."""
    return BiasCorrectedBatchNormalization(momentum=momentum, name=name)(x)


def halved_sides(side: int, levels: int = LEVELS) -> list[int]:
    """The side at each resolution level; a stride-2 'same' convolution or pool rounds up."""
    sides = [side]
    for _ in range(levels - 1):
        sides.append(math.ceil(sides[-1] / 2))
    return sides


def activation_layer(activation: str, name: str) -> layers.Layer:
    """`"relu"`, or `"leaky_relu"` with FixMatch's slope 0.1."""
    if activation == "leaky_relu":
        return layers.LeakyReLU(negative_slope=0.1, name=name)
    return layers.Activation(activation, name=name)


def mirrored_decoder(
    input_shape: tuple[int, int, int],
    feature_channels: int,
    widths: Sequence[int],
    name: str,
    activation: str = "relu",
    batch_norm_momentum: float = 0.99,
) -> keras.Model:
    """A fully convolutional decoder from an encoder's feature map back to `input_shape`.

    It walks the encoder's resolution levels backwards: at each level a 3x3 conv-BN-activation
    with that level's width, and between levels a stride-2 transposed convolution (then a crop
    where the encoder rounded an odd side up). One block per level, not one per encoder block:
    the reconstruction is thrown away after training, and a decoder as deep as ResNet-110 would
    double the autoencoder strategies' cost. The output is a sigmoid image (inputs are in
    [0, 1]), as in `conv4`'s decoder; there is no Dense layer.

    Args:
        input_shape: (height, width, channels) of the images to reconstruct.
        feature_channels: channels of the encoder's feature map.
        widths: the decoder's width at each level, from full resolution to the deepest.
        name: the model's name.
        activation: `"relu"` or `"leaky_relu"`.
        batch_norm_momentum: momentum of the decoder's batch norms (the encoder's).
    """
    height, width, channels = input_shape
    levels = len(widths)
    h_sides, w_sides = halved_sides(height, levels), halved_sides(width, levels)

    def conv_block(x, filters, prefix):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{prefix}_conv")(x)
        x = batch_norm(x, batch_norm_momentum, f"{prefix}_bn")
        return activation_layer(activation, f"{prefix}_{activation}")(x)

    features = keras.Input(shape=(h_sides[-1], w_sides[-1], feature_channels), name="features")
    x = conv_block(features, widths[-1], f"level{levels}")
    for level in reversed(range(levels - 1)):
        prefix = f"level{level + 1}"
        x = layers.Conv2DTranspose(
            widths[level], 3, strides=2, padding="same", use_bias=False, name=f"{prefix}_up"
        )(x)
        crop_h = 2 * h_sides[level + 1] - h_sides[level]
        crop_w = 2 * w_sides[level + 1] - w_sides[level]
        if crop_h or crop_w:
            x = layers.Cropping2D(((0, crop_h), (0, crop_w)), name=f"{prefix}_crop")(x)
        x = batch_norm(x, batch_norm_momentum, f"{prefix}_up_bn")
        x = activation_layer(activation, f"{prefix}_up_{activation}")(x)
        x = conv_block(x, widths[level], prefix)
    outputs = layers.Conv2D(channels, 3, padding="same", activation="sigmoid", name="images")(x)
    return keras.Model(features, outputs, name=name)


# ----------------------------------------------------------------------------- ResNet
MIN_SIDE = 16
MOMENTUM_REFERENCE = "Keras's default: 0.99"

_DEPTH_RULES = {
    1: (6, "ResNet v1 depth must be 6n+2 (20, 32, 44, 56, 110)"),
    2: (9, "ResNet v2 depth must be 9n+2 (20, 56, 110, 164)"),
}


def resnet_blocks_per_stage(depth: int, version: int) -> int:
    """n, the residual blocks per stage of a ResNet of `depth` (6n + 2 for v1, 9n + 2 for v2).

    Example:
        >>> resnet_blocks_per_stage(20, version=1), resnet_blocks_per_stage(56, version=2)
        (3, 6)
    """
    step, rule = _DEPTH_RULES[version]
    if (
        not isinstance(depth, int)
        or isinstance(depth, bool)
        or depth < step + 2
        or (depth - 2) % step
    ):
        raise ValueError(f"{rule}, got {depth!r}.")
    return (depth - 2) // step


def _conv(x, filters, kernel_size, strides, name):
    # The Keras example's convolutions, biases included; no kernel regulariser: the strategies
    # own the loss (use optimizer="adamw" or an SGD weight decay for the example's L2 term).
    return layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        kernel_initializer="he_normal",
        name=name,
    )(x)


def resnet_v1_encoder(
    input_shape: tuple[int, ...], depth: int = 20, batch_norm_momentum: float = 0.99
) -> keras.Model:
    """ResNet v1 (He et al. 2016, CIFAR layout) without its pooling and dense output layer.

    Args:
        input_shape: (height, width, channels), sides of 16 px and up.
        depth: 6n + 2: 20, 32, 44, 56, 110 (n = 3, 5, 7, 9, 18), or 8 for a tiny test network.
        batch_norm_momentum: the batch norms' momentum (Keras's default, 0.99). The moving
            statistics are bias-corrected (`BiasCorrectedBatchNormalization`) but still average
            over ~1 / (1 - momentum) steps: for a fit of a few hundred steps, 0.9
            (docs/encoders.md).

    Returns:
        A `keras.Model` from images to a 64-channel feature map at a quarter of the input side
        (8 x 8 for 32 x 32 inputs, 12 x 12 for 48 x 48), after the last block's ReLU.

    Example:
        >>> resnet_v1_encoder((32, 32, 3), depth=20).output_shape
        (None, 8, 8, 64)
    """
    blocks = resnet_blocks_per_stage(depth, version=1)
    momentum = check_momentum(batch_norm_momentum, "ResNet v1", MOMENTUM_REFERENCE)
    check_image_shape(input_shape, "resnet_v1", MIN_SIDE)
    inputs = keras.Input(shape=tuple(input_shape), name="images")
    x = _conv(inputs, 16, 3, 1, "stem_conv")
    x = batch_norm(x, momentum, "stem_bn")
    x = layers.Activation("relu", name="stem_relu")(x)
    filters = 16
    for stage in range(LEVELS):
        for block in range(blocks):
            prefix = f"stage{stage + 1}_block{block + 1}"
            downsample = stage > 0 and block == 0
            strides = 2 if downsample else 1
            y = _conv(x, filters, 3, strides, f"{prefix}_conv1")
            y = batch_norm(y, momentum, f"{prefix}_bn1")
            y = layers.Activation("relu", name=f"{prefix}_relu1")(y)
            y = _conv(y, filters, 3, 1, f"{prefix}_conv2")
            y = batch_norm(y, momentum, f"{prefix}_bn2")
            if downsample:
                x = _conv(x, filters, 1, strides, f"{prefix}_shortcut")
            x = layers.Add(name=f"{prefix}_add")([x, y])
            x = layers.Activation("relu", name=f"{prefix}_relu")(x)
        filters *= 2
    return keras.Model(inputs, x, name=f"resnet{depth}_v1_encoder")


def resnet_v1_decoder(
    input_shape: tuple[int, ...], depth: int = 20, batch_norm_momentum: float = 0.99
) -> keras.Model:
    """The mirror of `resnet_v1_encoder`: 64 -> 32 -> 16 filters back up to `input_shape`."""
    resnet_blocks_per_stage(depth, version=1)
    momentum = check_momentum(batch_norm_momentum, "ResNet v1", MOMENTUM_REFERENCE)
    shape = check_image_shape(input_shape, "resnet_v1", MIN_SIDE)
    return mirrored_decoder(
        shape,
        64,
        (16, 32, 64),
        name=f"resnet{depth}_v1_decoder",
        batch_norm_momentum=momentum,
    )


def resnet_v2_encoder(
    input_shape: tuple[int, ...], depth: int = 56, batch_norm_momentum: float = 0.99
) -> keras.Model:
    """ResNet v2 (He et al. 2016, pre-activation bottlenecks) without its pooling and output layer.

    The Keras CIFAR-10 example's layout: a 16-filter conv-BN-ReLU stem, then three stages of n
    bottleneck blocks (BN-ReLU-conv 1x1, BN-ReLU-conv 3x3, BN-ReLU-conv 1x1) whose outputs have
    64, 128 and 256 channels; the first block of a stage projects its shortcut (1x1 conv) and,
    in stages 2 and 3, halves the side; the very first block skips its pre-activation, which
    the stem has just applied.

    Args:
        input_shape: (height, width, channels), sides of 16 px and up.
        depth: 9n + 2: 20, 56, 110, 164 (n = 2, 6, 12, 18), or 11 for a tiny test network.
        batch_norm_momentum: the batch norms' momentum (Keras's default, 0.99). The moving
            statistics are bias-corrected (`BiasCorrectedBatchNormalization`) but still average
            over ~1 / (1 - momentum) steps: for a fit of a few hundred steps, 0.9
            (docs/encoders.md).

    Returns:
        A `keras.Model` from images to a 256-channel feature map at a quarter of the input side,
        after the final BN-ReLU.

    Example:
        >>> resnet_v2_encoder((48, 48, 1), depth=11).output_shape
        (None, 12, 12, 256)
    """
    blocks = resnet_blocks_per_stage(depth, version=2)
    momentum = check_momentum(batch_norm_momentum, "ResNet v2", MOMENTUM_REFERENCE)
    check_image_shape(input_shape, "resnet_v2", MIN_SIDE)
    inputs = keras.Input(shape=tuple(input_shape), name="images")
    x = _conv(inputs, 16, 3, 1, "stem_conv")
    x = batch_norm(x, momentum, "stem_bn")
    x = layers.Activation("relu", name="stem_relu")(x)
    filters_in = 16
    for stage in range(LEVELS):
        filters_out = filters_in * (4 if stage == 0 else 2)
        for block in range(blocks):
            prefix = f"stage{stage + 1}_block{block + 1}"
            strides = 2 if stage > 0 and block == 0 else 1
            y = x
            if not (stage == 0 and block == 0):
                y = batch_norm(y, momentum, f"{prefix}_bn1")
                y = layers.Activation("relu", name=f"{prefix}_relu1")(y)
            y = _conv(y, filters_in, 1, strides, f"{prefix}_conv1")
            y = batch_norm(y, momentum, f"{prefix}_bn2")
            y = layers.Activation("relu", name=f"{prefix}_relu2")(y)
            y = _conv(y, filters_in, 3, 1, f"{prefix}_conv2")
            y = batch_norm(y, momentum, f"{prefix}_bn3")
            y = layers.Activation("relu", name=f"{prefix}_relu3")(y)
            y = _conv(y, filters_out, 1, 1, f"{prefix}_conv3")
            if block == 0:
                x = _conv(x, filters_out, 1, strides, f"{prefix}_shortcut")
            x = layers.Add(name=f"{prefix}_add")([x, y])
        filters_in = filters_out
    x = batch_norm(x, momentum, "final_bn")
    x = layers.Activation("relu", name="final_relu")(x)
    return keras.Model(inputs, x, name=f"resnet{depth}_v2_encoder")


def resnet_v2_decoder(
    input_shape: tuple[int, ...], depth: int = 56, batch_norm_momentum: float = 0.99
) -> keras.Model:
    """The mirror of `resnet_v2_encoder`: 256 -> 128 -> 64 filters back up to `input_shape`."""
    resnet_blocks_per_stage(depth, version=2)
    momentum = check_momentum(batch_norm_momentum, "ResNet v2", MOMENTUM_REFERENCE)
    shape = check_image_shape(input_shape, "resnet_v2", MIN_SIDE)
    return mirrored_decoder(
        shape,
        256,
        (64, 128, 256),
        name=f"resnet{depth}_v2_decoder",
        batch_norm_momentum=momentum,
    )


__all__ = [
    "resnet_blocks_per_stage",
    "resnet_v1_decoder",
    "resnet_v1_encoder",
    "resnet_v2_decoder",
    "resnet_v2_encoder",
]
