"""Where the step time of every strategy goes: inside the compiled step or outside it (data
feeding, Python, callbacks), phase by phase, with the harness's own parameters.

Issue 6's target: no strategy spends more than 10 % of its step time outside the compiled step.
`consistency_throughput.py` measures that for the consistency strategies (FixMatch etc.) alone;
this script does it for every registered strategy (or those named by `--strategies`).

Each strategy is built as the benchmark harness builds it for `--preset` (`seed` or `ssl`:
`BenchConfig.strategy_params`, steps_per_execution=32 in both, the preset's encoder, seed 0, no
filter, no early stopping). How long it trains (`--lengths`):

- `preset` (the default): the epoch lengths of the harness's real runs, since the time spent at
  each epoch boundary is a fixed cost per epoch and its share depends on the steps an epoch
  has. Epoch-based strategies keep the preset's epochs for every phase (pretraining included;
  under `seed` the class defaults: e.g. 100 epochs of the supervised fit, 50 of autoencoder
  pretraining) and its self-training rounds (`--rounds` overrides). The consistency strategies
  keep the preset's steps per epoch (`ssl`: 30,000 steps in 30 epochs, 1,000 an epoch) but run
  at most `--epochs` of those epochs (default 5): the boundary cost per epoch does not change
  with the number of epochs, and their step counts (learning-rate schedule, ramp-up) do not
  change the step time. The `seed` preset does not run them and sets no length for them (their
  classes have none either: `steps` or `images` must be given), so under `seed` they take the
  `ssl` preset's length, the only one the harness runs them with; their other parameters (the
  encoder, ...) stay `seed`'s.
- `short`: shortened runs: epoch-based strategies train `--epochs` epochs a phase (default 3;
  pretraining included: `pretrain_epochs`), self-training one round; the consistency strategies
  `--steps` steps (default 384) in `--consistency-epochs` Keras epochs (default 6).

`--param NAME=VALUE` is applied last and wins over both. Each JSON line records the lengths used
(`lengths`: the mode and where they came from; for the epoch-based strategies the epochs of each
phase and the rounds, `phase_epochs`; for the consistency strategies the preset's steps and
epochs, the steps per epoch and the epochs run). The images are random uint8 ones shaped like
`--dataset`'s (FER2013: 28,709 48x48x1 images in 7 classes, 5,824 labeled as in the seed split;
CIFAR-10: 50,000 32x32x3 in 10 classes, 10,080 labeled); the step time does not depend on the
pixels. The harness also checkpoints its runs (`enable_checkpoints`: the training state is
saved at the end of an epoch once `checkpoint_every_s` seconds have passed since the last save,
default 60, and at each phase's end; every epoch gets a line in `epochs.jsonl`); `--checkpoints`
does the same into a temporary folder, so that cost is measured too (it falls at epoch ends),
with `--checkpoint-every` seconds between saves (default: the harness's; 0: every epoch, as the
harness did up to commit 881be8a).

One callback goes to all of a strategy's Keras fits (the strategies pass `callbacks` to every
phase); each fit (`on_train_begin`) opens a new phase. Keras calls the batch callbacks once per
compiled call, which runs `steps_per_execution` steps (fewer at the end of an epoch). At each
call's end the callback waits for the device (Keras converts the call's logs to Python floats
before a callback that has `on_train_batch_end` sees them, which blocks until the call is done;
with no logs it reads the optimizer's step counter back) and timestamps:

- *inside* = batch begin -> call finished on the device: Keras's `train_function` (under JAX it
  dispatches the call's steps one by one from Python and moves their batches to the device,
  under TensorFlow one compiled loop runs them all) and the device computing them;
- *outside* = one call's end -> the next call's begin: Keras's loop, fetching and slicing the
  next batches on the host (epoch-based strategies; the consistency strategies' images live on
  the device and Keras is fed a one-float placeholder), callbacks, and at an epoch boundary the
  epoch's end and the next one's start (under JAX: the state written back to the variables, the
  metrics' results and reset, a new data iterator; checkpoints).

Each phase's first epoch (compilation) is skipped. A one-time cost is reported apart
(`one_time_s`): the gap before the first measured epoch's first call in excess of the median
gap before the later epochs' first calls (0 with fewer than two measured epochs). Under JAX the
first fit of a process pays ~0.1-0.2 s there (0.17 s on the H200, 0.1 s on a CPU): JAX compiles
each eager operation the first time it meets it (cached for the process), and the metrics'
`result()` (`divide_no_nan`) at the end of the first epoch is the first such work; the
strategies measured after it in the same process do not pay it again. Reported per
phase: calls measured, steps per call, median inside and outside per step, the outside
fraction (sum(outside) - one_time) / (sum(inside + outside) - one_time) (and the same from the
medians; with the one-time cost included: `outside_fraction_with_one_time`), how much of the
outside time fell at epoch starts (the gap before an epoch's first call; without the one-time
cost), and the one-time cost; per strategy the fraction over all its phases, weighted by time.
The JSON line holds every call's timings as well. Waiting removes the overlap of host and device
work, so these fits run slower than unsynced ones; `--throughput` adds a plain fit of each
strategy (no per-call callback, so Keras's callbacks run asynchronously) for its steps/s per
phase.

    KERAS_BACKEND=jax python benchmarks/step_breakdown.py --preset seed --dataset fer2013 \\
        --out benchmarks/results/step_breakdown.jsonl

A smoke run on a CPU: `python3 benchmarks/step_breakdown.py --lengths short --strategies
supervised,fixmatch --encoder conv4 --epochs 2 --steps 64 --n-images 2000`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from pathlib import Path

import keras
import numpy as np

#: image shape, classes, training images, labeled images of the seed split
DATASETS = {
    "fer2013": ((48, 48, 1), 7, 28_709, 5_824),
    "cifar10-jpeg": ((32, 32, 3), 10, 50_000, 10_080),
}

#: the preset whose training length the consistency strategies take under a preset that sets
#: none for them (`seed` does not run them): the only length the harness runs them with
CONSISTENCY_LENGTH_PRESET = "ssl"
LENGTH_KEYS = ("steps", "images", "epochs")
#: `--lengths`' defaults: short runs, and the most epochs of a consistency strategy under preset
SHORT_DEFAULTS = {"epochs": 3, "rounds": 1, "steps": 384, "consistency_epochs": 6}
PRESET_CONSISTENCY_EPOCHS = 5


class PhaseSplit(keras.callbacks.Callback):
    """Per Keras fit (phase) and compiled call: steps, inside and outside time, device-synced."""

    def __init__(self):
        super().__init__()
        self.phases = []
        self._epoch = 0
        self._begin = self._end = None
        self._outside = None
        self._first_step = 0
        self._started = None

    def on_train_begin(self, logs=None):
        self.phases.append(
            {
                "steps_per_epoch": self.params.get("steps"),
                "epochs": self.params.get("epochs"),
                "calls": [],  # [epoch, first step, steps, inside s, outside s or None]
            }
        )
        self._begin = self._end = None
        self._started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = int(epoch)

    def on_train_batch_begin(self, batch, logs=None):
        now = time.perf_counter()
        self._outside = None if self._end is None else now - self._end
        self._first_step = int(batch)
        self._begin = now

    def on_train_batch_end(self, batch, logs=None):
        if not logs:  # Keras's floats of the logs already waited for the device
            keras.ops.convert_to_numpy(self.model.optimizer.iterations)
        self._end = time.perf_counter()
        last = int(batch)
        per_epoch = self.params.get("steps")
        if per_epoch:  # the last call of an epoch runs only the steps that are left
            last = min(last, int(per_epoch) - 1)
        steps = last - self._first_step + 1
        self.phases[-1]["calls"].append(
            [self._epoch, self._first_step, steps, self._end - self._begin, self._outside]
        )

    def on_train_end(self, logs=None):
        self.phases[-1]["fit_seconds"] = time.perf_counter() - self._started
        self._begin = self._end = None


class PhaseClock(keras.callbacks.Callback):
    """Per phase: wall time at the start and at each epoch's end, and steps per epoch."""

    def __init__(self):
        super().__init__()
        self.phases = []

    def on_train_begin(self, logs=None):
        self.phases.append({"steps_per_epoch": self.params.get("steps"), "times": []})
        self.phases[-1]["times"].append(time.perf_counter())

    def on_epoch_end(self, epoch, logs=None):
        self.phases[-1]["times"].append(time.perf_counter())


