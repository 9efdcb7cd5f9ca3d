"""DenseNet-BC for small images (Huang et al., "Densely Connected Convolutional Networks", 2017).

A 3x3 stem with 2k filters (k: the growth rate), then dense blocks of n bottleneck layers
(BN-ReLU-conv 1x1 with 4k filters, BN-ReLU-conv 3x3 with k filters, the k new maps concatenated
to the block's input), joined by transitions (BN-ReLU-conv 1x1 keeping a fraction `compression`
of the channels, 2x2 average pool), and a final BN-ReLU. Counting the stem, the transitions and
the classifier's dense layer as one layer each, depth = 2 * blocks * n + blocks + 1: 6n + 4 with
the paper's three blocks (DenseNet-BC-100: n = 16).

Seed 002 trained depth 100, growth 12 on FER2013 with compressions 0.3, 0.5 and 0.7.
"""

from __future__ import annotations

import keras
from keras import layers

from semisup.encoders.resnet import (
    MOMENTUM_REFERENCE,
    batch_norm,
    check_image_shape,
    check_momentum,
    check_positive_integer,
    mirrored_decoder,
)

ARCHITECTURE = "densenet_bc"


def densenet_layers_per_block(depth: int, dense_blocks: int = 3) -> int:
    """n, the bottleneck layers per dense block of a DenseNet-BC of `depth`.

    Example:
        >>> densenet_layers_per_block(100), densenet_layers_per_block(101, dense_blocks=4)
        (16, 12)
    """
    check_positive_integer(dense_blocks, "dense_blocks", "DenseNet-BC")
    step, offset = 2 * dense_blocks, dense_blocks + 1
    if (
        not isinstance(depth, int)
        or isinstance(depth, bool)
        or depth < step + offset
        or (depth - offset) % step
    ):
        examples = ", ".join(str(step * n + offset) for n in (1, 6, 16, 31, 41))
        raise ValueError(
            f"DenseNet-BC depth with {dense_blocks} dense blocks must be {step}n+{offset} "
            f"({examples}), got {depth!r}."
        )
    return (depth - offset) // step


def _check_parameters(depth, growth_rate, compression, dense_blocks) -> int:
    layers_per_block = densenet_layers_per_block(depth, dense_blocks)
    check_positive_integer(growth_rate, "growth_rate", "DenseNet-BC")
    if (
        not isinstance(compression, (int, float))
        or isinstance(compression, bool)
        or not 0 < compression <= 1
    ):
        raise ValueError(
            "DenseNet-BC compression must be a number in (0, 1] (the fraction of channels a "
            f"transition keeps; the paper: 0.5), got {compression!r}."
        )
    return layers_per_block


def _min_side(dense_blocks: int) -> int:
    # every transition halves the side; keep a feature map of at least 4 x 4
    return 4 * 2 ** (dense_blocks - 1)


def _block_input_channels(growth_rate, compression, dense_blocks, layers_per_block) -> list[int]:
    """Channels entering each dense block, then the channels of the final feature map."""
    channels = [2 * growth_rate]
    for block in range(dense_blocks):
        grown = channels[-1] + layers_per_block * growth_rate
        last = block == dense_blocks - 1
        channels.append(grown if last else int(grown * compression))
    return channels


