"""Shared encoders: one registry, one `get(name)`.

An encoder is any callable `input_shape -> keras.Model` that maps an image batch (N x H x W x C,
floats in [0, 1]) to a feature map (N x h x w x channels). Every strategy takes `encoder=` as a
registered name or such a callable, so a comparison measures the strategy and not the network.
Autoencoder strategies also need the matching decoder: a registered encoder carries one.

Registered: `conv4` (seed 001's network, the default), `resnet_v1` (aliases `resnet20` ...
`resnet110`), `resnet_v2` (`resnet56v2`, `resnet110v2`, `resnet164v2`), `densenet_bc` and
`wide_resnet` (`wrn28_2`, `wrn28_8`); other depths and widths through `with_parameters`, e.g.
`get("densenet_bc").with_parameters(compression=0.3)`. See docs/encoders.md.

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

import dataclasses
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass

import keras

from semisup._specs import parse_spec
from semisup.encoders._batch_norm import BiasCorrectedBatchNormalization
from semisup.encoders._conv4 import conv4_decoder, conv4_encoder
from semisup.encoders.densenet import densenet_bc_decoder, densenet_bc_encoder
from semisup.encoders.resnet import (
    resnet_v1_decoder,
    resnet_v1_encoder,
    resnet_v2_decoder,
    resnet_v2_encoder,
)
from semisup.encoders.wide_resnet import wide_resnet_decoder, wide_resnet_encoder

EncoderFunction = Callable[[tuple[int, ...]], keras.Model]

#: How a classification head can pool an encoder's feature map before its dense layer: `"max"`,
#: seed 001's 2x2 max-pool then flatten; `"global_average"`, the ResNet / DenseNet / WRN
#: papers' global average pool, which keeps the head small on large maps.
POOLINGS = ("max", "global_average")


@dataclass(frozen=True)
class RegisteredEncoder:
    """A named encoder builder with its (optional) matching decoder builder.

    Calling it builds the encoder for an input shape; `decoder(input_shape)` builds a model that
    maps the encoder's feature map back to exactly `input_shape`. `preferred_pooling` (one of
    `POOLINGS`) says how the architecture itself pools its feature map before a classifier; it
    is a hint for heads, which do not read it yet. `with_parameters(...)` gives the same
    architecture with other builder keywords (e.g. `get("resnet_v1").with_parameters(depth=56)`).
    """

    name: str
    build: EncoderFunction
    build_decoder: EncoderFunction | None = None
    description: str = ""
    preferred_pooling: str = "max"

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

    def __deepcopy__(self, memo) -> RegisteredEncoder:
        # Immutable: scikit-learn's clone() deep-copies parameters, and a copy of the partials
        # made by with_parameters would no longer compare equal to the original.
        return self

    def with_parameters(self, **parameters) -> RegisteredEncoder:
        """This encoder (and decoder) built with other keyword parameters.

        The result is accepted wherever a registered name is (`encoder=` of every strategy and
        of `DeepSVDDFilter`); it is named after the parameters, e.g. `"resnet_v1(depth=56)"`.
        Values are checked when the encoder is built.

        Args:
            **parameters: keywords of the builder function, e.g. `depth=56`.

        Returns:
            A new, unregistered `RegisteredEncoder` (pass it to `register` to name it).

        Example:
            >>> from semisup import encoders
            >>> tiny = encoders.get("resnet_v1").with_parameters(depth=8)
            >>> tiny.name, tiny((32, 32, 3)).output_shape
            ('resnet_v1(depth=8)', (None, 8, 8, 64))
        """
        accepted = [
            p.name
            for p in list(inspect.signature(self.build).parameters.values())[1:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        ]
        unknown = sorted(set(parameters) - set(accepted))
        if unknown:
            raise TypeError(
                f"Encoder {self.name!r} has no parameter(s) {unknown}; its parameters are "
                f"{accepted}."
            )
        arguments = ", ".join(f"{key}={value!r}" for key, value in parameters.items())
        return dataclasses.replace(
            self,
            name=f"{self.name}({arguments})",
            build=functools.partial(self.build, **parameters),
            build_decoder=None
            if self.build_decoder is None
            else functools.partial(self.build_decoder, **parameters),
        )


REGISTRY: dict[str, RegisteredEncoder] = {}


def register(
    name: str,
    encoder: EncoderFunction,
    decoder: EncoderFunction | None = None,
    description: str = "",
    overwrite: bool = False,
    preferred_pooling: str = "max",
) -> RegisteredEncoder:
    """Register an encoder builder (and its decoder builder) under `name`.

    Args:
        name: the name strategies and the benchmark harness will accept as `encoder=name`.
        encoder: callable `input_shape -> keras.Model` returning a feature map.
        decoder: callable `input_shape -> keras.Model` mapping that feature map back to an image of
            `input_shape`; needed only by autoencoder strategies.
        description: one line shown by `semisup` listings.
        overwrite: replace an existing registration instead of raising.
        preferred_pooling: how the architecture pools its feature map before a classifier, one
            of `POOLINGS` (a hint for heads).

    Returns:
        The registered entry.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"Encoder name must be a non-empty string, got {name!r}.")
    if not callable(encoder):
        raise TypeError(f"encoder must be callable (input_shape -> keras.Model), got {encoder!r}.")
    if decoder is not None and not callable(decoder):
        raise TypeError(f"decoder must be callable (input_shape -> keras.Model), got {decoder!r}.")
    if preferred_pooling not in POOLINGS:
        raise ValueError(f"preferred_pooling must be one of {POOLINGS}, got {preferred_pooling!r}.")
    if name in REGISTRY and not overwrite:
        raise ValueError(f"An encoder named {name!r} is already registered; pass overwrite=True.")
    entry = RegisteredEncoder(name, encoder, decoder, description, preferred_pooling)
    REGISTRY[name] = entry
    return entry


