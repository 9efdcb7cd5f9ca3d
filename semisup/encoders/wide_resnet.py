"""Wide ResNet (Zagoruyko & Komodakis, "Wide Residual Networks", BMVC 2016), as FixMatch uses it.

WRN-28-2 is the standard backbone of semi-supervised image classification (MixMatch, FixMatch,
FlexMatch, USB): about 1.47M parameters with a 10-class linear head. The layout is FixMatch's
(Sohn et al. 2020): a 3x3 stem with 16 filters, three groups of n = (depth - 4) / 6
pre-activation wide basic blocks (BN-LeakyReLU-conv 3x3, BN-LeakyReLU-conv 3x3) with
16w, 32w and 64w filters (w: the widening factor), a 1x1 projection where a block changes width,
and a final BN-LeakyReLU; LeakyReLU slope 0.1, batch-norm momentum 0.999 (PyTorch's 0.001), no
convolution bias, no dropout.
"""

from __future__ import annotations

import keras
from keras import layers

from semisup.encoders.resnet import (
    LEVELS,
    batch_norm,
    check_image_shape,
    check_momentum,
    check_positive_integer,
    mirrored_decoder,
)

ARCHITECTURE = "wide_resnet"
MIN_SIDE = 16

#: FixMatch's batch-norm momentum (PyTorch's momentum=0.001 is Keras's momentum=0.999).
BATCH_NORM_MOMENTUM = 0.999
LEAKY_SLOPE = 0.1


def wide_resnet_blocks_per_group(depth: int) -> int:
    """n, the wide basic blocks per group of a WRN of `depth` = 6n + 4.

    Example:
        >>> wide_resnet_blocks_per_group(28)
        4
    """
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 10 or (depth - 4) % 6:
        raise ValueError(f"Wide ResNet depth must be 6n+4 (10, 16, 22, 28, 40), got {depth!r}.")
    return (depth - 4) // 6


def _check_parameters(depth, widen_factor, batch_norm_momentum) -> tuple[int, float]:
    blocks = wide_resnet_blocks_per_group(depth)
    check_positive_integer(widen_factor, "widen_factor", "Wide ResNet")
    momentum = check_momentum(batch_norm_momentum, "Wide ResNet", "FixMatch: 0.999")
    return blocks, momentum


def wide_resnet_encoder(
    input_shape: tuple[int, ...],
    depth: int = 28,
    widen_factor: int = 2,
    batch_norm_momentum: float = BATCH_NORM_MOMENTUM,
) -> keras.Model:
    """WRN-depth-widen_factor (FixMatch's layout) without its pooling and output layer.

    Args:
        input_shape: (height, width, channels), sides of 16 px and up.
        depth: 6n + 4: 28 (n = 4) for WRN-28-2 / WRN-28-8, or 10 for a tiny test network.
        widen_factor: w; the groups have 16w, 32w and 64w filters.
        batch_norm_momentum: Keras's BatchNormalization momentum. FixMatch's 0.999 suits its
            2^20 training steps. The moving statistics are bias-corrected
            (`BiasCorrectedBatchNormalization`) but still average over ~1 / (1 - momentum)
            steps, so for a fit of a few hundred steps use 0.9 (see docs/encoders.md).

    Returns:
        A `keras.Model` from images to a 64w-channel feature map at a quarter of the input side
        (8 x 8 x 128 for WRN-28-2 on 32 x 32 inputs), after the final BN-LeakyReLU.

    Example:
        >>> wide_resnet_encoder((32, 32, 3)).output_shape
        (None, 8, 8, 128)
    """
    blocks, momentum = _check_parameters(depth, widen_factor, batch_norm_momentum)
    check_image_shape(input_shape, ARCHITECTURE, MIN_SIDE)
    # PyTorch's kaiming_normal_(mode="fan_out") of FixMatch's implementations
    initializer = keras.initializers.VarianceScaling(2.0, "fan_out", "untruncated_normal")

    def conv(x, filters, kernel_size, strides, name):
        return layers.Conv2D(
            filters,
            kernel_size,
            strides=strides,
            padding="same",
            use_bias=False,
            kernel_initializer=initializer,
            name=name,
        )(x)

    def bn_leaky(x, prefix):
        x = batch_norm(x, momentum, f"{prefix}_bn")
        return layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"{prefix}_leaky_relu")(x)

    inputs = keras.Input(shape=tuple(input_shape), name="images")
    x = conv(inputs, 16, 3, 1, "stem_conv")
    for group in range(LEVELS):
        filters = 16 * widen_factor * 2**group
        for block in range(blocks):
            prefix = f"group{group + 1}_block{block + 1}"
            strides = 2 if group > 0 and block == 0 else 1
            shortcut = x
            y = bn_leaky(x, f"{prefix}_1")
            # FixMatch's activate_before_residual: the stem's output is not activated on its
            # own, so the first block's shortcut starts from the activated map
            if group == 0 and block == 0:
                shortcut = y
            y = conv(y, filters, 3, strides, f"{prefix}_conv1")
            y = bn_leaky(y, f"{prefix}_2")
            y = conv(y, filters, 3, 1, f"{prefix}_conv2")
            if shortcut.shape[-1] != filters or strides != 1:
                shortcut = conv(shortcut, filters, 1, strides, f"{prefix}_shortcut")
            x = layers.Add(name=f"{prefix}_add")([shortcut, y])
    x = bn_leaky(x, "final")
    return keras.Model(inputs, x, name=f"wrn_{depth}_{widen_factor}_encoder")


def wide_resnet_decoder(
    input_shape: tuple[int, ...],
    depth: int = 28,
    widen_factor: int = 2,
    batch_norm_momentum: float = BATCH_NORM_MOMENTUM,
) -> keras.Model:
    """The mirror of `wide_resnet_encoder`: 64w -> 32w -> 16w filters, LeakyReLU 0.1."""
    _, momentum = _check_parameters(depth, widen_factor, batch_norm_momentum)
    shape = check_image_shape(input_shape, ARCHITECTURE, MIN_SIDE)
    widths = tuple(16 * widen_factor * 2**group for group in range(LEVELS))
    return mirrored_decoder(
        shape,
        widths[-1],
        widths,
        name=f"wrn_{depth}_{widen_factor}_decoder",
        activation="leaky_relu",
        batch_norm_momentum=momentum,
    )


__all__ = ["wide_resnet_blocks_per_group", "wide_resnet_decoder", "wide_resnet_encoder"]
