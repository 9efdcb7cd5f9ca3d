"""What each encoder costs per image: XLA's count of floating-point operations and memory traffic.

For each registered encoder and input shape, compiles the encoder's forward pass in inference
mode and a training step's forward and backward pass (the gradient of the mean output with
respect to the trainable weights, batch norms in training mode) with JAX, and reads the
compiled programs' `cost_analysis()` ("flops" and "bytes accessed"), divided by the batch. No
GPU is needed: the counts are the compiled program's, not a timing (XLA counts a multiply-add as
two; the bytes are what its operations read and write, summed over the program's fused
operations, so they depend on how the compiler fused them: a GPU's compiler may fuse
differently and count otherwise).

    KERAS_BACKEND=jax python benchmarks/encoder_flops.py \
        --out benchmarks/results/encoder_flops.jsonl

Operations are not time: an encoder of many thin layers (ResNet v2's 1x1 bottlenecks, DenseNet's
concatenations) can be bound by memory traffic and kernel launches more than by arithmetic, so
its step can take longer than that of a wider encoder with as many operations (docs/encoders.md,
"What each costs").
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from semisup import encoders  # noqa: E402
from semisup.bench.runner import append_row  # noqa: E402
from semisup.provenance import provenance  # noqa: E402

ENCODERS = ("conv4", "resnet_v1", "resnet_v2", "densenet_bc", "wrn28_2", "wrn28_8")
SHAPES = ("32x32x3", "48x48x1")


def parse_shape(text: str) -> tuple[int, int, int]:
    try:
        height, width, channels = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"input shape {text!r}: expected HEIGHTxWIDTHxCHANNELS, e.g. 48x48x1"
        ) from None
    return height, width, channels


def _costs(compiled) -> tuple[float, float]:
    """(flops, bytes accessed) of a compiled JAX program, from XLA's cost analysis."""
    analysis = compiled.cost_analysis()
    if isinstance(analysis, (list, tuple)):  # older JAX: one dict per device
        analysis = analysis[0]
    return float(analysis["flops"]), float(analysis["bytes accessed"])


def encoder_flops(name: str, input_shape: tuple[int, int, int], batch: int = 8) -> dict:
    """One row: the encoder's parameters and XLA's flops and bytes accessed per image,
    inference and training."""
    import jax
    import jax.numpy as jnp

    if keras.backend.backend() != "jax":
        raise RuntimeError(
            f"encoder_flops needs the JAX backend (XLA's cost analysis), got "
            f"{keras.backend.backend()!r}: run with KERAS_BACKEND=jax."
        )
    encoder = encoders.get(name).build(input_shape)
    trainable = [v.value for v in encoder.trainable_variables]
    fixed = [v.value for v in encoder.non_trainable_variables]
    x = jnp.zeros((batch, *input_shape), "float32")

    def infer(trainable, fixed, x):
        return encoder.stateless_call(trainable, fixed, x, training=False)[0]

    def train(trainable, fixed, x):
        def loss(trainable):
            outputs, updated = encoder.stateless_call(trainable, fixed, x, training=True)
            return jnp.mean(outputs), updated

        return jax.value_and_grad(loss, has_aux=True)(trainable)

    started = time.perf_counter()
    inference, inference_bytes = _costs(jax.jit(infer).lower(trainable, fixed, x).compile())
    training, training_bytes = _costs(jax.jit(train).lower(trainable, fixed, x).compile())
    return {
        "encoder": name,
        "input_shape": list(input_shape),
        "output_shape": list(encoder.output_shape[1:]),
        "params": int(encoder.count_params()),
        "trainable_params": int(sum(int(v.size) for v in trainable)),
        "batch": batch,
        "inference_flops_per_image": inference / batch,
        "training_flops_per_image": training / batch,
        "inference_bytes_per_image": inference_bytes / batch,
        "training_bytes_per_image": training_bytes / batch,
        "compile_seconds": time.perf_counter() - started,
        "provenance": provenance(),
    }


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", default=",".join(ENCODERS), help="comma-separated names")
    parser.add_argument(
        "--shapes", default=",".join(SHAPES), help="comma-separated HEIGHTxWIDTHxCHANNELS"
    )
    parser.add_argument("--batch", type=int, default=8, help="images per compiled call")
    parser.add_argument("--out", type=Path, help="append one JSON row per encoder and shape")
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error(f"--batch must be a positive integer, got {args.batch}")
    try:
        shapes = [parse_shape(text) for text in args.shapes.split(",")]
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    rows = []
    for shape in shapes:
        for name in args.encoders.split(","):
            row = encoder_flops(name.strip(), shape, args.batch)
            rows.append(row)
            if args.out is not None:
                append_row(args.out, row)
            print(
                f"{row['encoder']:>12} {'x'.join(map(str, shape)):>8}: "
                f"{row['params']:>11,} parameters, "
                f"{row['inference_flops_per_image'] / 1e6:>9,.1f} MFLOPs inference, "
                f"{row['training_flops_per_image'] / 1e6:>9,.1f} MFLOPs training "
                f"({row['training_bytes_per_image'] / 2**20:>7,.1f} MiB accessed), per image",
                flush=True,
            )
    return rows


if __name__ == "__main__":
    main()
