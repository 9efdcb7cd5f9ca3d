"""Did two runs of one grid give the same numbers? Compare run folders cell by cell.

    semisup bench compare runs/det-a runs/det-b runs/nondet

GPU kernels that sum with atomics, and autotuned kernel choices, make two runs of one seed
differ; XLA's `--xla_gpu_deterministic_ops=true` (each row records `$XLA_FLAGS` in
`provenance.xla_flags`) is meant to remove that. This reads the rows of each folder, pairs every
cell of the first folder (the reference) with the same `cell_id` in each other folder, and
compares what they predicted: whether the saved class probabilities are bitwise identical, the
largest difference of a probability, the share of images given another class, and the test
accuracies. Beside them, the speed of each run: the median seconds between monitored epochs
after the first (the training step's pace, without compilation; needs `monitor_every`) and the
whole fit's seconds.

Example:
    >>> from semisup.bench.compare import compare_runs
    >>> rows = compare_runs(["runs/det-a", "runs/det-b"])  # doctest: +SKIP
    >>> rows[0]["identical"]  # doctest: +SKIP
    True
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from semisup.bench._calibration import _saved_arrays
from semisup.bench.report import _cell, load_rows


def epoch_seconds(row: dict) -> float | None:
    """Median seconds an epoch between consecutive monitored points of the row's first training
    phase (each point is the training time at the end of its epoch, so the first epoch, which
    holds the compilation, is left out; points every N epochs count N epochs); None with fewer
    than two points."""
    curve = [point for point in row.get("test_curve") or [] if point.get("phase", 0) == 0]
    if len(curve) < 2:
        return None
    seconds = np.diff([float(point["seconds"]) for point in curve])
    epochs = np.diff([int(point["epoch"]) for point in curve])
    return float(np.median(seconds / np.maximum(epochs, 1)))


def _compare_pair(reference: dict | None, other: dict | None, test_split: str) -> dict:
    if reference is None or other is None:
        return {"identical": None, "max_abs_diff": None, "changed_predictions": None}
    if reference.keys() != other.keys():
        raise ValueError(
            f"the predictions files hold different arrays ({sorted(reference)} against "
            f"{sorted(other)}): they are not from one grid's cell."
        )
    for key in reference:
        if reference[key].shape != other[key].shape:
            raise ValueError(
                f"{key} has shape {reference[key].shape} in one run and {other[key].shape} in "
                "the other: they are not from one grid's cell."
            )
    identical = all(np.array_equal(reference[key], other[key]) for key in reference)
    probabilities = [key for key in reference if key.startswith("proba_")]
    max_abs = max(
        (
            float(np.max(np.abs(reference[key].astype(np.float64) - other[key])))
            for key in probabilities
        ),
        default=0.0,
    )
    key = f"proba_{test_split}"
    changed = None
    if key in reference:
        changed = float(np.mean(reference[key].argmax(-1) != other[key].argmax(-1)))
    return {"identical": identical, "max_abs_diff": max_abs, "changed_predictions": changed}


def compare_runs(run_dirs: list[str | os.PathLike]) -> list[dict]:
    """One dict per (cell, other run): the first folder's cell against the same cell of each
    other folder.

    Args:
        run_dirs: two or more run folders; the first is the reference.

    Returns:
        Dicts with `cell_id`, `run` (the other folder), `identical` (every saved array equal
        bit for bit; None where a predictions file is missing), `max_abs_diff` (the largest
        difference of a saved probability), `changed_predictions` (share of test images given
        another class), `accuracy_reference` and `accuracy`, `epoch_seconds_reference` and
        `epoch_seconds`, `fit_seconds_reference` and `fit_seconds`, `xla_flags_reference` and
        `xla_flags`.

    Raises:
        ValueError: fewer than two folders, or no cell in common between the first and another.
        FileNotFoundError: a folder without `results.jsonl`.
    """
    if len(run_dirs) < 2:
        raise ValueError(f"compare needs two or more run folders, got {len(run_dirs)}.")
    folders = [Path(run_dir) for run_dir in run_dirs]
    rows = [{row["cell_id"]: row for row in load_rows(folder)} for folder in folders]
    reference_dir, reference_rows = folders[0], rows[0]
    out = []
    for folder, cells in zip(folders[1:], rows[1:]):
        common = [cell for cell in reference_rows if cell in cells]
        if not common:
            raise ValueError(
                f"{folder} has no cell in common with {reference_dir} (cells are matched by "
                "cell_id: data set, strategy, filter, budget, seed and encoder)."
            )
        for cell in common:
            first, second = reference_rows[cell], cells[cell]
            # as saved, not renormalised: the comparison is bit for bit
            pair = _compare_pair(
                _saved_arrays(first, reference_dir),
                _saved_arrays(second, folder),
                first.get("test_split", ""),
            )
            out.append(
                {
                    "cell_id": cell,
                    "run": str(folder),
                    **pair,
                    "accuracy_reference": first["metrics"]["accuracy"],
                    "accuracy": second["metrics"]["accuracy"],
                    "epoch_seconds_reference": epoch_seconds(first),
                    "epoch_seconds": epoch_seconds(second),
                    "fit_seconds_reference": first.get("fit_seconds"),
                    "fit_seconds": second.get("fit_seconds"),
                    "xla_flags_reference": (first.get("provenance") or {}).get("xla_flags"),
                    "xla_flags": (second.get("provenance") or {}).get("xla_flags"),
                }
            )
    return out


def _number(value, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def format_comparison(rows: list[dict], reference: str | os.PathLike) -> str:
    """The rows of `compare_runs` as a Markdown table, against the named reference folder."""
    lines = [
        f"Against {reference} (the reference):",
        "",
        "| cell | run | identical | max abs diff | predictions changed | accuracy "
        "(reference / run) | s per epoch (reference / run) | fit s (reference / run) | "
        "XLA flags (reference / run) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        identical = {True: "**yes**", False: "no", None: "n/a"}[row["identical"]]
        changed = row["changed_predictions"]
        lines.append(
            f"| {_cell(row['cell_id'])} | {_cell(row['run'])} | {identical} | "
            f"{_number(row['max_abs_diff'], 4)} | "
            f"{'n/a' if changed is None else f'{changed:.2%}'} | "
            f"{row['accuracy_reference']:.4f} / {row['accuracy']:.4f} | "
            f"{_number(row['epoch_seconds_reference'], 2)} / {_number(row['epoch_seconds'], 2)} | "
            f"{_number(row['fit_seconds_reference'], 1)} / {_number(row['fit_seconds'], 1)} | "
            f"{row['xla_flags_reference'] or 'none'} / {row['xla_flags'] or 'none'} |"
        )
    return "\n".join(lines)
