"""Turn benchmark JSON Lines files into a markdown table (mean +- std over seeds).

    python benchmarks/summarize.py benchmarks/results/fer2013_strategies_seed*.jsonl \
        > benchmarks/results/fer2013_strategies.md
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import numpy as np


def _mean_std(values):
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{values.mean():.4f} +- {values.std(ddof=1):.4f}"


def summarize(paths: list[str]) -> str:
    rows = [json.loads(line) for path in paths for line in open(path) if line.strip()]
    if not rows:
        raise SystemExit("no result rows in " + ", ".join(paths))
    accuracy_keys = sorted({k for row in rows for k in row if k.startswith("accuracy[")})
    cells = defaultdict(list)
    for row in rows:
        cells[(row["dataset"], row["strategy"], row["filter"])].append(row)
    baseline = {}
    for (dataset, strategy, _), group in cells.items():
        if strategy == "supervised":
            baseline[dataset] = {k: np.mean([r[k] for r in group]) for k in accuracy_keys}

    header = ["data", "strategy", "filter", "seeds"]
    header += [k.replace("accuracy", "accuracy ") for k in accuracy_keys]
    header += ["vs supervised", "macro-F1", "removed", "pseudo-label precision", "fit s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    order = ["supervised", "self_training", "two_step_autoencoder", "one_step_autoencoder"]
    for key in sorted(
        cells,
        key=lambda k: (k[0], order.index(k[1]) if k[1] in order else 9, k[1], k[2] != "none", k[2]),
    ):
        dataset, strategy, filter_spec = key
        group = cells[key]
        main_key = accuracy_keys[0]
        delta = np.mean([r[main_key] for r in group]) - baseline.get(dataset, {}).get(
            main_key, np.nan
        )
        f1_key = main_key.replace("accuracy", "macro_f1")
        precision = [r["pseudo_label_precision"] for r in group if r.get("pseudo_label_precision")]
        line = [dataset, strategy, filter_spec, str(len(group))]
        line += [_mean_std([r[k] for r in group]) for k in accuracy_keys]
        line += [
            f"{delta:+.4f}",
            _mean_std([r[f1_key] for r in group]),
            str(round(np.mean([r["n_unlabeled_removed"] for r in group]))),
            _mean_std(precision) if precision else "",
            f"{np.mean([r['fit_seconds'] for r in group]):.0f}",
        ]
        lines.append("| " + " | ".join(line) + " |")
    provenance = {
        (r["provenance"]["commit"], r["provenance"]["backend"], r["provenance"]["device"])
        for r in rows
    }
    lines.append("")
    for commit, backend, device in sorted(provenance):
        lines.append(f"Provenance: commit `{commit}`, backend {backend}, {device}.")
    seeds = sorted({r["seed"] for r in rows})
    lines.append(f"Seeds: {seeds}; +- is the sample standard deviation over seeds.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(summarize(sys.argv[1:]))
