"""How much of a seed-sized fit is host overhead: Keras `steps_per_execution` 1 vs more.

Seed 001's network at batch 128 takes a few milliseconds a step on a large GPU, so the Python
and dispatch work around each step can dominate. This fits the supervised baseline on random
images of FER2013's seed-split size (5,824 x 48 x 48 x 1, 7 classes) for a few epochs with
several `steps_per_execution` values and prints the seconds per epoch (after one warm-up epoch).

    KERAS_BACKEND=jax python benchmarks/steps_per_execution.py --epochs 10
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import keras
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from semisup.provenance import provenance  # noqa: E402
from semisup.strategies import Supervised  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = getattr(self, "seconds", []) + [time.perf_counter() - self.started]


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--steps", default="1,8,32")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(5824, 48, 48, 1), dtype=np.uint8)
    y = rng.integers(0, 7, size=5824)
    results = []
    for steps in [int(s) for s in args.steps.split(",")]:

        class Timed(Supervised):
            def _compile_classifier(self, model, steps=steps):
                super()._compile_classifier(model)
                model.compile(
                    optimizer=model.optimizer,
                    loss=model.loss,
                    metrics=["accuracy"],
                    jit_compile="auto",
                    steps_per_execution=steps,
                )
                return model

        timer = EpochTimer()
        started = time.perf_counter()
        Timed(epochs=args.epochs + 1, callbacks=[timer], random_state=0).fit(x, y)
        total = time.perf_counter() - started
        per_epoch = float(np.median(timer.seconds[1:]))
        results.append(
            {
                "steps_per_execution": steps,
                "seconds_per_epoch": round(per_epoch, 4),
                "images_per_second": round(len(x) / per_epoch),
                "fit_seconds": round(total, 2),
            }
        )
        print(json.dumps(results[-1]), flush=True)
    print(json.dumps({"provenance": provenance(), "results": results}))


if __name__ == "__main__":
    main()
