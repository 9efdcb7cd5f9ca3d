"""Steps per second of a consistency strategy (FixMatch by default) end to end, and where a step's
time goes: inside the compiled step or outside it (data feeding, Python, callbacks).

Issue 6's target: FixMatch with WRN-28-2, 64 labeled + 448 unlabeled images a step (960 images
through the network with the weak and strong views), >= 27 steps/s on one H100 with JAX, and less
than 10 % of the step time outside the compiled step.

Two fits of the same strategy on the same images, each after a warm-up that absorbs compilation:

1. **throughput**: plain `fit()`; steps/s from the wall time of the epochs after the first;
2. **breakdown**: the same, with a callback that waits for each step to finish (it reads the
   optimizer's step counter back to the host, which blocks until the device is done) and
   timestamps batch begin and end: *inside* = Keras's `train_function` call (fetching the
   one-float placeholder batch, dispatching the compiled step, and the device running it),
   *outside* = from one step's end to the next one's begin (Keras's loop and callbacks).
   Waiting removes the overlap of host and device work, so this fit is slower than the first;
   the gap between the two rates bounds what the host costs when it is not hidden. A device
   profile (`jax.profiler`) would separate dispatch from compute inside the call.

    KERAS_BACKEND=jax python benchmarks/consistency_throughput.py --encoder wrn28_2 \\
        --steps 400 --out benchmarks/results/consistency_throughput.jsonl

`--dataset random` (default) uses random 32x32x3 uint8 images (50,000: CIFAR-10's size, 10
classes, 4,000 labeled); `--dataset NAME --data-dir DIR` a real one with its seed split.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import keras
import numpy as np


class EpochClock(keras.callbacks.Callback):
    """Wall-clock time at the end of each epoch."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_train_begin(self, logs=None):
        self.times = [time.perf_counter()]

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter())


class StepSplit(keras.callbacks.Callback):
    """Per step: time inside (begin -> finished on the device) and outside (end -> next begin)."""

    def __init__(self, skip_steps: int):
        super().__init__()
        self.skip_steps = skip_steps
        self.inside, self.outside = [], []
        self._begin = self._end = None
        self._seen = 0

    def on_train_batch_begin(self, batch, logs=None):
        now = time.perf_counter()
        if self._end is not None and self._seen > self.skip_steps:
            self.outside.append(now - self._end)
        self._begin = now

    def on_train_batch_end(self, batch, logs=None):
        keras.ops.convert_to_numpy(self.model.optimizer.iterations)  # wait for the device
        self._end = time.perf_counter()
        self._seen += 1
        if self._seen > self.skip_steps:
            self.inside.append(self._end - self._begin)


def images(args):
    if args.dataset == "random":
        rng = np.random.default_rng(0)
        x = rng.integers(0, 256, size=(50_000, 32, 32, 3), dtype=np.uint8)
        y = np.full(50_000, -1)
        y[:4000] = np.arange(4000) % 10
        return x, y
    from semisup.data import load, seed_split

    dataset = load(args.dataset, data_dir=args.data_dir)
    return dataset.x_train, seed_split(len(dataset.y_train)).apply(dataset.y_train)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strategy", default="fixmatch")
    parser.add_argument("--encoder", default="wrn28_2")
    parser.add_argument("--dataset", default="random")
    parser.add_argument("--data-dir")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--mu", type=int, default=7)
    parser.add_argument("--steps", type=int, default=400, help="steps measured per fit")
    parser.add_argument("--epoch-steps", type=int, default=50, help="steps per Keras epoch")
    parser.add_argument("--steps-per-execution", type=int, default=1)
    parser.add_argument(
        "--precision", default="float32", help="the strategy's precision= (float32, mixed_bfloat16)"
    )
    parser.add_argument("--out", help="append the result as one JSON line")
    args = parser.parse_args()

    from semisup import strategies
    from semisup.provenance import provenance

    x, y = images(args)
    epochs = 1 + args.steps // args.epoch_steps  # the first epoch absorbs compilation
    common = dict(
        encoder=args.encoder,
        batch_size=args.batch_size,
        mu=args.mu,
        steps=epochs * args.epoch_steps,
        epochs=epochs,
        steps_per_execution=args.steps_per_execution,
        precision=args.precision,
        random_state=0,
    )
    result = {"args": vars(args), "images_per_step": args.batch_size * (1 + 2 * args.mu)}

    clock = EpochClock()
    started = time.perf_counter()
    strategies.get(args.strategy)(**common, callbacks=[clock]).fit(x, y)
    result["fit_seconds"] = time.perf_counter() - started
    measured = clock.times[-1] - clock.times[1]
    result["first_epoch_seconds"] = clock.times[1] - clock.times[0]
    result["steps_per_second"] = (epochs - 1) * args.epoch_steps / measured

    # Keras calls the batch callbacks once per compiled call, which runs steps_per_execution
    # steps: skip the first epoch's calls, then time whole calls and divide by the steps in one
    per_call = args.steps_per_execution
    split = StepSplit(skip_steps=-(-args.epoch_steps // per_call))
    strategies.get(args.strategy)(**common, callbacks=[split]).fit(x, y)
    inside, outside = float(np.median(split.inside)), float(np.median(split.outside))
    result.update(
        steps_per_call=per_call,
        synced_step_inside_s=inside / per_call,
        synced_step_outside_s=outside / per_call,
        outside_fraction=outside / (inside + outside),
        synced_steps_per_second=per_call / (inside + outside),
    )
    result["provenance"] = provenance()
    print(json.dumps({k: v for k, v in result.items() if k != "provenance"}, indent=2))
    if args.out:
        with Path(args.out).open("a") as handle:
            handle.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
