"""Short fits and batch-norm moving statistics: Keras's update against the bias-corrected one.

Prediction uses the batch norms' moving statistics, which Keras starts at mean 0 and variance 1
and moves by `1 - momentum` a step; `semisup`'s encoders correct that start away
(`semisup.encoders.BiasCorrectedBatchNormalization`). This fits `Supervised` on the embedded
digits' seed split (266 labeled images, batch 128: 3 steps an epoch, Adam 1e-3) for a few epochs
with the smallest network of each family at several momenta, once with the encoders as they are
and once with every batch norm switched back to Keras's update, and prints the test accuracy of
each (one JSON row per fit, with provenance).

    python benchmarks/batch_norm_short_runs.py --epochs 30 \
        --out benchmarks/results/batch_norm_short_runs.jsonl

The uncorrected networks are the same registry entries (same head pooling) whose builder sets
`bias_correction = False` on every batch norm it made.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import keras
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from semisup import encoders  # noqa: E402
from semisup.bench.runner import append_row  # noqa: E402
from semisup.data import load, seed_split  # noqa: E402
from semisup.encoders import BiasCorrectedBatchNormalization  # noqa: E402
from semisup.provenance import provenance  # noqa: E402
from semisup.strategies import Supervised  # noqa: E402

TINY = {
    "resnet_v1": {"depth": 8},
    "densenet_bc": {"depth": 10},
    "wide_resnet": {"depth": 10, "widen_factor": 1},
}


def without_correction(entry):
    """`entry`'s encoder with Keras's own moving-statistics update in every batch norm."""

    def build(input_shape):
        model = entry.build(tuple(input_shape))
        norms = [
            layer
            for layer in model._flatten_layers()
            if isinstance(layer, BiasCorrectedBatchNormalization)
        ]
        for layer in norms:
            layer.bias_correction = False
        return model

    # the same registry entry otherwise: its head pools as the architecture prefers
    return dataclasses.replace(entry, name=f"{entry.name}, uncorrected", build=build)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--momenta", default="0.999,0.99,0.9")
    parser.add_argument("--families", default=",".join(TINY))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="append one JSON row per fit to this file")
    args = parser.parse_args(argv)
    data = load("digits")
    y = seed_split(len(data.y_train)).apply(data.y_train)
    rows = []
    for family in args.families.split(","):
        for momentum in [float(value) for value in args.momenta.split(",")]:
            entry = encoders.get(family).with_parameters(
                **TINY[family], batch_norm_momentum=momentum
            )
            for corrected in (False, True):
                keras.utils.set_random_seed(args.seed)
                strategy = Supervised(
                    encoder=entry if corrected else without_correction(entry),
                    epochs=args.epochs,
                    random_state=args.seed,
                    verbose=0,
                )
                started = time.perf_counter()
                strategy.fit(data.x_train, y)
                row = {
                    "encoder": entry.name,
                    "momentum": momentum,
                    "bias_correction": corrected,
                    "epochs": args.epochs,
                    "steps": args.epochs * int(np.ceil((y >= 0).sum() / strategy.batch_size)),
                    "accuracy": float(strategy.score(data.x_test, data.y_test)),
                    "fit_s": round(time.perf_counter() - started, 2),
                    "seed": args.seed,
                    "provenance": provenance(),
                }
                rows.append(row)
                print(
                    f"{entry.name:40s} momentum {momentum:<6} "
                    f"{'corrected' if corrected else 'keras    '} accuracy {row['accuracy']:.3f}",
                    flush=True,
                )
                if args.out:
                    append_row(Path(args.out), row)
    return rows


if __name__ == "__main__":
    main()