def get(name: str) -> RegisteredEncoder:
    """The registered encoder called `name`; an unknown name raises with the valid ones.

    `name` can carry builder parameters in brackets, `"NAME[param=value, ...]"`: that is
    `get(NAME).with_parameters(param=value, ...)`, written where only a string fits (a strategy's
    `encoder=`, the benchmark harness's `encoder` setting, `--encoder`). Values are read as JSON
    where they parse (numbers, true/false), else as strings.

    Example:
        >>> from semisup import encoders
        >>> wide = encoders.get("wide_resnet[depth=10, widen_factor=4]")
        >>> wide.name, wide((32, 32, 3)).output_shape
        ('wide_resnet(depth=10, widen_factor=4)', (None, 8, 8, 256))
    """
    base, parameters = name, {}
    if isinstance(name, str) and "[" in name:
        base, parameters = parse_spec(name, "Encoder", "wide_resnet[widen_factor=4]")
    try:
        entry = REGISTRY[base]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown encoder {base!r}. Registered encoders: {sorted(REGISTRY)}. "
            "Parameters go in brackets after a registered name, e.g. "
            "'wide_resnet[widen_factor=4]'; you can also pass a callable "
            "input_shape -> keras.Model."
        ) from None
    if not parameters:
        return entry
    try:
        return entry.with_parameters(**parameters)
    except TypeError as error:
        raise ValueError(f"Encoder {name!r}: {error}") from None


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


def _register_family(name, encoder, decoder, description, aliases):
    """`name` with the builders' defaults, plus one alias per fixed set of parameters."""
    register(name, encoder, decoder, description, preferred_pooling="global_average")
    for alias, parameters in aliases.items():
        settings = ", ".join(f"{key}={value}" for key, value in parameters.items())
        register(
            alias,
            functools.partial(encoder, **parameters),
            functools.partial(decoder, **parameters),
            f"{name} with {settings}.",
            preferred_pooling="global_average",
        )


_register_family(
    "resnet_v1",
    resnet_v1_encoder,
    resnet_v1_decoder,
    "ResNet v1 (He et al. 2016, CIFAR layout), basic blocks 16-32-64, depth=6n+2 (default 20).",
    {f"resnet{depth}": {"depth": depth} for depth in (20, 32, 44, 56, 110)},
)
_register_family(
    "resnet_v2",
    resnet_v2_encoder,
    resnet_v2_decoder,
    "ResNet v2 (pre-activation bottlenecks, 16-64-128-256), depth=9n+2 (default 56).",
    {f"resnet{depth}v2": {"depth": depth} for depth in (56, 110, 164)},
)
_register_family(
    "densenet_bc",
    densenet_bc_encoder,
    densenet_bc_decoder,
    "DenseNet-BC (Huang et al. 2017), depth=6n+4 (default 100), growth_rate=12, compression=0.5.",
    {},
)
_register_family(
    "wide_resnet",
    wide_resnet_encoder,
    wide_resnet_decoder,
    "Wide ResNet (FixMatch's layout), depth=6n+4 (default 28), widen_factor (default 2).",
    {"wrn28_2": {"depth": 28, "widen_factor": 2}, "wrn28_8": {"depth": 28, "widen_factor": 8}},
)

__all__ = [
    "POOLINGS",
    "BiasCorrectedBatchNormalization",
    "REGISTRY",
    "RegisteredEncoder",
    "build_encoder",
    "get",
    "register",
    "resolve",
]
