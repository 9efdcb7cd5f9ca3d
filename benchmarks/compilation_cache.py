"""What JAX's persistent compilation cache saves: one fit timed with the cache off, cold, warm.

`semisup bench` keeps the programs XLA compiles in a folder (`--compilation-cache`, on by
default under JAX) that every later cell, worker and run reads before compiling. This fits one
strategy on random images three times, each in a fresh process (as a grid's cells run):

    off    no cache: every program compiles, as before the option existed
    cold   an empty cache folder: the same compiling, plus the writes; programs that come back
           within the process (self-training's later rounds build a fresh model each, whose
           steps are the same programs) are read instead
    warm   the folder the cold process filled: a later cell, worker or resumed run

and prints a JSON line per process: the fit's wall time, XLA's compile time (JAX's
`/jax/core/compile/backend_compile_duration` events), and the cache's hits and misses.

    KERAS_BACKEND=jax python benchmarks/compilation_cache.py --encoder densenet_bc \\
        --strategy self_training --out benchmarks/results/compilation_cache.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(args) -> dict:
    """One fit in this process, with the cache folder `args.cache` ('' for none)."""
    import jax

    if args.cache:
        jax.config.update("jax_compilation_cache_dir", args.cache)
    counts = {"compile_seconds": 0.0, "compiles": 0, "cache_hits": 0, "cache_misses": 0}

    def on_duration(event, seconds, **_):
        if event == "/jax/core/compile/backend_compile_duration":
            counts["compile_seconds"] += seconds
            counts["compiles"] += 1

    def on_event(event, **_):
        if event == "/jax/compilation_cache/cache_hits":
            counts["cache_hits"] += 1
        elif event == "/jax/compilation_cache/cache_misses":
            counts["cache_misses"] += 1

    jax.monitoring.register_event_duration_secs_listener(on_duration)
    jax.monitoring.register_event_listener(on_event)

    import numpy as np

    sys.path.insert(0, str(ROOT))
    from semisup.bench.config import strategy_class
    from semisup.provenance import provenance

    shape = tuple(int(size) for size in args.shape.split("x"))
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(args.labeled + args.unlabeled, *shape), dtype=np.uint8)
    y = rng.integers(0, args.classes, size=len(x))
    y[args.labeled :] = -1
    params = {"encoder": args.encoder, "epochs": args.epochs, "batch_size": args.batch_size}
    params["random_state"] = 0
    if args.strategy == "self_training":
        # every round accepts some images, so that each trains on a set of another size
        params.update(rounds=args.rounds, confidence_threshold=0.0, top_k_per_class=20)
    model = strategy_class(args.strategy)(**params)
    started = time.perf_counter()
    model.fit(x, y)
    return {
        "fit_seconds": round(time.perf_counter() - started, 2),
        **{k: round(v, 2) if isinstance(v, float) else v for k, v in counts.items()},
        "params": params,
        "n_labeled": args.labeled,
        "n_unlabeled": args.unlabeled,
        "image_shape": list(shape),
        "provenance": provenance(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--encoder", default="densenet_bc")
    parser.add_argument("--strategy", default="self_training")
    parser.add_argument("--shape", default="48x48x1", help="image shape, HxWxC")
    parser.add_argument("--classes", type=int, default=7)
    parser.add_argument("--labeled", type=int, default=512)
    parser.add_argument("--unlabeled", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="self-training's rounds")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out", help="append the rows to this JSON Lines file")
    parser.add_argument("--child", choices=["off", "cold", "warm"], help=argparse.SUPPRESS)
    parser.add_argument("--cache", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps({"mode": args.child, **child(args)}), flush=True)
        return 0
    if os.environ.get("KERAS_BACKEND") != "jax":
        parser.error("run under KERAS_BACKEND=jax: the cache is JAX's")
    environment = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
    forwarded = list(argv if argv is not None else sys.argv[1:])
    if "--out" in forwarded:
        index = forwarded.index("--out")
        del forwarded[index : index + 2]
    with tempfile.TemporaryDirectory(prefix="semisup-compilation-cache-") as folder:
        for mode in ("off", "cold", "warm"):
            command = [sys.executable, __file__, *forwarded, "--child", mode]
            command += ["--cache", folder if mode != "off" else ""]
            output = subprocess.run(
                command, env=environment, check=True, capture_output=True, text=True
            ).stdout
            row = json.loads(output.strip().splitlines()[-1])
            if args.out:  # each row as it comes: a process killed later keeps the earlier ones
                with open(args.out, "a") as stream:
                    stream.write(json.dumps(row) + "\n")
            print(
                f"{mode:5s} fit {row['fit_seconds']:8.1f} s, compiling "
                f"{row['compile_seconds']:7.1f} s in {row['compiles']} programs, cache hits "
                f"{row['cache_hits']}, misses {row['cache_misses']}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