def random_images(dataset: str, n_images: int | None = None, seed: int = 0):
    """Random uint8 images shaped like `dataset`'s, labeled like its seed split (-1 unlabeled).

    `n_images` shrinks the set, keeping the labeled fraction (for smoke runs)."""
    shape, n_classes, total, labeled = DATASETS[dataset]
    if n_images is not None and n_images < total:
        labeled = max(2 * n_classes, round(labeled * n_images / total))
        total = n_images
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(total, *shape), dtype=np.uint8)
    y = np.full(total, -1, dtype=np.int64)
    y[rng.permutation(total)[:labeled]] = np.arange(labeled) % n_classes
    return x, y


def consistency_length(name: str, cls, params: dict, config, args) -> tuple[dict, dict]:
    """`--lengths preset` for a consistency strategy: the preset's steps per epoch, at most
    `args.epochs` epochs. Returns the length parameters and their record for the JSON line."""
    from semisup.bench import BenchConfig

    source, length = config.preset, {k: params[k] for k in LENGTH_KEYS if k in params}
    if length.get("steps") is None and length.get("images") is None:
        source = CONSISTENCY_LENGTH_PRESET
        borrowed = BenchConfig.from_sources(preset=source).strategy_params(name)
        length = {k: borrowed[k] for k in LENGTH_KEYS if k in borrowed}
    if length.get("steps") is None and length.get("images") is None:
        raise ValueError(f"neither preset {config.preset!r} nor {source!r} sets {name}'s length")
    preset = cls(**{**params, **length})._training_length()  # steps per epoch as fit() makes it
    epochs = min(preset["epochs"], args.epochs)
    record = {
        "source": f"preset {source}"
        + ("" if source == config.preset else f" (preset {config.preset} sets none)"),
        "preset_steps": preset["steps"],
        "preset_epochs": preset["epochs"],
        "steps_per_epoch": preset["steps_per_epoch"],
        "epochs": epochs,
    }
    return {"steps": epochs * preset["steps_per_epoch"], "images": None, "epochs": epochs}, record