def densenet_bc_encoder(
    input_shape: tuple[int, ...],
    depth: int = 100,
    growth_rate: int = 12,
    compression: float = 0.5,
    dense_blocks: int = 3,
    batch_norm_momentum: float = 0.99,
) -> keras.Model:
    """DenseNet-BC (Huang et al. 2017, CIFAR layout) without its pooling and output layer.

    Args:
        input_shape: (height, width, channels); sides of at least 4 * 2^(dense_blocks - 1) px
            (16 with three blocks).
        depth: 2 * dense_blocks * n + dense_blocks + 1; with three blocks 6n + 4: 40, 100, 190,
            250, or 10 for a tiny test network.
        growth_rate: k, the channels each bottleneck layer adds (the paper: 12, 24, 40).
        compression: theta, the fraction of channels a transition keeps, in (0, 1].
        dense_blocks: number of dense blocks (the paper: 3 for CIFAR; seed 002 used 4).
        batch_norm_momentum: the batch norms' momentum (Keras's default, 0.99). The moving
            statistics are bias-corrected (`BiasCorrectedBatchNormalization`) but still average
            over ~1 / (1 - momentum) steps: for a fit of a few hundred steps, 0.9
            (docs/encoders.md).

    Returns:
        A `keras.Model` from images to a feature map after the final BN-ReLU, at
        1 / 2^(dense_blocks - 1) of the input side (8 x 8 x 342 for DenseNet-BC-100, k = 12 on
        32 x 32 inputs).

    Example:
        >>> densenet_bc_encoder((32, 32, 3), depth=10, growth_rate=4).output_shape
        (None, 8, 8, 9)
    """
    layers_per_block = _check_parameters(depth, growth_rate, compression, dense_blocks)
    momentum = check_momentum(batch_norm_momentum, "DenseNet-BC", MOMENTUM_REFERENCE)
    check_image_shape(input_shape, ARCHITECTURE, _min_side(dense_blocks))
    widths = _block_input_channels(growth_rate, compression, dense_blocks, layers_per_block)

    def bn_relu_conv(x, filters, kernel_size, prefix):
        x = batch_norm(x, momentum, f"{prefix}_bn")
        x = layers.Activation("relu", name=f"{prefix}_relu")(x)
        return layers.Conv2D(
            filters,
            kernel_size,
            padding="same",
            use_bias=False,
            kernel_initializer="he_normal",
            name=f"{prefix}_conv",
        )(x)

    inputs = keras.Input(shape=tuple(input_shape), name="images")
    x = layers.Conv2D(
        widths[0], 3, padding="same", use_bias=False, kernel_initializer="he_normal", name="stem"
    )(inputs)
    for block in range(dense_blocks):
        for index in range(layers_per_block):
            prefix = f"block{block + 1}_layer{index + 1}"
            y = bn_relu_conv(x, 4 * growth_rate, 1, f"{prefix}_1x1")
            y = bn_relu_conv(y, growth_rate, 3, f"{prefix}_3x3")
            x = layers.Concatenate(name=f"{prefix}_concat")([x, y])
        if block < dense_blocks - 1:
            prefix = f"transition{block + 1}"
            x = bn_relu_conv(x, widths[block + 1], 1, prefix)
            x = layers.AveragePooling2D(2, padding="same", name=f"{prefix}_pool")(x)
    x = batch_norm(x, momentum, "final_bn")
    x = layers.Activation("relu", name="final_relu")(x)
    return keras.Model(inputs, x, name=f"densenet_bc{depth}_k{growth_rate}_encoder")


def densenet_bc_decoder(
    input_shape: tuple[int, ...],
    depth: int = 100,
    growth_rate: int = 12,
    compression: float = 0.5,
    dense_blocks: int = 3,
    batch_norm_momentum: float = 0.99,
) -> keras.Model:
    """The mirror of `densenet_bc_encoder`: at each level, the width that entered its dense block.

    For DenseNet-BC-100, k = 12: 342 channels at 8 x 8 -> 150 -> 108 at 16 x 16 -> 24 at
    32 x 32 -> the image.
    """
    layers_per_block = _check_parameters(depth, growth_rate, compression, dense_blocks)
    momentum = check_momentum(batch_norm_momentum, "DenseNet-BC", MOMENTUM_REFERENCE)
    shape = check_image_shape(input_shape, ARCHITECTURE, _min_side(dense_blocks))
    widths = _block_input_channels(growth_rate, compression, dense_blocks, layers_per_block)
    return mirrored_decoder(
        shape,
        widths[-1],
        widths[:-1],
        name=f"densenet_bc{depth}_k{growth_rate}_decoder",
        batch_norm_momentum=momentum,
    )


__all__ = ["densenet_bc_decoder", "densenet_bc_encoder", "densenet_layers_per_block"]
