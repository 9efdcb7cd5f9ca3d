"""Every registered strategy, with and without the Deep SVDD filter, on one data set's seed split.

Seed 001's protocol: the seed split (np.random.RandomState(125).rand(n) <= 0.2), the strategies'
default hyper-parameters (which are the seed's: 100 epochs, batch 128, Adam 1e-3; self-training
threshold 0.8, 3 rounds; autoencoder 50 epochs), conv4 encoder, no augmentation. FER2013 reports
PrivateTest (and Public+Private for comparison with seed 002).

Each finished cell is appended as one JSON line to --out, with its provenance; re-running skips
the cells already there, so a run that was cut off resumes.

    python benchmarks/run_strategies.py --dataset fer2013 --data-dir ../shared/data \
        --out benchmarks/results/fer2013_strategies.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from semisup import filters, strategies  # noqa: E402
from semisup.data import load, seed_split  # noqa: E402
from semisup.provenance import provenance  # noqa: E402


def _cell_key(row):
    return (row["dataset"], row["strategy"], row["filter"], row["seed"])


def _evaluate(model, x, y):
    from sklearn.metrics import accuracy_score, f1_score

    predicted = model.predict(x)
    return float(accuracy_score(y, predicted)), float(f1_score(y, predicted, average="macro"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fer2013")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", required=True)
    parser.add_argument("--strategies", default=",".join(sorted(strategies.REGISTRY)))
    parser.add_argument("--filters", default="none,deep_svdd:0.1", help="none or deep_svdd:NU")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--encoder", default="conv4")
    parser.add_argument("--verbose", type=int, default=0)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PARAM=VALUE",
        help="override a hyper-parameter of every strategy that has it (e.g. epochs=1)",
    )
    args = parser.parse_args(argv)

    names = [n for n in args.strategies.split(",") if n]
    for name in names:
        strategies.get(name)  # fail before any training on an unknown name
    filter_specs = [f for f in args.filters.split(",") if f]
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = json.loads(value) if value[:1] in "0123456789-[{tfn" else value

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out.exists():
        for line in out.read_text().splitlines():
            try:
                done.add(_cell_key(json.loads(line)))
            except (json.JSONDecodeError, KeyError):
                print(f"ignoring an unreadable line in {out}", file=sys.stderr)

    started = time.perf_counter()
    dataset = load(args.dataset, data_dir=args.data_dir)
    print(f"loaded {dataset!r} in {time.perf_counter() - started:.1f} s", flush=True)
    split = seed_split(len(dataset.y_train))
    y_reduced = split.apply(dataset.y_train)
    evaluations = {dataset.test_split: (dataset.x_test, dataset.y_test)}
    if args.dataset == "fer2013":
        evaluations["PublicTest+PrivateTest"] = (
            np.concatenate([dataset.splits["PublicTest"].x, dataset.splits["PrivateTest"].x]),
            np.concatenate([dataset.splits["PublicTest"].y, dataset.splits["PrivateTest"].y]),
        )
    context = provenance()

    for name in names:
        for spec in filter_specs:
            key = (args.dataset, name, spec, args.seed)
            if key in done:
                print(f"skip {key}: already in {out}", flush=True)
                continue
            unlabeled_filter = None
            if spec != "none":
                filter_name, _, nu = spec.partition(":")
                unlabeled_filter = filters.get(filter_name)(nu=float(nu))
            model = strategies.get(name)(
                encoder=args.encoder,
                unlabeled_filter=unlabeled_filter,
                random_state=args.seed,
                verbose=args.verbose,
            )
            known = model.get_params(deep=False)
            model.set_params(**{k: v for k, v in overrides.items() if k in known})
            started = time.perf_counter()
            model.fit(dataset.x_train, y_reduced)
            seconds = time.perf_counter() - started
            row = {
                "dataset": args.dataset,
                "strategy": name,
                "filter": spec,
                "seed": args.seed,
                "encoder": args.encoder,
                "labels": "seed split",
                "n_labeled": int(model.n_labeled_),
                "n_unlabeled": int(len(split.unlabeled)),
                "n_unlabeled_removed": int(getattr(model, "n_unlabeled_removed_", 0)),
                "fit_seconds": round(seconds, 2),
                "params": {
                    k: v
                    for k, v in model.get_params(deep=False).items()
                    if isinstance(v, (int, float, str, bool, type(None)))
                },
                "jit_compiled": model.jit_compiled_,
            }
            for split_name, (x, y) in evaluations.items():
                accuracy, macro_f1 = _evaluate(model, x, y)
                row[f"accuracy[{split_name}]"] = round(accuracy, 4)
                row[f"macro_f1[{split_name}]"] = round(macro_f1, 4)
            if hasattr(model, "rounds_"):
                pool_truth = dataset.y_train[split.unlabeled]
                if getattr(model, "unlabeled_kept_", None) is not None:
                    pool_truth = pool_truth[model.unlabeled_kept_]
                used = model.pseudo_labels_ >= 0
                row["rounds"] = model.rounds_
                row["pseudo_label_precision"] = (
                    round(float((model.pseudo_labels_[used] == pool_truth[used]).mean()), 4)
                    if used.any()
                    else None
                )
            if hasattr(model, "collapse_report_"):
                row["collapse_report"] = model.collapse_report_
            row["provenance"] = context
            with out.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            summary = ", ".join(f"{k}={v}" for k, v in row.items() if k.startswith("accuracy"))
            print(
                f"{name:>22} filter={spec:<14} {summary}  removed={row['n_unlabeled_removed']}  "
                f"{seconds:.0f} s",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