def strategy_params(name: str, config, args) -> tuple[dict, dict]:
    """The harness's parameters for `name` under the preset, with the training length of
    `args.lengths`; and a record of that length for the JSON line."""
    from semisup.bench.config import parse_value, strategy_class
    from semisup.strategies import ConsistencyStrategy

    cls = strategy_class(name)
    known = set(cls().get_params(deep=False))
    params = {"encoder": args.encoder or config.encoder, "random_state": 0, "verbose": 0}
    params.update(config.strategy_params(name))
    lengths = {"mode": args.lengths}
    consistency = issubclass(cls, ConsistencyStrategy)
    if args.lengths == "short":
        lengths["source"] = "--steps/--consistency-epochs" if consistency else "--epochs"
        if consistency:
            params.update(steps=args.steps, images=None, epochs=args.consistency_epochs)
        else:
            params["epochs"] = args.epochs
            params.update({key: args.epochs for key in known if key.endswith("pretrain_epochs")})
    elif consistency:
        length, record = consistency_length(name, cls, params, config, args)
        params.update(length)
        lengths.update(record)
    else:
        lengths["source"] = f"preset {config.preset}"
    if "rounds" in known:
        if args.rounds is not None:
            params["rounds"] = args.rounds
        if "confidence_threshold" in known and args.self_training_threshold is not None:
            params["confidence_threshold"] = args.self_training_threshold
    for item in args.param or []:
        key, _, value = item.partition("=")
        if key.strip() in known:
            params[key.strip()] = parse_value(value.strip())
    params["early_stopping_patience"] = None
    params = {key: value for key, value in params.items() if key in known}
    if not consistency:  # the epochs each phase runs, class defaults included
        effective = cls(**params).get_params(deep=False)
        lengths["phase_epochs"] = {
            key: effective[key]
            for key in sorted(known)
            if key in ("epochs", "rounds") or key.endswith("pretrain_epochs")
        }
    return params, lengths


