"""Short fits and the averaged weights the consistency methods evaluate: Keras's moving average
against the bias-corrected one.

The consistency strategies predict with a moving average of the weights (`ema_decay`). Keras's
keeps the first step's weights, nearly the initial ones, at weight `decay^(t-1)` after t steps;
`semisup` corrects that (`semisup.strategies._consistency.BiasCorrectedWeightAverage`), so the
average is that of the weights the run went through. This fits FixMatch on the embedded digits'
seed split (conv4, 200 steps of 32 labeled + 96 unlabeled images, no mirroring: the settings of
docs/strategies.md's example) at several decays, once as `semisup` does and once with Keras's
average, and without an average (`ema_decay=None`: the raw weights, the same run's since the
average does not touch training), and prints the test accuracy of each (one JSON row per fit,
with provenance).

    python benchmarks/weight_average_short_runs.py --seeds 0,1,2 \
        --out benchmarks/results/weight_average_short_runs.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from semisup.bench.runner import append_row  # noqa: E402
from semisup.data import load, seed_split  # noqa: E402
from semisup.provenance import provenance  # noqa: E402
from semisup.strategies import (
    FixMatch,  # noqa: E402
    _consistency,  # noqa: E402
)

CORRECTED = _consistency.with_bias_corrected_weight_average


def fit(decay, corrected, seed, steps, x, y, x_test, y_test):
    """One FixMatch fit: the test accuracy of the weights it predicts with."""
    _consistency.with_bias_corrected_weight_average = CORRECTED if corrected else (lambda o: o)
    try:
        start = time.perf_counter()
        model = FixMatch(
            steps=steps,
            epochs=4,
            batch_size=32,
            mu=3,
            ema_decay=decay,
            horizontal_flip=False,
            random_state=seed,
            steps_per_execution=10,
        ).fit(x, y)
        seconds = time.perf_counter() - start
    finally:
        _consistency.with_bias_corrected_weight_average = CORRECTED
    return {"accuracy": float(model.score(x_test, y_test)), "fit_seconds": round(seconds, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--decays", default="0.99,0.999")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    ds = load("digits")
    for seed in [int(s) for s in args.seeds.split(",")]:
        y = seed_split(len(ds.y_train)).apply(ds.y_train)
        arms = [(None, True)] + [
            (float(decay), corrected)
            for decay in args.decays.split(",")
            for corrected in (False, True)
        ]
        for decay, corrected in arms:
            row = {
                "strategy": "fixmatch",
                "ema_decay": decay,
                "average": "none"
                if decay is None
                else ("bias-corrected" if corrected else "keras"),
                "steps": args.steps,
                "seed": seed,
                **fit(decay, corrected, seed, args.steps, ds.x_train, y, ds.x_test, ds.y_test),
                "provenance": provenance(),
            }
            print(json.dumps(row), flush=True)
            if args.out:
                append_row(Path(args.out), row)


if __name__ == "__main__":
    main()
