"""Shared encoders: one registry, one `get(name)`.

An encoder is any callable `input_shape -> keras.Model` that maps an image batch (N x H x W x C,
floats in [0, 1]) to a feature map (N x h x w x channels). Every strategy takes `encoder=` as a
registered name or such a callable, so a comparison measures the strategy and not the network.
Autoencoder strategies also need the matching decoder: a registered encoder carries one.

Example:
    >>> from semisup import encoders
    >>> encoder = encoders.get("conv4")((32, 32, 3))
    >>> encoder.output_shape
    (None, 4, 4, 128)
    >>> decoder = encoders.get("conv4").decoder((32, 32, 3))
    >>> decoder.output_shape
    (None, 32, 32, 3)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras

from semisup.encoders._conv4 import conv4_decoder, conv4_encoder

EncoderFunction = Callable[[tuple[int, ...]], keras.Model]


@dataclass(frozen=True)
class RegisteredEncoder:
    """A named encoder builder with its (optional) matching decoder builder.

    Calling it builds the encoder for an input shape; `decoder(input_shape)` builds a model that
    maps the encoder's feature map back to exactly `input_shape`.
    """

    name: str
    build: EncoderFunction
    build_decoder: EncoderFunction | None = None
    description: str = ""

    def __call__(self, input_shape: tuple[int, ...]) -> keras.Model:
        return self.build(tuple(input_shape))

    def decoder(self, input_shape: tuple[int, ...]) -> keras.Model:
        if self.build_decoder is None:
            raise ValueError(
                f"Encoder {self.name!r} has no registered decoder, so it cannot be used by an "
                "autoencoder strategy. Register one with semisup.encoders.register(name, encoder, "
                "decoder=...)."
            )
        return self.build_decoder(tuple(input_shape))


REGISTRY: dict[str, RegisteredEncoder] = {}


def register(
    name: str,
    encoder: EncoderFunction,
    decoder: EncoderFunction | None = None,
    description: str = "",
    overwrite: bool = False,
) -> RegisteredEncoder:
    """Register an encoder builder (and its decoder builder) under `name`.

    Args:
        name: the name strategies and the benchmark harness will accept as `encoder=name`.
        encoder: callable `input_shape -> keras.Model` returning a feature map.
        decoder: callable `input_shape -> keras.Model` mapping that feature map back to an image of
            `input_shape`; needed only by autoencoder strategies.
        description: one line shown by `semisup` listings.
        overwrite: replace an existing registration instead of raising.

    Returns:
        The registered entry.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"Encoder name must be a non-empty string, got {name!r}.")
    if not callable(encoder):
        raise TypeError(f"encoder must be callable (input_shape -> keras.Model), got {encoder!r}.")
    if decoder is not None and not callable(decoder):
        raise TypeError(f"decoder must be callable (input_shape -> keras.Model), got {decoder!r}.")
    if name in REGISTRY and not overwrite:
        raise ValueError(f"An encoder named {name!r} is already registered; pass overwrite=True.")
    entry = RegisteredEncoder(name, encoder, decoder, description)
    REGISTRY[name] = entry
    return entry


def get(name: str) -> RegisteredEncoder:
    """The registered encoder called `name`; an unknown name raises with the valid ones."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown encoder {name!r}. Registered encoders: {sorted(REGISTRY)}. "
            "You can also pass a callable input_shape -> keras.Model."
        ) from None


def resolve(encoder: str | EncoderFunction) -> RegisteredEncoder:
    """Turn a strategy's `encoder=` argument (a name or a callable) into a registry entry."""
    if isinstance(encoder, RegisteredEncoder):
        return encoder
    if isinstance(encoder, str):
        return get(encoder)
    if callable(encoder):
        decoder = getattr(encoder, "decoder", None)
        return RegisteredEncoder(getattr(encoder, "__name__", "custom"), encoder, decoder)
    raise TypeError(
        f"encoder must be a registered name ({sorted(REGISTRY)}) or a callable "
        f"input_shape -> keras.Model, got {type(encoder).__name__}."
    )


def build_encoder(encoder: str | EncoderFunction, input_shape: tuple[int, ...]) -> keras.Model:
    """Build `encoder` for `input_shape` and check that it returns a feature map (N x h x w x c)."""
    entry = resolve(encoder)
    model = entry(tuple(input_shape))
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"Encoder {entry.name!r} returned {type(model).__name__}, expected a keras.Model."
        )
    try:
        output_shape = model.output_shape
    except (AttributeError, ValueError):
        # a subclassed keras.Model has no static output shape until it is called
        try:
            output_shape = tuple(model.compute_output_shape((None, *input_shape)))
        except Exception:
            raise TypeError(
                f"Encoder {entry.name!r} returned a model whose output shape cannot be "
                "determined. Build encoders with the functional or Sequential API, or implement "
                "compute_output_shape."
            ) from None
    if not isinstance(output_shape, tuple) or len(output_shape) != 4:
        raise ValueError(
            f"Encoder {entry.name!r} must return a feature map of shape (batch, height, width, "
            f"channels), but its output shape is {output_shape}. Remove the flatten/dense layers "
            "from the encoder: the strategies add their own heads."
        )
    return model


register(
    "conv4",
    conv4_encoder,
    conv4_decoder,
    description="Seed 001's network: Conv 16-32, pool, Conv 64, pool, Conv 128 (3x3, ReLU).",
)

__all__ = ["REGISTRY", "RegisteredEncoder", "build_encoder", "get", "register", "resolve"]