def summarize_phase(name: str, phase: dict) -> dict:
    """Calls after the phase's first epoch: their steps, per-step medians, outside fractions.

    The outside time of an epoch's first call spans the epoch boundary (Keras's epoch end and
    start, a new data iterator); `epoch_start_outside_s` is that part of `outside_s`.
    `one_time_s` is the first measured epoch start's gap in excess of the median of the later
    ones (0 with fewer than two); the outside fractions leave it out, except
    `outside_fraction_with_one_time`."""
    calls = [call for call in phase["calls"] if call[0] >= 1 and call[4] is not None]
    starts = np.array([call[1] == 0 for call in calls], dtype=bool)
    steps = np.array([call[2] for call in calls], dtype=float)
    inside = np.array([call[3] for call in calls], dtype=float)
    outside = np.array([call[4] for call in calls], dtype=float)
    summary = {
        "phase": name,
        "epochs": phase["epochs"],
        "steps_per_epoch": phase["steps_per_epoch"],
        "calls_measured": len(calls),
        "steps_measured": int(steps.sum()),
        "fit_seconds": phase.get("fit_seconds"),
        "calls": [
            [*call[:3], round(call[3], 6), None if call[4] is None else round(call[4], 6)]
            for call in phase["calls"]
        ],
    }
    if not calls:
        return summary
    gaps = outside[starts]  # in epoch order
    one_time = max(0.0, float(gaps[0] - np.median(gaps[1:]))) if len(gaps) >= 2 else 0.0
    inside_step, outside_step = np.median(inside / steps), np.median(outside / steps)
    total = inside.sum() + outside.sum()
    summary.update(
        steps_per_call=float(np.median(steps)),
        inside_s=float(inside.sum()),
        outside_s=float(outside.sum()),
        epoch_start_outside_s=float(gaps.sum()),
        one_time_s=one_time,
        median_step_inside_s=float(inside_step),
        median_step_outside_s=float(outside_step),
        outside_fraction=float((outside.sum() - one_time) / (total - one_time)),
        outside_fraction_with_one_time=float(outside.sum() / total),
        median_outside_fraction=float(outside_step / (inside_step + outside_step)),
        synced_steps_per_second=float(steps.sum() / total),
    )
    return summary


def phase_names(strategy, count: int) -> list[str]:
    names = list(getattr(strategy, "jit_compiled_", {}))  # one entry per Keras fit, in order
    return names if len(names) == count else [f"phase{i}" for i in range(count)]


def checkpoints(strategy, every_s: float | None):
    """A context in which `strategy` checkpoints as in the harness, `every_s` seconds apart (None:
    no checkpoints), into a temporary folder removed afterwards."""
    stack = contextlib.ExitStack()
    if every_s is not None:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="step_breakdown_"))
        strategy.enable_checkpoints(folder, every_s=every_s)
    return stack


def checkpoint_every(args) -> float | None:
    return args.checkpoint_every if args.checkpoints else None


def throughput(cls, params: dict, x, y, every_s: float | None = None) -> list[dict]:
    """A plain fit of the strategy: steps/s per phase from the epochs after the first."""
    clock = PhaseClock()
    strategy = cls(**params, callbacks=[clock])
    with checkpoints(strategy, every_s):
        strategy.fit(x, y)
    result = []
    for name, phase in zip(phase_names(strategy, len(clock.phases)), clock.phases):
        times, per_epoch = phase["times"], phase["steps_per_epoch"]
        entry = {"phase": name, "first_epoch_seconds": times[1] - times[0]}
        if len(times) > 2 and per_epoch:
            entry["steps_per_second"] = (len(times) - 2) * per_epoch / (times[-1] - times[1])
        result.append(entry)
    return result


