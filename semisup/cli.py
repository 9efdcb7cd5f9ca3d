"""The `semisup` command line.

    semisup demo                      the supervised baseline on the embedded digits data
    semisup data info DATASET         counts per split and class, and checksums

Errors are printed as one line (`semisup: error: ...`); `--debug` shows the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# TensorFlow's C++ start-up chatter (CUDA probing on CPU machines) hides the output people want.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _import_keras_quietly():
    """Import Keras with the C++ logging of its backend's start-up sent to a temporary file.

    TensorFlow 2.21 writes its start-up notes through absl before TF_CPP_MIN_LOG_LEVEL is read; they
    are replayed if the import fails, so nothing that explains a failure is lost.
    """
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import keras

            keras.ops.convert_to_numpy(keras.ops.zeros(1))  # device probing happens here
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    return keras


def _data_info(args) -> int:
    from semisup.data import load

    dataset = load(args.dataset, data_dir=args.data_dir)
    print(f"{dataset.name}: {dataset.source}")
    print(f"image shape {dataset.image_shape}, {dataset.n_classes} classes")
    roles = {
        dataset.train_split: "train",
        dataset.test_split: "test",
    }
    if dataset.validation_split is not None:
        roles[dataset.validation_split] = "validation"
    names = list(dataset.class_names)
    width = max(12, *(len(n) for n in names))
    header = f"{'class':<{width}}" + "".join(f"{s:>14}" for s in dataset.splits)
    print()
    print(header)
    print("-" * len(header))
    counts = {s: dataset.class_counts(s) for s in dataset.splits}
    for code, class_name in enumerate(names):
        row = f"{f'{code} {class_name}':<{width}}"
        row += "".join(f"{counts[s][code]:>14,}" for s in dataset.splits)
        print(row)
    print("-" * len(header))
    print(f"{'total':<{width}}" + "".join(f"{len(dataset.splits[s]):>14,}" for s in dataset.splits))
    print(f"{'role':<{width}}" + "".join(f"{roles.get(s, '-'):>14}" for s in dataset.splits))
    if dataset.checksums:
        print("\nsha256")
        for file_name, digest in dataset.checksums.items():
            print(f"  {digest}  {file_name}")
    return 0


def _demo(args) -> int:
    keras = _import_keras_quietly()
    from semisup.data import load, seed_split
    from semisup.strategies import Supervised

    dataset = load("digits")
    split = seed_split(len(dataset.y_train))
    y = split.apply(dataset.y_train)
    print(
        f"{dataset.name}: {len(dataset.y_train)} training images, {len(split.labeled)} labeled by "
        f"the seed split, {len(split.unlabeled)} unlabeled; {len(dataset.y_test)} test images"
    )
    model = Supervised(
        encoder=args.encoder,
        epochs=args.epochs,
        batch_size=args.batch_size,
        random_state=args.seed,
        verbose=1,
    )
    started = time.perf_counter()
    model.fit(dataset.x_train, y)
    seconds = time.perf_counter() - started
    accuracy = model.score(dataset.x_test, dataset.y_test)

    print(
        f"supervised baseline ({args.encoder}, {args.epochs} epochs, seed {args.seed}): "
        f"test accuracy {accuracy:.4f}  [{seconds:.1f} s, keras {keras.__version__}, "
        f"backend {keras.backend.backend()}]"
    )
    return 0


def _split_list(text, cast=str):
    return None if text is None else [cast(item) for item in text.split(",") if item]


def _encoder_override(text):
    """`--encoder a,b[x=1,y=2]`: one encoder stays a string, several make a list."""
    from semisup._specs import split_specs

    if text is None:
        return None
    names = split_specs(text)
    return names[0] if len(names) == 1 else names


def _validation_override(text):
    """`--validation dataset` applies to every data set; `--validation
    fer2013=dataset,cifar10-jpeg=labeled:0.1` gives one value per data set (a dict)."""
    if text is None or "=" not in text:
        return text
    chosen = {}
    for item in text.split(","):
        name, separator, value = (part.strip() for part in item.partition("="))
        if not separator or not name or not value:
            raise ValueError(
                f"--validation {text!r}: per data set it is NAME=VALUE pairs joined by commas, "
                f"e.g. fer2013=dataset,cifar10-jpeg=labeled:0.1; got the item {item!r}."
            )
        if name in chosen:
            raise ValueError(f"--validation {text!r} names {name!r} twice; give it once.")
        chosen[name] = value
    return chosen


def _bench(args) -> int:
    _import_keras_quietly()

    from semisup._specs import parse_value, split_specs
    from semisup.bench import BenchConfig, plan, run

    overrides = {
        "datasets": _split_list(args.dataset),
        "strategies": None if args.strategies is None else split_specs(args.strategies),
        "filters": _split_list(args.filters),
        "budgets": _split_list(args.budgets),
        "seeds": _split_list(args.seeds, int),
        "encoder": _encoder_override(args.encoder),
        "data_dir": args.data_dir,
        "validation": _validation_override(args.validation),
        "time_limit_s": args.time_limit,
        "monitor_every": args.monitor_every,
        "monitor_unlabeled": args.monitor_unlabeled,
        "checkpoint_every_s": args.checkpoint_every,
        "test_time_augmentation": _split_list(args.tta),
    }
    params = {}
    for item in args.set:
        key, separator, value = item.partition("=")
        if not separator:
            raise ValueError(f"--set expects PARAM=VALUE, got {item!r}.")
        params[key] = parse_value(value)
    overrides["params"] = params or None
    preset = args.preset if args.preset or args.config else "demo"
    config = BenchConfig.from_sources(preset=preset, config_file=args.config, overrides=overrides)
    run_dir = args.run_dir or f"runs/{config.preset or 'custom'}"
    if args.dry_run:
        print("\n".join(plan(config, run_dir, force=args.force).lines()))
        return 0
    run(
        config,
        run_dir,
        force=args.force,
        verbose=1 + args.verbose,
        report=not args.no_report,
        jobs=args.jobs,
        compilation_cache=_compilation_cache_setting(args.compilation_cache),
    )
    return 0


def _compilation_cache_setting(text: str | None):
    """`--compilation-cache`: absent the default folder, `off` none, else a folder."""
    if text is None:
        return True
    if text.strip().lower() in ("off", "none", "no", "false", "0"):
        return False
    if not text.strip():
        raise ValueError("--compilation-cache expects a folder or 'off', got an empty value.")
    return text


def _bench_report(args) -> int:
    from semisup.bench.report import write_report

    print(f"report: {write_report(args.run_dir)}")
    return 0


def _rename_pair(text: str) -> tuple[str, str]:
    """`OLD=NEW`, split at the first `=` outside brackets (NEW has its own: `name[a=1]`)."""
    depth = 0
    for index, character in enumerate(text):
        depth += {"[": 1, "]": -1}.get(character, 0)
        if character == "=" and depth == 0:
            old, new = text[:index].strip(), text[index + 1 :].strip()
            if old and new:
                return old, new
            break
    raise argparse.ArgumentTypeError(
        f"{text!r} is not OLD=NEW, e.g. fixmatch=fixmatch[steps=100000]"
    )


def _bench_merge(args) -> int:
    import shlex
    import warnings

    from semisup.bench.merge import merge_runs

    olds = [old for old, _ in args.rename]
    repeated = sorted({old for old in olds if olds.count(old) > 1})
    if repeated:
        raise ValueError(
            f"--rename names {', '.join(map(repr, repeated))} more than once; give each old "
            "name one new name."
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            summary = merge_runs(
                args.out_dir, args.run_dirs, force=args.force, rename=dict(args.rename)
            )
        finally:  # a torn line or a cell in progress explains what follows
            for warning in caught:
                print(f"semisup: warning: {warning.message}", file=sys.stderr)
    print(summary.line())
    if summary.config_note:
        print(f"config.json not written: {summary.config_note}")
    print(f"next: semisup bench report {shlex.quote(str(summary.out_dir))}")
    return 0


def _bench_compare(args) -> int:
    import json

    from semisup.bench.compare import compare_runs, format_comparison

    rows = compare_runs(args.run_dirs)
    if args.json:
        for row in rows:
            print(json.dumps(row))
    else:
        print(format_comparison(rows, args.run_dirs[0]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="semisup",
        description="Semi-supervised image classification on one shared encoder.",
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="train the supervised baseline on the embedded digits data (seed split)"
    )
    demo.add_argument("--epochs", type=int, default=100, help="training epochs (default 100)")
    demo.add_argument("--batch-size", type=int, default=128, help="batch size (default 128)")
    demo.add_argument("--encoder", default="conv4", help="registered encoder (default conv4)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.set_defaults(handler=_demo)

    bench = commands.add_parser(
        "bench",
        help="run a benchmark grid (default: the demo preset on digits); "
        "'semisup bench report RUN_DIR' rewrites a run's report, "
        "'semisup bench merge OUT RUN...' combines run folders, "
        "'semisup bench compare RUN RUN...' checks whether runs gave the same numbers",
        description="Run every strategy x filter x label budget x seed of a grid; finished "
        "cells are skipped on a re-run. Lists are comma-separated.",
    )
    bench.add_argument(
        "--preset",
        help="demo (default): seed 001's five strategies on digits with and without Deep "
        "SVDD, short training for a CPU; seed: the same grid with seed 001's settings on FER2013 "
        "and cifar10-jpeg, seeds 0-2 (GPU); ssl: supervised, FixMatch, FreeMatch, Mean Teacher, "
        "pseudo-label and Pi-model on WRN-28-2, FER2013 and cifar10-jpeg, 20 minutes a cell "
        "(GPU). See docs/bench.md",
    )
    bench.add_argument(
        "--config",
        help="a TOML file with the grid (see docs/bench.md), or a run folder's config.json",
    )
    bench.add_argument("--dataset", help="data sets, e.g. fer2013,cifar10-jpeg or a folder")
    bench.add_argument(
        "--strategies",
        help="registered names or package.module:Class, each optionally with parameters of "
        "its own, e.g. self_training[weighting=calibrated]",
    )
    bench.add_argument("--filters", help="none and/or deep_svdd:NU")
    bench.add_argument("--budgets", help="seed, all, k:N (N labels per class)")
    bench.add_argument("--seeds", help="e.g. 0,1,2")
    bench.add_argument(
        "--encoder",
        help="registered encoder (default conv4), or several comma-separated to run every "
        "cell with each, e.g. conv4,resnet_v1,wrn28_2 (the report adds a strategy x encoder "
        "table)",
    )
    bench.add_argument(
        "--time-limit",
        type=float,
        help="cap each cell's training at this many seconds of wall time (all its phases)",
    )
    bench.add_argument(
        "--monitor-every",
        type=int,
        metavar="N",
        help="record test accuracy every N epochs of each training phase, against training "
        "time (the report draws the curves); off by default",
    )
    bench.add_argument(
        "--monitor-unlabeled",
        type=int,
        metavar="N",
        help="with --monitor-every, also score N images of the unlabeled pool (a fixed random "
        "sample) against their hidden labels: accuracy there, share of pseudo-labels kept and "
        "how many are right; off by default",
    )
    bench.add_argument(
        "--checkpoint-every",
        type=float,
        metavar="SECONDS",
        help="seconds between a training cell's checkpoints, from which a killed run resumes "
        "(default 60; 0: every epoch)",
    )
    bench.add_argument(
        "--tta",
        metavar="TRANSFORMS",
        help="also score the test split with test-time augmentation, once per entry: the "
        "predictions averaged over the views the entry names, e.g. hflip or hflip,hflip+shift:2 "
        "(transforms: hflip, shift:K; an extra column of the report each; the plain numbers "
        "are kept); off by default",
    )
    bench.add_argument(
        "--validation",
        help="validation data for fit(): none (default), dataset (its validation split), "
        "auto (that split where there is one), labeled:F (a fraction F of the labeled images "
        "held out); or per data set, e.g. fer2013=dataset,cifar10-jpeg=labeled:0.1",
    )
    bench.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PARAM=VALUE",
        help="a strategy parameter for every strategy that has it",
    )
    bench.add_argument("--data-dir", help="folder holding the data sets ($SEMISUP_DATA_DIR)")
    bench.add_argument("--run-dir", help="where results go (default runs/<preset>)")
    bench.add_argument("--force", action="store_true", help="run every cell again")
    bench.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="worker processes sharing the device (a big GPU runs several small cells at once); "
        "a cell that runs out of memory beside the others trains alone once they finish",
    )
    bench.add_argument(
        "--compilation-cache",
        metavar="DIR|off",
        help="under JAX, the folder where compiled programs are kept for later cells, workers "
        "and runs (default $JAX_COMPILATION_CACHE_DIR, else jax-compilation in the data cache "
        "folder); off: set none ($JAX_COMPILATION_CACHE_DIR, where set, still applies)",
    )
    bench.add_argument("--no-report", action="store_true", help="skip the report at the end")
    bench.add_argument(
        "--dry-run",
        action="store_true",
        help="print the cells a run would train (skipping those finished in the run folder) and "
        "each strategy's parameters, after the checks a run makes first; train and write nothing",
    )
    bench.add_argument(
        "-v", "--verbose", action="count", default=0, help="a progress bar per training phase"
    )
    bench.set_defaults(handler=_bench)

    bench_report = commands.add_parser(
        "bench-report", help="write report.md and plots for a run folder"
    )
    bench_report.add_argument("run_dir")
    bench_report.set_defaults(handler=_bench_report)

    bench_merge = commands.add_parser(
        "bench-merge",
        prog="semisup bench merge",
        help="combine run folders of one grid, run separately (e.g. one seed each), into one",
        description="Merge run folders of one grid into OUT: their results.jsonl rows and the "
        "predictions and split files the rows name. A cell in two folders is kept once when "
        "identical and is an error when it differs. Then: semisup bench report OUT.",
    )
    bench_merge.add_argument("out_dir", metavar="OUT", help="the merged run folder")
    bench_merge.add_argument("run_dirs", metavar="RUN", nargs="+", help="run folders to merge")
    bench_merge.add_argument(
        "--force",
        action="store_true",
        help="OUT already holds results.jsonl: add the runs to it (nothing is deleted)",
    )
    bench_merge.add_argument(
        "--rename",
        type=_rename_pair,
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="give the RUN folders' rows of strategy OLD the name NEW, a spec of the same "
        "strategy stating parameters they recorded, e.g. fixmatch=fixmatch[steps=100000] "
        "(for grids that ran one strategy name differently); repeatable",
    )
    bench_merge.set_defaults(handler=_bench_merge)

    bench_compare = commands.add_parser(
        "bench-compare",
        prog="semisup bench compare",
        help="did runs of one grid give the same numbers? (e.g. GPU determinism)",
        description="Compare each cell of the first run folder with the same cell of the "
        "others: whether the saved predictions are bitwise identical, the largest probability "
        "difference, the share of test images given another class, the accuracies, and the "
        "seconds per epoch after the first (from the monitored test curve).",
    )
    bench_compare.add_argument(
        "run_dirs",
        metavar="RUN",
        nargs="+",
        help="two or more run folders; the first is the reference",
    )
    bench_compare.add_argument(
        "--json", action="store_true", help="one JSON object per line instead of a table"
    )
    bench_compare.set_defaults(handler=_bench_compare)

    data = commands.add_parser("data", help="inspect data sets")
    data_commands = data.add_subparsers(dest="data_command", metavar="DATA_COMMAND")
    info = data_commands.add_parser("info", help="counts per split and class, and checksums")
    info.add_argument(
        "dataset", help="digits, fer2013, cifar10-jpeg, cifar100, or a path to an image folder/zip"
    )
    info.add_argument(
        "--data-dir", default=None, help="folder holding the data sets (default: $SEMISUP_DATA_DIR)"
    )
    info.set_defaults(handler=_data_info)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # `semisup bench report RUN_DIR` reads better than a separate command name (and `merge`,
    # `compare`)
    for index, word in enumerate(argv):
        if not word.startswith("-"):
            following = argv[index + 1 : index + 2]
            if word == "bench" and following in (["report"], ["merge"], ["compare"]):
                argv[index : index + 2] = [f"bench-{following[0]}"]
            break
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("semisup: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError, KeyError) as error:
        if args.debug:
            raise
        # One line, whatever the message's own line breaks.
        message = " ".join(str(error).split()) or repr(error)
        print(f"semisup: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
