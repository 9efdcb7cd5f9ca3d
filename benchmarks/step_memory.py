"""How much memory each compiled program of a strategy needs, per encoder, before any GPU runs.

Under JAX, XLA plans a compiled program's memory before running it: its arguments, its outputs
and one block of temporaries (`jax.stages.Compiled.memory_analysis()`); running the program
allocates that block whole. A process needs at least its largest program; workers sharing a
GPU (`semisup bench --jobs N`) need at least the sum of theirs. This fits each strategy once
on a few random images, every training length cut to one epoch (a program does not depend on
how long it trains; the batch sizes and the rest of the parameters are the preset's), and
records the plan of every program compiled on the way: the training steps of each phase, the
evaluation and prediction steps. A program too large for this machine to run is still
planned (the plan comes first): its row says `"ran": false`, and the strategy's later phases
are not reached.

The plan made on the CPU is a good guide to the GPU's: DenseNet-BC's contrastive pretraining
step under the `seed` preset plans 36.99 GiB of temporaries on the CPU (JAX 0.10.2), and on an
H100 (JAX 0.11.2) the same step failed to allocate 36.68 GiB beside two other cells
(benchmarks/README.md). So the table can be made here, without device time.

    KERAS_BACKEND=jax python benchmarks/step_memory.py --encoders densenet_bc \\
        --strategies contrastive --out benchmarks/results/step_memory.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GIB = 2**30
SEED_STRATEGIES = "supervised,self_training,two_step_autoencoder,one_step_autoencoder,contrastive"
SHAPES = {"fer2013": ((48, 48, 1), 7), "cifar": ((32, 32, 3), 10)}


class ProgramRecorder:
    """Stands in for `jax.jit` in Keras's JAX trainer: each program is lowered and compiled
    once per argument shapes, like `jax.jit` does, and its memory plan recorded before it runs."""

    def __init__(self, jit):
        self.jit = jit
        self.rows: list[dict] = []

    def __call__(self, function, **options):
        jitted = self.jit(function, **options)
        owner = getattr(getattr(function, "__self__", None), "name", "")
        kind = getattr(function, "__name__", "program")
        compiled = {}

        def run(*args):
            import jax

            key = str(jax.tree.map(lambda a: (getattr(a, "shape", None), str(a.dtype)), args))
            if key not in compiled:
                started = time.perf_counter()
                compiled[key] = jitted.lower(*args).compile()
                analysis = compiled[key].memory_analysis()
                temp, arguments = analysis.temp_size_in_bytes, analysis.argument_size_in_bytes
                outputs, alias = analysis.output_size_in_bytes, analysis.alias_size_in_bytes
                self.rows.append(
                    {
                        "program": f"{owner}.{kind}" if owner else kind,
                        "temp_bytes": temp,
                        "argument_bytes": arguments,
                        "output_bytes": outputs,
                        "alias_bytes": alias,
                        # donated arguments come back as outputs in place (alias)
                        "peak_bytes": temp + arguments + outputs - alias,
                        "compile_seconds": round(time.perf_counter() - started, 2),
                    }
                )
            return compiled[key](*args)

        return run


def one_epoch(strategy) -> dict:
    """Every training length of `strategy` cut to one epoch (or round), so that each program
    compiles and runs once or twice."""
    params = strategy.get_params(deep=False)
    changes = {
        name: 1
        for name, value in params.items()
        if name.endswith("epochs") and isinstance(value, int) and value > 0
    }
    if "rounds" in params:  # round 1 adds the pseudo-labels' weights: a program of its own
        changes.update(rounds=2, confidence_threshold=0.0)
    for name in ("steps", "images"):
        if params.get(name) is not None:
            changes[name] = 2 * params.get("batch_size", 64)
    return changes


def measure(encoder: str, name: str, args) -> list[dict]:
    import keras
    import keras.src.backend.jax.trainer as jax_trainer
    import numpy as np

    from semisup.bench import BenchConfig
    from semisup.bench.config import strategy_class
    from semisup.bench.runner import is_out_of_memory

    shape, classes = SHAPES[args.images]
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(args.n, *shape), dtype=np.uint8)
    y = rng.integers(0, classes, size=args.n)
    y[args.labeled :] = -1
    y[:classes] = np.arange(classes)  # every class among the labels
    params = BenchConfig.from_sources(preset=args.preset).strategy_params(name)
    strategy = strategy_class(name)(encoder=encoder, random_state=0, verbose=0)
    strategy.set_params(**params)
    shortened = one_epoch(strategy)
    strategy.set_params(**shortened)
    keras.utils.clear_session(free_memory=True)
    recorder = ProgramRecorder(jax_trainer.jit)
    jax_trainer.jit = recorder
    started = time.perf_counter()
    stopped = None
    try:
        strategy.fit(x, y)
    except Exception as error:
        # the plan is made before the program runs: one this machine cannot run still counts,
        # the programs of later phases are not reached
        if not (recorder.rows and is_out_of_memory(error)):
            raise
        stopped = str(error).strip().splitlines()[-1][-200:]
        print(f"{encoder} {name}: stopped, this machine cannot run it ({stopped})", flush=True)
    finally:
        jax_trainer.jit = recorder.jit
    seconds = time.perf_counter() - started
    rows = [
        {
            "encoder": encoder,
            "strategy": name,
            "preset": args.preset,
            "image_shape": list(shape),
            **row,
            "ran": True,
            "params": {**params, **shortened},
            "fit_seconds": round(seconds, 1),
        }
        for row in recorder.rows
    ]
    if stopped:
        rows[-1].update(ran=False, error=stopped)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoders", default="conv4,resnet_v1,resnet_v2,wrn28_2,densenet_bc")
    parser.add_argument("--strategies", default=SEED_STRATEGIES)
    parser.add_argument("--preset", default="seed", help="the harness preset giving parameters")
    parser.add_argument("--images", choices=sorted(SHAPES), default="fer2013")
    parser.add_argument("--n", type=int, default=600, help="random images (all, labeled or not)")
    parser.add_argument("--labeled", type=int, default=200)
    parser.add_argument("--out", help="append the rows to this JSON Lines file")
    args = parser.parse_args(argv)
    if os.environ.get("KERAS_BACKEND") != "jax":
        parser.error("run under KERAS_BACKEND=jax: the memory plan is XLA's, as JAX compiles it")
    sys.path.insert(0, str(ROOT))  # this checkout's package, for every cell and the provenance
    from semisup.provenance import provenance

    for encoder in args.encoders.split(","):
        for name in args.strategies.split(","):
            rows = measure(encoder, name, args)
            if not rows:
                raise SystemExit(
                    f"{encoder} {name}: no program went through Keras's JAX trainer; has Keras "
                    "moved `jit` out of keras.src.backend.jax.trainer?"
                )
            origin = provenance()
            for row in rows:
                row["provenance"] = origin
                if args.out:  # each row as it comes: a process killed later keeps the others
                    with open(args.out, "a") as stream:
                        stream.write(json.dumps(row) + "\n")
                print(
                    f"{encoder:12s} {name:21s} {row['program']:45s} temporaries "
                    f"{row['temp_bytes'] / GIB:7.2f} GiB, peak {row['peak_bytes'] / GIB:7.2f} GiB",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