def measure(name: str, config, args, x, y) -> dict:
    from semisup.bench.config import strategy_class

    cls = strategy_class(name)
    params, lengths = strategy_params(name, config, args)
    split = PhaseSplit()
    strategy = cls(**params, callbacks=[split])
    with checkpoints(strategy, checkpoint_every(args)):
        started = time.perf_counter()
        strategy.fit(x, y)
        fit_seconds = time.perf_counter() - started
    phases = [
        summarize_phase(phase_name, phase)
        for phase_name, phase in zip(phase_names(strategy, len(split.phases)), split.phases)
    ]
    inside = sum(phase.get("inside_s", 0.0) for phase in phases)
    outside = sum(phase.get("outside_s", 0.0) for phase in phases)
    at_starts = sum(phase.get("epoch_start_outside_s", 0.0) for phase in phases)
    one_time = sum(phase.get("one_time_s", 0.0) for phase in phases)
    total = inside + outside
    result = {
        "strategy": name,
        "preset": args.preset,
        "dataset": args.dataset,
        "n_images": len(y),
        "n_labeled": int((y >= 0).sum()),
        "lengths": lengths,
        "checkpoints": bool(args.checkpoints),
        "checkpoint_every_s": checkpoint_every(args),
        "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
        "jit_compiled": {k: bool(v) for k, v in getattr(strategy, "jit_compiled_", {}).items()},
        "fit_seconds": fit_seconds,
        "inside_s": inside,
        "outside_s": outside,
        "epoch_start_outside_s": at_starts,
        "one_time_s": one_time,
        "outside_fraction": (outside - one_time) / (total - one_time) if total else None,
        "outside_fraction_with_one_time": outside / total if total else None,
        "phases": phases,
    }
    if args.throughput:
        result["throughput"] = throughput(cls, params, x, y, checkpoint_every(args))
    return result


def checkpoint_note(args) -> str:
    if not args.checkpoints:
        return ""
    if args.checkpoint_every == 0:
        return ", checkpoints every epoch"
    return f", checkpoints every {args.checkpoint_every:g} s and at each phase's end"


def fraction(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def share(part, whole) -> str:
    """`part` as a percentage of `whole` (e.g. the outside time spent at epoch starts)."""
    return "-" if part is None or not whole else f"{100 * part / whole:.0f}% of it"


def at_epoch_starts(entry: dict) -> str:
    """The share of a phase's or strategy's outside time at epoch starts, one-time cost left out."""
    one_time = entry.get("one_time_s") or 0.0
    starts, outside = entry.get("epoch_start_outside_s"), entry.get("outside_s")
    if starts is None or outside is None:
        return "-"
    return share(starts - one_time, outside - one_time)


def milliseconds(value) -> str:
    return "-" if value is None else f"{1000 * value:.2f}"


def table(results: list[dict]) -> str:
    header = (
        "strategy",
        "phase",
        "steps/ep",
        "calls",
        "steps/call",
        "in ms/step",
        "out ms/step",
        "outside",
        "outside (med)",
        "at epoch starts",
        "one-time ms",
        "synced st/s",
        "plain st/s",
    )
    rows = [header]
    for result in results:
        plain = {entry["phase"]: entry for entry in result.get("throughput", [])}
        for phase in result["phases"]:
            rate = plain.get(phase["phase"], {}).get("steps_per_second")
            synced = phase.get("synced_steps_per_second")
            rows.append(
                (
                    result["strategy"],
                    phase["phase"],
                    str(phase["steps_per_epoch"]),
                    str(phase["calls_measured"]),
                    "-" if "steps_per_call" not in phase else f"{phase['steps_per_call']:g}",
                    milliseconds(phase.get("median_step_inside_s")),
                    milliseconds(phase.get("median_step_outside_s")),
                    fraction(phase.get("outside_fraction")),
                    fraction(phase.get("median_outside_fraction")),
                    at_epoch_starts(phase),
                    milliseconds(phase.get("one_time_s")),
                    "-" if synced is None else f"{synced:.1f}",
                    "-" if rate is None else f"{rate:.1f}",
                )
            )
        rows.append(
            (
                result["strategy"],
                "(all, by time)",
                "",
                "",
                "",
                "",
                "",
                fraction(result["outside_fraction"]),
                "",
                at_epoch_starts(result),
                milliseconds(result["one_time_s"]),
                "",
                "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def parse_args(argv=None):
    from semisup.bench import BenchConfig

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--strategies", help="comma-separated registered names (default: every strategy)"
    )
    parser.add_argument("--preset", default="seed", choices=("seed", "ssl"))
    parser.add_argument("--dataset", default="fer2013", choices=sorted(DATASETS))
    parser.add_argument("--n-images", type=int, help="fewer random images (smoke runs)")
    parser.add_argument("--encoder", help="default: the preset's")
    parser.add_argument(
        "--lengths",
        default="preset",
        choices=("preset", "short"),
        help="preset: the harness's epoch lengths (epoch-based strategies: the preset's epochs; "
        "consistency strategies: the preset's steps per epoch, at most --epochs epochs); "
        "short: --epochs a phase, --steps in --consistency-epochs",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        help=f"short: epochs a phase of the epoch-based strategies (default "
        f"{SHORT_DEFAULTS['epochs']}); preset: the most epochs a consistency strategy runs "
        f"(default {PRESET_CONSISTENCY_EPOCHS}; the epoch-based ones keep the preset's)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help=f"self-training rounds (short: default {SHORT_DEFAULTS['rounds']}; preset: the "
        "preset's)",
    )
    parser.add_argument(
        "--self-training-threshold",
        type=float,
        default=0.0,
        help="self-training's confidence_threshold: random images get low confidences, and "
        "with the preset's 0.8 round 1 might accept none and not run; 0 accepts the whole pool "
        "(seed 001's round 1 on FER2013 accepted 80%% of it). Negative: the preset's.",
    )
    parser.add_argument(
        "--steps",
        type=int,
        help=f"--lengths short: steps of a consistency strategy (default "
        f"{SHORT_DEFAULTS['steps']})",
    )
    parser.add_argument(
        "--consistency-epochs",
        type=int,
        help="--lengths short: Keras epochs the steps are split into (default "
        f"{SHORT_DEFAULTS['consistency_epochs']})",
    )
    parser.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="set a parameter on every strategy that has it (repeatable), e.g. "
        "precision=mixed_bfloat16",
    )
    parser.add_argument(
        "--checkpoints",
        action="store_true",
        help="checkpoint as the harness does (into a temporary folder)",
    )
    parser.add_argument(
        "--checkpoint-every",
        type=float,
        default=BenchConfig.checkpoint_every_s,
        metavar="SECONDS",
        help="with --checkpoints: seconds between saves (default: the harness's, "
        f"{BenchConfig.checkpoint_every_s:g}; 0: every epoch)",
    )
    parser.add_argument(
        "--throughput", action="store_true", help="also a plain fit for steps/s per phase"
    )
    parser.add_argument("--out", help="append one JSON line per strategy")
    args = parser.parse_args(argv)
    if args.self_training_threshold is not None and args.self_training_threshold < 0:
        args.self_training_threshold = None
    if args.lengths == "short":
        for key, value in SHORT_DEFAULTS.items():
            if getattr(args, key) is None:
                setattr(args, key, value)
    else:
        if args.steps is not None or args.consistency_epochs is not None:
            parser.error("--steps and --consistency-epochs apply to --lengths short only")
        if args.epochs is None:
            args.epochs = PRESET_CONSISTENCY_EPOCHS
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    return args


def main(argv=None) -> list[dict]:
    args = parse_args(argv)
    from semisup import strategies
    from semisup.bench import BenchConfig
    from semisup.bench.config import split_specs, strategy_class
    from semisup.provenance import provenance

    config = BenchConfig.from_sources(preset=args.preset)
    names = split_specs(args.strategies) if args.strategies else list(strategies.REGISTRY)
    for name in names:
        strategy_class(name)  # fail on a typo before any training
    x, y = random_images(args.dataset, args.n_images)
    results = []
    for name in names:
        keras.backend.clear_session()  # each strategy starts from a fresh Keras state
        result = measure(name, config, args, x, y)
        result["args"] = vars(args)
        result["provenance"] = provenance()
        results.append(result)
        share = fraction(result["outside_fraction"])
        once = f" (and {result['one_time_s']:.3f} s once)" if result["one_time_s"] >= 5e-4 else ""
        print(f"{name}: {result['fit_seconds']:.1f} s, outside {share}{once}", flush=True)
        if args.out:
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            with Path(args.out).open("a") as handle:
                handle.write(json.dumps(result) + "\n")
    print()
    print(
        f"preset {args.preset}, {args.lengths} lengths"
        f"{checkpoint_note(args)}, {args.dataset}-shaped "
        f"random images ({len(y)}, {int((y >= 0).sum())} labeled), backend "
        f"{keras.backend.backend()}; per step = per compiled call / its steps; first epoch of "
        "each phase skipped; outside fractions and epoch-start shares without the one-time cost"
    )
    print(table(results))
    return results


if __name__ == "__main__":
    main()
