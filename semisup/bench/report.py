"""Turn a benchmark run's `results.jsonl` into `report.md` with tables and plots.

The rows are the ones `semisup.bench.runner` appends, one JSON object per finished cell (see
`SCHEMA.md` beside this file). The report is pure numpy + matplotlib and never imports Keras, so it
runs on any laptop in seconds, also while a run is still writing rows on a GPU machine.

Example:
    >>> from semisup.bench.report import load_rows, summary_table, write_report
    >>> rows = load_rows("runs/fer2013")  # doctest: +SKIP
    >>> table = summary_table(rows)  # doctest: +SKIP
    >>> write_report("runs/fer2013")  # doctest: +SKIP
    PosixPath('runs/fer2013/report.md')
"""

from __future__ import annotations

import json
import math
import os
import re
import textwrap
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.ticker import PercentFormatter

from semisup._atomic import atomic_path
from semisup.bench._calibration import calibration_lines, per_class_lines
from semisup.bench.config import parse_strategy
from semisup.evaluation import plots

RESULTS_FILE_NAME = "results.jsonl"
"""The file a run directory's rows are appended to."""

REPORT_FILE_NAME = "report.md"
"""The report `write_report` writes."""

REQUIRED_KEYS = (
    "cell_id",
    "dataset",
    "test_split",
    "budget",
    "encoder",
    "strategy",
    "filter",
    "seed",
    "metrics",
)
"""Keys every row must have for the tables to be computed (all others are optional)."""

BASELINE_STRATEGY = "supervised"
"""The strategy every other one is compared with (with filter `NO_FILTER`)."""

NO_FILTER = "none"
"""The filter setting of runs on the whole unlabeled pool."""


class ResultsFileWarning(UserWarning):
    """A results file had a torn last line or a cell written twice; the report went on without it.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("error", ResultsFileWarning)  # a torn file now raises
    """


# --------------------------------------------------------------------------------------------
# Reading


def _results_path(path_or_run_dir: str | os.PathLike) -> Path:
    path = Path(path_or_run_dir)
    if path.is_dir():
        path = path / RESULTS_FILE_NAME
    if not path.is_file():
        raise FileNotFoundError(
            f"No results file at {path}: pass a run directory holding {RESULTS_FILE_NAME} "
            "or the path of a .jsonl file."
        )
    return path


def _parse_line(raw_line: bytes) -> object:
    return json.loads(raw_line.decode("utf-8"))


def _check_row(row: object, path: Path, line_number: int) -> dict:
    if not isinstance(row, dict):
        raise ValueError(
            f"{path}, line {line_number}: a result row must be a JSON object, "
            f"got {type(row).__name__}."
        )
    missing = [key for key in REQUIRED_KEYS if key not in row]
    metrics = row.get("metrics")
    if "metrics" in row and not (isinstance(metrics, dict) and "accuracy" in metrics):
        missing.append("metrics.accuracy")
    if missing:
        raise ValueError(
            f"{path}, line {line_number}: missing {', '.join(missing)}. Rows follow "
            "semisup/bench/SCHEMA.md (rows of benchmarks/run_strategies.py use an older format)."
        )
    return row


def load_rows(path_or_run_dir: str | os.PathLike) -> list[dict]:
    """The result rows of a run, one dict per cell, in file order.

    A run killed while writing leaves a torn last line; that line is skipped with a warning (the
    runner re-runs the cell on resume). Anything wrong before the last line means the file was
    damaged or written by something else, so it is an error rather than a silently shorter table.

    Args:
        path_or_run_dir: a run directory (its `results.jsonl` is read) or a `.jsonl` file.

    Returns:
        The rows as dicts. A `cell_id` written more than once (a cell re-run) appears once: its
        last row, at the position of that last row.

    Raises:
        FileNotFoundError: no results file there.
        ValueError: a line other than the last is not a JSON object with the keys of
            `REQUIRED_KEYS` (the message names the file and line).

    Warns:
        ResultsFileWarning: a torn last line (no trailing newline, or not valid JSON) was
            skipped, or a `cell_id` appeared more than once (file and line numbers named).

    Example:
        >>> import json, tempfile, pathlib
        >>> run_dir = pathlib.Path(tempfile.mkdtemp())
        >>> row = {"cell_id": "a", "dataset": "digits", "test_split": "test", "budget": "k:5",
        ...        "encoder": "conv4", "strategy": "supervised", "filter": "none", "seed": 0,
        ...        "metrics": {"accuracy": 0.9}}
        >>> _ = (run_dir / "results.jsonl").write_text(json.dumps(row) + "\\n")
        >>> [row["cell_id"] for row in load_rows(run_dir)]
        ['a']
    """
    path = _results_path(path_or_run_dir)
    # Bytes, not text: a write cut inside a multi-byte character must only tear the last line.
    raw_lines = path.read_bytes().split(b"\n")
    # After split, the last element is what follows the final newline: empty for a whole file.
    terminated = [True] * (len(raw_lines) - 1) + [False]
    numbered = [
        (index + 1, raw_line, is_terminated)
        for index, (raw_line, is_terminated) in enumerate(zip(raw_lines, terminated))
        if raw_line.strip()
    ]
    rows_by_cell: dict[str, dict] = {}
    line_of_cell: dict[str, int] = {}
    for position, (line_number, raw_line, is_terminated) in enumerate(numbered):
        is_last = position == len(numbered) - 1
        try:
            row = _parse_line(raw_line)
            problem = None if is_terminated else "has no trailing newline"
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            row, problem = None, f"is not valid JSON ({error})"
        if problem is not None:
            if not is_last:
                raise ValueError(f"{path}, line {line_number}: {problem}.")
            warnings.warn(
                f"{path}, line {line_number}: skipped a torn last line, which {problem} "
                "(a run stopped while writing it; resuming the run re-runs that cell).",
                ResultsFileWarning,
                stacklevel=2,
            )
            continue
        row = _check_row(row, path, line_number)
        cell_id = str(row["cell_id"])
        if cell_id in rows_by_cell:
            warnings.warn(
                f"{path}: cell {cell_id!r} appears on lines {line_of_cell[cell_id]} and "
                f"{line_number}; keeping the later row.",
                ResultsFileWarning,
                stacklevel=2,
            )
            del rows_by_cell[cell_id]  # re-inserted below, so it sits where its last row was
        rows_by_cell[cell_id] = row
        line_of_cell[cell_id] = line_number
    return list(rows_by_cell.values())


# --------------------------------------------------------------------------------------------
# Summary


def _mean_std(values: Iterable[float | None]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (ddof=1) of the values that were measured.

    None (not measured) and NaN are left out; the std is None with fewer than two values.
    """
    present = [float(value) for value in values if value is not None and not math.isnan(value)]
    if not present:
        return None, None
    if len(present) == 1:
        return present[0], None
    return float(np.mean(present)), float(np.std(present, ddof=1))


def _fraction_removed(row: dict) -> float | None:
    if row.get("fraction_removed") is not None:
        return float(row["fraction_removed"])
    if row.get("n_unlabeled"):
        return float(row.get("n_unlabeled_removed") or 0) / float(row["n_unlabeled"])
    return None


def _budget_sort_key(budget: str) -> tuple:
    # "k:25" budgets sort by their number (k:5 before k:25); named budgets ("seed") come first.
    name, _, number = str(budget).partition(":")
    try:
        return (1, name, float(number))
    except ValueError:
        return (0, str(budget), 0.0)


def _filter_sort_key(filter_name: str) -> tuple:
    # "none" first, then by method, then by nu as a number (0.05 before 0.1 before 0.15).
    if filter_name == NO_FILTER:
        return (0, "", 0.0, "")
    method, _, parameter = str(filter_name).partition(":")
    try:
        return (1, method, float(parameter), filter_name)
    except ValueError:
        return (1, method, math.inf, filter_name)


def _seed_sort_key(seed: object) -> tuple:
    # Seeds are integers in practice; sort them as numbers (2 before 10), anything else after.
    is_number = isinstance(seed, int | float) and not isinstance(seed, bool)
    return (0, seed, "") if is_number else (1, 0, str(seed))


def _strategy_sort_key(strategy: str) -> tuple:
    return (strategy != BASELINE_STRATEGY, strategy)


def _group_of(row_or_entry: dict) -> tuple:
    """The table a row or summary entry belongs to: dataset, budget, encoder, test split."""
    return (
        row_or_entry["dataset"],
        row_or_entry["budget"],
        row_or_entry["encoder"],
        row_or_entry["test_split"],
    )


def _group_sort_key(group: tuple) -> tuple:
    dataset, budget, encoder, test_split = group
    return (str(dataset), _budget_sort_key(budget), str(encoder), str(test_split))


def _entry_sort_key(entry: dict) -> tuple:
    return (
        _group_sort_key(_group_of(entry)),
        _strategy_sort_key(entry["strategy"]),
        _filter_sort_key(entry["filter"]),
    )


def _metric(row: dict, name: str) -> float | None:
    return (row.get("metrics") or {}).get(name)


def _pseudo_label_precision(row: dict) -> float | None:
    return row.get("pseudo_label_precision")


def _mean(values: Iterable[float | None]) -> float | None:
    return _mean_std(values)[0]


PARTIAL_TIME_MARK = "†"
PARTIAL_TIME_NOTE = (
    f"{PARTIAL_TIME_MARK} resumed from a checkpoint whose epochs have no logged times (written "
    "before semisup logged them): fit s counts only the training after the resume, so it is "
    "less than the cell's whole training time, and images/s is left out."
)


def _partial_time(row: dict) -> bool:
    """Whether a row's `fit_seconds` misses part of its training: the cell resumed from a
    checkpoint (`resumed_from_epoch` > 0) whose earlier epochs' time is unknown
    (`resumed_seconds` null, or absent in rows written before it existed)."""
    resumed = any((epoch or 0) > 0 for epoch in (row.get("resumed_from_epoch") or {}).values())
    return resumed and row.get("resumed_seconds") is None


def _seconds_cell(seconds: float | None, partial: bool) -> str:
    return _number(seconds, digits=1) + (f" {PARTIAL_TIME_MARK}" if partial else "")


LAST_EPOCH = "last epoch"


def _last_epoch_evaluation(row: dict) -> dict | None:
    """For a row that predicted with a selected epoch (`best_epoch`, SCHEMA.md), the test
    accuracy of its last epoch, from the `test_curve`: `{"accuracy": ...}`, or None where the
    row did not select or the curve did not measure the last epoch (monitor_every not dividing
    the epochs, monitoring off). Reported beside the selected epoch's, so that both are seen."""
    training_length = row.get("training_length") or {}
    epochs = training_length.get("epochs")
    curve = [point for point in row.get("test_curve") or [] if isinstance(point, dict)]
    if not row.get("best_epoch") or not epochs or not curve:
        return None
    last_phase = max(point.get("phase", 0) for point in curve)
    last = [point for point in curve if point.get("phase", 0) == last_phase][-1]
    if last.get("epoch") != epochs or not _is_measured(last.get("accuracy")):
        return None
    return {"accuracy": float(last["accuracy"])}


def _evaluations(row: dict) -> dict:
    """A row's extra evaluations, with its last epoch's accuracy where it selected another."""
    evaluations = dict(row.get("extra_evaluations") or {})
    last_epoch = _last_epoch_evaluation(row)
    if last_epoch is not None:
        evaluations[LAST_EPOCH] = last_epoch
    return evaluations


def _summarize_seeds(group: list[dict]) -> dict:
    """The summary entry of the rows of one strategy and filter in one table (one per seed)."""
    group = sorted(group, key=lambda row: _seed_sort_key(row["seed"]))
    first = group[0]
    accuracy_mean, accuracy_std = _mean_std(_metric(row, "accuracy") for row in group)
    macro_f1_mean, macro_f1_std = _mean_std(_metric(row, "macro_f1") for row in group)
    fraction_mean, fraction_std = _mean_std(_fraction_removed(row) for row in group)
    extra_evaluations = {}
    row_evaluations = [_evaluations(row) for row in group]
    for name in sorted({name for evaluations in row_evaluations for name in evaluations}):
        evaluations = [row_evaluation.get(name) or {} for row_evaluation in row_evaluations]
        extra_mean, extra_std = _mean_std(evaluation.get("accuracy") for evaluation in evaluations)
        extra_evaluations[name] = {
            "accuracy_mean": extra_mean,
            "accuracy_std": extra_std,
            "macro_f1_mean": _mean(evaluation.get("macro_f1") for evaluation in evaluations),
            "seeds": [
                row["seed"]
                for row, evaluation in zip(group, evaluations)
                if evaluation.get("accuracy") is not None
            ],
        }
    nu_values = {row["nu"] for row in group if row.get("nu") is not None}
    return {
        **{key: first[key] for key in ("dataset", "test_split", "budget", "encoder")},
        "strategy": first["strategy"],
        "filter": first["filter"],
        "nu": nu_values.pop() if len(nu_values) == 1 else None,
        "seeds": [row["seed"] for row in group],
        "n_seeds": len(group),
        "accuracy_mean": accuracy_mean,
        "accuracy_std": accuracy_std,
        "macro_f1_mean": macro_f1_mean,
        "macro_f1_std": macro_f1_std,
        "ece_mean": _mean(_metric(row, "ece") for row in group),
        "accuracy_vs_supervised": None,  # filled in once every entry's mean is known
        "fraction_removed_mean": fraction_mean,
        "fraction_removed_std": fraction_std,
        "fit_seconds_mean": _mean(row.get("fit_seconds") for row in group),
        "fit_seconds_partial": any(_partial_time(row) for row in group),
        # a partial time over all the images seen would overstate the rate
        "images_per_second_mean": _mean(
            row.get("images_per_second") for row in group if not _partial_time(row)
        ),
        "pseudo_label_precision_mean": _mean(_pseudo_label_precision(row) for row in group),
        "extra_evaluations": extra_evaluations,
    }


def summary_table(rows: Sequence[dict]) -> list[dict]:
    """One entry per (dataset, test split, budget, encoder, strategy, filter), over seeds.

    Args:
        rows: result rows as `load_rows` returns them.

    Returns:
        Entries in report order (dataset, budget, encoder, test split, then `supervised` first
        and the other strategies by name, then filter `"none"` first and the others by method
        and nu). Each entry has the six keys above and:

        - `nu`: the filter's nu (None without a filter), `seeds`: the seeds, sorted, and
          `n_seeds`: how many;
        - `accuracy_mean`, `accuracy_std`, `macro_f1_mean`, `macro_f1_std`: over seeds, the std
          being the sample std (ddof=1) and None for a single seed;
        - `ece_mean`: None where no row measured it;
        - `accuracy_vs_supervised`: `accuracy_mean` minus that of the supervised strategy with
          filter `"none"` on the same dataset, test split, budget and encoder (None if that
          baseline was not run);
        - `fraction_removed_mean`, `fraction_removed_std`, `fit_seconds_mean`,
          `images_per_second_mean`, `pseudo_label_precision_mean`;
        - `extra_evaluations`: `{evaluation name: {"accuracy_mean", "accuracy_std",
          "macro_f1_mean", "seeds"}}` for the other test sets (or test-time augmentations) the
          rows report, `seeds` naming those that were evaluated so; for rows that predicted
          with a selected epoch (`best_epoch`), `"last epoch"` holds the test accuracy of their
          last epoch, read from the `test_curve` where it measured that epoch.

    Example:
        >>> base = {"dataset": "digits", "test_split": "test", "budget": "k:5", "encoder": "conv4",
        ...         "filter": "none"}
        >>> runs = [(0, "supervised", 0.80), (1, "supervised", 0.90), (0, "self_training", 0.88)]
        >>> rows = [dict(base, cell_id=str(seed) + strategy, strategy=strategy, seed=seed,
        ...              metrics={"accuracy": accuracy}) for seed, strategy, accuracy in runs]
        >>> [(e["strategy"], round(e["accuracy_vs_supervised"], 2)) for e in summary_table(rows)]
        [('supervised', 0.0), ('self_training', 0.03)]
    """
    rows_by_entry: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        rows_by_entry[(*_group_of(row), row["strategy"], row["filter"])].append(row)
    entries = [_summarize_seeds(group) for group in rows_by_entry.values()]

    baselines = {
        _group_of(entry): entry["accuracy_mean"]
        for entry in entries
        if entry["strategy"] == BASELINE_STRATEGY and entry["filter"] == NO_FILTER
    }
    for entry in entries:
        baseline = baselines.get(_group_of(entry))
        if baseline is not None and entry["accuracy_mean"] is not None:
            entry["accuracy_vs_supervised"] = entry["accuracy_mean"] - baseline
    return sorted(entries, key=_entry_sort_key)


# --------------------------------------------------------------------------------------------
# Markdown


def _number(value: float | None, digits: int = 4, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:{'+' if signed else ''}.{digits}f}"


def _mean_plus_minus(
    mean: float | None, std: float | None, digits: int = 4, signed: bool = False
) -> str:
    if mean is None:
        return "n/a"
    if std is None:
        return _number(mean, digits, signed)
    return f"{_number(mean, digits, signed)} +- {_number(std, digits)}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _cell(value: object) -> str:
    # A cell_id contains "|", which would split a Markdown table cell.
    return str(value).replace("|", "\\|")


def _table(header: Sequence[str], body: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(name) for name in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines.extend("| " + " | ".join(_cell(value) for value in row) + " |" for row in body)
    return lines


def _extra_cell(extra: dict | None, n_seeds: int) -> str:
    """An extra evaluation's accuracy; where only some of the entry's seeds were evaluated so,
    it says which, so that it is not read as a mean over all of them."""
    if not extra:
        return "n/a"
    text = _mean_plus_minus(extra["accuracy_mean"], extra["accuracy_std"])
    seeds = extra.get("seeds")
    if seeds is not None and 0 < len(seeds) < n_seeds:
        label = "seed" if len(seeds) == 1 else "seeds"
        text += f" ({label} {', '.join(str(seed) for seed in seeds)} only)"
    return text


def _summary_lines(entries: Sequence[dict]) -> list[str]:
    extra_names = sorted({name for entry in entries for name in entry["extra_evaluations"]})
    show_precision = any(entry["pseudo_label_precision_mean"] is not None for entry in entries)
    test_split = entries[0]["test_split"]
    header = ["strategy", "filter", "seeds", f"accuracy [{test_split}]"]
    header += [f"accuracy [{name}]" for name in extra_names]
    header += ["vs supervised", "macro-F1", "ECE", "removed (%)"]
    header += ["pseudo-label precision"] if show_precision else []
    header += ["fit s", "images/s"]
    body = []
    for entry in entries:
        line = [
            entry["strategy"],
            entry["filter"],
            entry["n_seeds"],
            _mean_plus_minus(entry["accuracy_mean"], entry["accuracy_std"]),
        ]
        for name in extra_names:
            extra = entry["extra_evaluations"].get(name)
            line.append(_extra_cell(extra, entry["n_seeds"]))
        fraction = entry["fraction_removed_mean"]
        line += [
            _number(entry["accuracy_vs_supervised"], signed=True),
            _mean_plus_minus(entry["macro_f1_mean"], entry["macro_f1_std"]),
            _number(entry["ece_mean"]),
            _number(None if fraction is None else 100 * fraction, digits=1),
        ]
        if show_precision:
            line.append(_number(entry["pseudo_label_precision_mean"]))
        images_per_second = entry["images_per_second_mean"]
        line += [
            _seconds_cell(entry["fit_seconds_mean"], entry.get("fit_seconds_partial", False)),
            "n/a" if images_per_second is None else f"{images_per_second:,.0f}",
        ]
        body.append(line)
    lines = _table(header, body)
    if any(entry.get("fit_seconds_partial") for entry in entries):
        lines += ["", PARTIAL_TIME_NOTE]
    return lines


# --------------------------------------------------------------------------------------------
# Plots of one table (dataset x budget x encoder x test split)


def _slug(*parts: object) -> str:
    """File-name-safe parts joined by "_": "wide_resnet[widen_factor=4]" gives
    "wide-resnet-widen-factor-4"."""
    return "_".join(re.sub(r"[^A-Za-z0-9.-]+", "-", str(part)).strip("-") for part in parts)


def _first_seed_rows(rows: Sequence[dict]) -> dict[tuple[str, str], dict]:
    """For each (strategy, filter), its row of the lowest seed, in report order."""
    first: dict[tuple[str, str], dict] = {}
    for row in sorted(rows, key=lambda row: _seed_sort_key(row["seed"])):
        first.setdefault((row["strategy"], row["filter"]), row)
    return dict(
        sorted(
            first.items(),
            key=lambda item: (_strategy_sort_key(item[0][0]), _filter_sort_key(item[0][1])),
        )
    )


def _by_strategy_and_filter(
    entries: Sequence[dict], key: str, filters: Sequence[str]
) -> tuple[list[str], list[list[float | None]]]:
    """The strategies of `entries` and `entry[key]` as a strategies x filters matrix."""
    strategies = sorted({entry["strategy"] for entry in entries}, key=_strategy_sort_key)
    by_pair = {(entry["strategy"], entry["filter"]): entry for entry in entries}
    matrix = [
        [by_pair.get((strategy, filter_name), {}).get(key) for filter_name in filters]
        for strategy in strategies
    ]
    return strategies, matrix


# Each _draw_* function draws one kind of plot for one table and returns the Markdown caption
# above it, or None when the rows hold nothing to draw (the report then says it was skipped).


def _draw_accuracy(entries: list[dict], rows: list[dict], path: Path, caption: str) -> str:
    filters = sorted({entry["filter"] for entry in entries}, key=_filter_sort_key)
    strategies, means = _by_strategy_and_filter(entries, "accuracy_mean", filters)
    _, stds = _by_strategy_and_filter(entries, "accuracy_std", filters)
    baseline = [
        entry["accuracy_mean"]
        for entry in entries
        if entry["strategy"] == BASELINE_STRATEGY and entry["filter"] == NO_FILTER
    ]
    plots.plot_accuracy_by_strategy(
        strategies,
        filters,
        means,
        stds,
        path,
        baseline_accuracy=baseline[0] if baseline else None,
        title=f"Test accuracy per strategy\n{caption}",
    )
    return (
        "**Accuracy per strategy and filter** (error bars: std over seeds; dashed line: "
        "supervised baseline, where it was run)"
    )


def _test_curve(row: dict) -> dict | None:
    """A row's `test_curve` (SCHEMA.md) as `{"seconds", "accuracy"}` for the plot, ending at the
    row's final point (fit_seconds, accuracy); None for a row without one (monitoring off, or a
    row written before it existed)."""
    points = [
        point
        for point in row.get("test_curve") or []
        if isinstance(point, dict)
        and _is_measured(point.get("accuracy"))
        and (point.get("seconds") or 0) > 0
    ]
    if not points:
        return None
    seconds = [float(point["seconds"]) for point in points]
    accuracy = [float(point["accuracy"]) for point in points]
    final_seconds, final_accuracy = row.get("fit_seconds"), _metric(row, "accuracy")
    if _is_measured(final_accuracy) and (final_seconds or 0) >= seconds[-1]:
        seconds.append(float(final_seconds))
        accuracy.append(float(final_accuracy))
    return {"seconds": seconds, "accuracy": accuracy}


def _draw_accuracy_vs_time(entries: list[dict], rows: list[dict], path: Path, caption: str):
    points = [
        entry
        for entry in entries
        if entry.get("accuracy_mean") is not None and (entry.get("fit_seconds_mean") or 0) > 0
    ]
    # a time that misses the part before a resume would put the point too far left
    partial = [
        f"{entry['strategy']} / {entry['filter']}"
        for entry in points
        if entry.get("fit_seconds_partial")
    ]
    points = [entry for entry in points if not entry.get("fit_seconds_partial")]
    left_out = (
        f"; left out, their time counted only after a resume ({PARTIAL_TIME_MARK}): "
        + ", ".join(partial)
        if partial
        else ""
    )
    if not points:
        return None
    seconds_std, curves, curve_seeds, every = [], [], set(), set()
    for entry in points:
        runs = sorted(
            (
                row
                for row in rows
                if row["strategy"] == entry["strategy"] and row["filter"] == entry["filter"]
            ),
            key=lambda row: _seed_sort_key(row["seed"]),
        )
        times = [row["fit_seconds"] for row in runs if row.get("fit_seconds") is not None]
        seconds_std.append(float(np.std(times, ddof=1)) if len(times) > 1 else None)
        # the line of the lowest seed that has one
        curve = None
        for row in runs:
            curve = _test_curve(row)
            if curve is not None:
                curve_seeds.add(row["seed"])
                every.add(row.get("monitor_every"))
                break
        curves.append(curve)
    has_curves = any(curve is not None for curve in curves)
    plots.plot_accuracy_vs_time(
        [f"{entry['strategy']} / {entry['filter']}" for entry in points],
        [entry["fit_seconds_mean"] for entry in points],
        [entry["accuracy_mean"] for entry in points],
        path,
        seconds_std=seconds_std,
        accuracy_std=[entry["accuracy_std"] for entry in points],
        curves=curves if has_curves else None,
        title=f"Test accuracy against training time\n{caption}",
    )
    heading = (
        "**Accuracy against training time** (markers: mean over seeds, error bars: std; wall time "
        "of the fit on the device as it was shared, see the provenance section"
    )
    if not has_curves:
        return heading + left_out + ")"
    seeds = sorted(curve_seeds, key=_seed_sort_key)
    every_text = ", ".join(str(value) for value in sorted(every, key=str) if value is not None)
    lines = (
        f"; lines: test accuracy measured during training, one seed per run (the lowest with a "
        f"curve: seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}), "
        + (f"every {every_text} epoch(s) of each training phase, " if every_text else "")
        + "ending at that seed's final accuracy; phases that cannot classify (autoencoder or "
        "contrastive pretraining) have no points, and the time spent measuring is left out of "
        "the time axis"
    )
    missing = [
        f"{entry['strategy']} / {entry['filter']}"
        for entry, curve in zip(points, curves)
        if curve is None
    ]
    if missing:
        lines += f"; no curve recorded for {', '.join(missing)}"
    return heading + lines + left_out + ")"


def _draw_training_curves(
    entries: list[dict], rows: list[dict], path: Path, caption: str
) -> str | None:
    curves, validation_curves = {}, {}
    for (strategy, filter_name), row in _first_seed_rows(rows).items():
        history = row.get("history") or {}
        losses = {phase: record.get("loss") or [] for phase, record in history.items()}
        if any(losses.values()):
            label = f"{strategy} / {filter_name} (seed {row['seed']})"
            curves[label] = losses
            validation_curves[label] = {
                phase: record.get("val_loss") or [] for phase, record in history.items()
            }
    if not curves:
        return None
    plots.plot_training_curves(
        curves,
        path,
        validation_curves=validation_curves,
        title=f"Loss per epoch, first seed of each run\n{caption}",
    )
    return (
        "**Training curves** of the first seed of each run (phases end to end, dotted lines "
        "between them; dashed: validation loss, where recorded)"
    )


def _draw_confusion_matrix(
    entries: list[dict], rows: list[dict], path: Path, caption: str
) -> str | None:
    first_rows = _first_seed_rows(rows)
    candidates = [
        entry
        for entry in entries
        if entry["accuracy_mean"] is not None
        and first_rows[(entry["strategy"], entry["filter"])].get("confusion_matrix")
    ]
    if not candidates:
        return None
    best = max(candidates, key=lambda entry: entry["accuracy_mean"])
    row = first_rows[(best["strategy"], best["filter"])]
    counts = row["confusion_matrix"]
    class_names = row.get("class_names") or [str(index) for index in range(len(counts))]
    plots.plot_confusion_matrix(
        counts,
        class_names,
        path,
        title=(
            f"Confusion matrix, {caption}\n{best['strategy']} / {best['filter']}, "
            f"seed {row['seed']}, {row['test_split']}"
        ),
    )
    return (
        f"**Confusion matrix** of the best run by mean accuracy, {best['strategy']} / "
        f"{best['filter']} ({_number(best['accuracy_mean'])}): seed {row['seed']}, "
        "normalised by true class (rows sum to 1)"
    )


def _draw_fraction_removed(
    entries: list[dict], rows: list[dict], path: Path, caption: str
) -> str | None:
    filtered = [entry for entry in entries if entry["filter"] != NO_FILTER]
    if not any(entry["fraction_removed_mean"] is not None for entry in filtered):
        return None
    filters = sorted({entry["filter"] for entry in filtered}, key=_filter_sort_key)
    strategies, means = _by_strategy_and_filter(filtered, "fraction_removed_mean", filters)
    _, stds = _by_strategy_and_filter(filtered, "fraction_removed_std", filters)
    nu_of_filter = {entry["filter"]: entry["nu"] for entry in filtered if entry["nu"] is not None}
    plots.plot_fraction_removed(
        strategies,
        filters,
        means,
        stds,
        path,
        nominal_fractions=[nu_of_filter.get(filter_name) for filter_name in filters],
        title=f"Unlabeled pool removed by the filter\n{caption}",
    )
    return "**Unlabeled pool removed by the filter** (black ticks: nu, the intended fraction)"


def _draw_self_training_rounds(
    entries: list[dict], rows: list[dict], path: Path, caption: str
) -> str | None:
    series, groups = {}, {}
    rows_with_rounds = sorted(
        (row for row in rows if row.get("rounds")),
        key=lambda row: (
            _strategy_sort_key(row["strategy"]),
            _filter_sort_key(row["filter"]),
            _seed_sort_key(row["seed"]),
        ),
    )
    for row in rows_with_rounds:
        prefix = "" if row["strategy"] == "self_training" else f"{row['strategy']}, "
        label = f"{prefix}{row['filter']}, seed {row['seed']}"
        groups[label] = f"{prefix}{row['filter']}"  # one colour per filter setting
        series[label] = {
            "round": [record.get("round") for record in row["rounds"]],
            "n_pseudo": [record.get("n_pseudo") for record in row["rounds"]],
            "precision": [record.get("precision") for record in row["rounds"]],
        }
    if not series:
        return None
    plots.plot_self_training_rounds(
        series, path, groups=groups, title=f"Self-training: pseudo-labels per round\n{caption}"
    )
    return (
        "**Self-training rounds**: pseudo-labels in use after each round, and their precision "
        "against the pool's held-back labels"
    )


ENCODERS_PREFIX = "encoders"


def _encoder_lines(entries: Sequence[dict], plot_dir: Path, out_dir: Path) -> list[str]:
    """Strategy x encoder: for each data set, budget and test split whose entries span more than
    one encoder, a table of mean accuracy (a row per strategy and filter, a column per encoder,
    the best encoder of each row in bold) and the same as grouped bars. Nothing for a run of
    one encoder."""
    by_table: dict[tuple, list[dict]] = defaultdict(list)
    for entry in entries:
        by_table[(entry["dataset"], entry["budget"], entry["test_split"])].append(entry)
    lines: list[str] = []
    # the per-encoder tables' order, all encoders at once
    for key in sorted(by_table, key=lambda k: _group_sort_key((k[0], k[1], "", k[2]))):
        group = by_table[key]
        encoders = sorted({str(entry["encoder"]) for entry in group})
        if len(encoders) < 2:
            continue
        dataset, budget, test_split = key
        cells = {
            (entry["strategy"], entry["filter"], str(entry["encoder"])): entry for entry in group
        }
        pairs = sorted(
            {(entry["strategy"], entry["filter"]) for entry in group},
            key=lambda pair: (_strategy_sort_key(pair[0]), _filter_sort_key(pair[1])),
        )
        # where the columns ran different numbers of seeds, each cell says how many
        name_seeds = len({entry["n_seeds"] for entry in group}) > 1
        body, means, stds = [], [], []
        for strategy, filter_name in pairs:
            row_entries = [cells.get((strategy, filter_name, encoder)) for encoder in encoders]
            row_means = [None if entry is None else entry["accuracy_mean"] for entry in row_entries]
            measured = [mean for mean in row_means if _is_measured(mean)]
            best = max(measured) if len(measured) > 1 else None
            line = [strategy, filter_name]
            for entry, mean in zip(row_entries, row_means):
                if entry is None:
                    line.append("not run")
                    continue
                text = _mean_plus_minus(mean, entry["accuracy_std"])
                if name_seeds:
                    text += f" ({_count(entry['n_seeds'], 'seed')})"
                line.append(f"**{text}**" if best is not None and mean == best else text)
            body.append(line)
            means.append(row_means)
            stds.append([None if entry is None else entry["accuracy_std"] for entry in row_entries])
        lines += [
            f"## Strategy x encoder: {dataset}, budget `{budget}`, test split {test_split}",
            "",
            "Mean test accuracy over seeds (+- sample std), a column per encoder; the best "
            "encoder of each row in bold; *not run*: no row for that strategy and encoder. The "
            "tables per encoder below hold the other metrics.",
            "",
        ]
        lines += _table(["strategy", "filter", *[f"`{encoder}`" for encoder in encoders]], body)
        lines.append("")
        path = plot_dir / f"{ENCODERS_PREFIX}_{_slug(dataset, budget, test_split)}.png"
        labels = [
            strategy if filter_name == NO_FILTER else f"{strategy} + {filter_name}"
            for strategy, filter_name in pairs
        ]
        if any(_is_measured(mean) for row_means in means for mean in row_means):
            plots.plot_accuracy_by_strategy(
                labels,
                encoders,
                means,
                stds,
                path,
                title=f"Test accuracy per strategy and encoder\n{dataset}, budget {budget}",
                series_title="encoder",
            )
            lines += [
                "**Accuracy per strategy and encoder** (error bars: std over seeds)",
                "",
                f"![accuracy per encoder, {dataset}, budget {budget}]"
                f"({path.relative_to(out_dir).as_posix()})",
                "",
            ]
    return lines


_PLOTS = (
    # (file name prefix, draw function, what the report says when there is nothing to draw)
    ("accuracy", _draw_accuracy, "Accuracy plot: skipped, no accuracy."),
    (
        "accuracy_vs_time",
        _draw_accuracy_vs_time,
        "Accuracy against time: skipped, no row has a fit time.",
    ),
    (
        "training_curves",
        _draw_training_curves,
        "Training curves: skipped, no row has a loss history.",
    ),
    ("confusion", _draw_confusion_matrix, "Confusion matrix: skipped, no row has one."),
    (
        "fraction_removed",
        _draw_fraction_removed,
        "Fraction removed by the filter: skipped, no run with a filter.",
    ),
    (
        "self_training_rounds",
        _draw_self_training_rounds,
        "Self-training rounds: skipped, no self-training rows with rounds.",
    ),
)


def _plot_lines(
    entries: list[dict], rows: list[dict], plot_dir: Path, out_dir: Path, name: str, caption: str
) -> list[str]:
    """Draw the plots of one table; the Markdown that embeds each or says why it is missing."""
    lines = []
    for prefix, draw, skipped_note in _PLOTS:
        path = plot_dir / f"{prefix}_{name}.png"
        heading = draw(entries, rows, path, caption)
        if heading is None:
            lines += [skipped_note, ""]
        else:
            link = path.relative_to(out_dir).as_posix()
            lines += [heading, "", f"![{prefix.replace('_', ' ')}, {caption}]({link})", ""]
    return lines


# --------------------------------------------------------------------------------------------
# Variants compared: a strategy against its `name[param=value, ...]` variants, paired over seeds


_PAIRED_METRICS = {
    "accuracy": lambda row: _metric(row, "accuracy"),
    "macro_f1": lambda row: _metric(row, "macro_f1"),
    "ece": lambda row: _metric(row, "ece"),
    "pseudo_label_precision": _pseudo_label_precision,
}
"""How the paired comparison reads each metric from a row (as the summary table does)."""


def _is_measured(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _base_of(strategy: str) -> str | None:
    """The strategy a variant spec `name[param=value, ...]` varies; None for a plain name or a
    spec that does not parse."""
    if "[" not in str(strategy):
        return None
    try:
        return parse_strategy(str(strategy))[0]
    except ValueError:
        return None


def _variant_pairs(rows: Sequence[dict]) -> list[tuple[str, str, str]]:
    """(variant, base, filter) for each variant in `rows` whose base ran with the same filter."""
    present = {(row["strategy"], row["filter"]) for row in rows}
    pairs = [
        (strategy, _base_of(strategy), filter_name)
        for strategy, filter_name in present
        if (_base_of(strategy), filter_name) in present
    ]
    return sorted(
        pairs, key=lambda pair: (_strategy_sort_key(pair[1]), pair[0], _filter_sort_key(pair[2]))
    )


def _paired_values(base_rows: dict, variant_rows: dict, read) -> list[tuple[object, float, float]]:
    """(seed, base value, variant value) for the seeds both measured, in seed order."""
    values = []
    for seed in sorted(set(base_rows) & set(variant_rows), key=_seed_sort_key):
        base_value, variant_value = read(base_rows[seed]), read(variant_rows[seed])
        if _is_measured(base_value) and _is_measured(variant_value):
            values.append((seed, float(base_value), float(variant_value)))
    return values


def _paired_comparison(
    rows: Sequence[dict],
    variant: str,
    base: str,
    filter_name: str,
    base_filter: str | None = None,
) -> dict:
    """Variant against base, over the seeds both have an accuracy for; the variant ran with
    `filter_name`, the base with `base_filter` (default: the same filter).

    `delta` maps each metric of `_PAIRED_METRICS` to the mean and sample std (ddof=1; None for
    one seed) of the per-seed differences variant - base over those seeds (the ones of them
    where both measured it), (None, None) where none was measured.
    """
    base_key = (base, filter_name if base_filter is None else base_filter)
    variant_key = (variant, filter_name)
    rows_by_seed: dict[tuple[str, str], dict] = {base_key: {}, variant_key: {}}
    for row in rows:
        key = (row["strategy"], row["filter"])
        if key in rows_by_seed:
            rows_by_seed[key][row["seed"]] = row
    accuracy = _paired_values(
        rows_by_seed[base_key], rows_by_seed[variant_key], _PAIRED_METRICS["accuracy"]
    )
    # Every metric over the seeds the table names, not over a seed one side has no accuracy for.
    base_rows, variant_rows = (
        {seed: rows_by_seed[key][seed] for seed, _, _ in accuracy}
        for key in (base_key, variant_key)
    )
    paired = {
        name: _paired_values(base_rows, variant_rows, read)
        for name, read in _PAIRED_METRICS.items()
    }
    differences = [variant_value - base_value for _, base_value, variant_value in accuracy]
    return {
        "variant": variant,
        "base": base,
        "filter": filter_name,
        "base_filter": base_key[1],
        "seeds": [seed for seed, _, _ in accuracy],
        "accuracy_base": _mean_std(base_value for _, base_value, _ in accuracy),
        "accuracy_variant": _mean_std(variant_value for _, _, variant_value in accuracy),
        "delta": {
            name: _mean_std(variant_value - base_value for _, base_value, variant_value in values)
            for name, values in paired.items()
        },
        "n_variant_better": sum(difference > 0 for difference in differences),
        "n_base_better": sum(difference < 0 for difference in differences),
    }


def _variant_sentence(group: tuple, comparison: dict) -> str:
    """Which of a pair is better and by how much, or that the difference is within the spread."""
    dataset, _, _, test_split = group
    variant, base = comparison["variant"], comparison["base"]
    where = f"On {dataset} ({test_split})"
    if comparison["filter"] != NO_FILTER:
        where += f" with filter {comparison['filter']}"
    mean, std = comparison["delta"]["accuracy"]
    n_seeds = len(comparison["seeds"])
    if n_seeds < 2:
        return (
            f"{where}, {variant} vs {base}: {_number(mean, signed=True)} accuracy on a single "
            f"seed ({comparison['seeds'][0]}), too few to tell it from the seed-to-seed spread; "
            "neither is declared better."
        )
    if mean == 0 or std is None or abs(mean) < std:
        return (
            f"{where}, {variant} vs {base}: {_mean_plus_minus(mean, std, signed=True)} accuracy "
            f"(paired over {n_seeds} seeds; variant better on {comparison['n_variant_better']} of "
            f"{n_seeds}), within the seed-to-seed spread; neither is declared better."
        )
    winner, loser, n_better = (variant, base, comparison["n_variant_better"])
    if mean < 0:
        winner, loser, n_better = (base, variant, comparison["n_base_better"])
    return (
        f"{where}, {winner} beats {loser} by {_mean_plus_minus(abs(mean), std, signed=True)} "
        f"accuracy (paired over {n_seeds} seeds; better on {n_better} of {n_seeds})."
    )


def _variant_lines(group: tuple, rows: Sequence[dict]) -> list[str]:
    """Markdown of one table's variants compared; empty when no strategy ran with a variant."""
    pairs = _variant_pairs(rows)
    if not pairs:
        return []
    comparisons = [_paired_comparison(rows, *pair) for pair in pairs]
    compared = [comparison for comparison in comparisons if comparison["seeds"]]
    show_precision = any(
        comparison["delta"]["pseudo_label_precision"][0] is not None for comparison in compared
    )
    lines = [
        "### Variants compared",
        "",
        "Each strategy against its variants `name[param=value]` with the same filter, paired over "
        "the seeds both ran: accuracies are mean +- sample std (ddof=1) over those seeds, each "
        "Δ the mean +- sample std of the per-seed differences variant - base (a single seed "
        "shows its value alone). Lower ECE is better. A mean Δ smaller than its std, or one "
        "seed, is within the seed-to-seed spread.",
        "",
    ]
    header = ["variant", "base", "filter", "seeds (n)", "accuracy base", "accuracy variant"]
    header += ["Δ accuracy", "variant better on", "Δ macro-F1", "Δ ECE"]
    header += ["Δ pseudo-label precision"] if show_precision else []
    body = []
    for comparison in compared:
        seeds, delta = comparison["seeds"], comparison["delta"]
        line = [
            comparison["variant"],
            comparison["base"],
            comparison["filter"],
            f"{', '.join(map(str, seeds))} ({len(seeds)})",
            _mean_plus_minus(*comparison["accuracy_base"]),
            _mean_plus_minus(*comparison["accuracy_variant"]),
            _mean_plus_minus(*delta["accuracy"], signed=True),
            f"{comparison['n_variant_better']} of {len(seeds)}",
            _mean_plus_minus(*delta["macro_f1"], signed=True),
            _mean_plus_minus(*delta["ece"], signed=True),
        ]
        if show_precision:
            line.append(_mean_plus_minus(*delta["pseudo_label_precision"], signed=True))
        body.append(line)
    if body:
        lines += _table(header, body) + [""]
    lines += [f"- {_variant_sentence(group, comparison)}" for comparison in compared]
    lines += [
        f"- {comparison['variant']} and {comparison['base']} (filter {comparison['filter']}) share "
        "no seed with an accuracy: not compared."
        for comparison in comparisons
        if not comparison["seeds"]
    ]
    return lines + [""]


# --------------------------------------------------------------------------------------------
# The best strategy of a table against each of the others


def _separation(comparison: dict) -> str:
    """How the best entry stands against one other, from their paired accuracy differences."""
    mean, std = comparison["delta"]["accuracy"]
    if len(comparison["seeds"]) < 2:
        return "one seed: not separable"
    if mean == 0 or std is None or abs(mean) < std:
        return "within the spread"
    return "ahead" if mean > 0 else "behind on these seeds"


def _best_lines(entries: Sequence[dict], rows: Sequence[dict]) -> list[str]:
    """Markdown of one table's "Best strategy" section: the entry with the highest mean accuracy
    against every other, paired over the seeds both ran; empty for a table of one entry. Where
    that entry ran fewer seeds than others did, the best of those with the most seeds follows,
    against every other in the same way, so that a mean over one lucky seed is not the only
    verdict."""
    measured = [entry for entry in entries if entry["accuracy_mean"] is not None]
    if len(measured) < 2:
        return []
    best = max(measured, key=lambda entry: entry["accuracy_mean"])  # ties: the first listed
    lines = ["### Best strategy", ""]
    lines += _against_the_others(
        best,
        measured,
        rows,
        "Highest mean accuracy",
        "Against each other strategy and filter, paired over the seeds both ran: Δ is the mean "
        "+- sample std (ddof=1) of the per-seed differences best - other. *Ahead*: the mean Δ "
        "is larger than its std over at least 2 seeds; *within the spread*: it is not; with one "
        "seed the two are not separable.",
    )
    most = max(entry["n_seeds"] for entry in measured)
    if best["n_seeds"] < most:
        steady = max(
            (entry for entry in measured if entry["n_seeds"] == most),
            key=lambda entry: entry["accuracy_mean"],
        )
        lines += _against_the_others(
            steady,
            measured,
            rows,
            f"{best['strategy']} / {best['filter']} ran {_count(best['n_seeds'], 'seed')}, "
            f"others {most}. Highest mean accuracy among the entries with {most} seeds",
            "Against each other, as above:",
        )
    return lines


def _against_the_others(
    best: dict, measured: Sequence[dict], rows: Sequence[dict], lead: str, explanation: str
) -> list[str]:
    """`lead`: the best entry, its mean over its seeds; its paired comparison with every other
    entry of `measured` as a table; a one-line verdict."""
    others = [entry for entry in measured if entry is not best]
    comparisons = [
        _paired_comparison(
            rows, best["strategy"], other["strategy"], best["filter"], other["filter"]
        )
        for other in others
    ]
    name = f"{best['strategy']} / {best['filter']}"
    lines = [
        f"{lead}: **{name}**, "
        f"{_mean_plus_minus(best['accuracy_mean'], best['accuracy_std'])} over "
        f"{_count(best['n_seeds'], 'seed')}. {explanation}",
        "",
    ]
    header = ["against", "filter", "seeds (n)", "accuracy (other)", "Δ accuracy", "best better on"]
    header += ["verdict"]
    body = []
    for other, comparison in zip(others, comparisons):
        shared = comparison["seeds"]
        if not shared:
            body.append([other["strategy"], other["filter"], "none shared"] + ["n/a"] * 3 + [""])
            continue
        body.append(
            [
                other["strategy"],
                other["filter"],
                f"{', '.join(map(str, shared))} ({len(shared)})",
                _mean_plus_minus(*comparison["accuracy_base"]),
                _mean_plus_minus(*comparison["delta"]["accuracy"], signed=True),
                f"{comparison['n_variant_better']} of {len(shared)}",
                _separation(comparison),
            ]
        )
    lines += _table(header, body) + [""]
    verdicts: dict[str, list[str]] = defaultdict(list)
    for other, comparison in zip(others, comparisons):
        if comparison["seeds"]:
            verdicts[_separation(comparison)].append(f"{other['strategy']} / {other['filter']}")
    ahead = verdicts.pop("ahead", [])
    behind = verdicts.pop("behind on these seeds", [])
    close = [label for labels in verdicts.values() for label in labels]
    parts = []
    if ahead:
        parts.append(
            "ahead of every other entry beyond the seed-to-seed spread"
            if not close and not behind
            else f"ahead of {', '.join(ahead)}"
        )
    if close:
        parts.append(f"not separated from {', '.join(close)} by these seeds")
    if behind:
        # best by its own seeds' mean, but behind on the seeds it shares with these
        parts.append(f"behind {', '.join(behind)} on the seeds both ran")
    summary = (
        f"{name} is {'; '.join(parts)}."
        if parts
        else (f"{name} shares no seed with the others: not compared.")
    )
    return lines + [f"- {summary}", ""]


# --------------------------------------------------------------------------------------------
# Pseudo-labels on the unlabeled pool (rows with an `unlabeled_curve`, the grid's
# `monitor_unlabeled`)


UNLABELED_PREFIX = "unlabeled"
"""File name prefix of the unlabeled-pool plots (`plots/unlabeled_<table>.png`)."""

_UNLABELED_PANELS = (
    # (point key, y label); the first panel has every line, the others only thresholded ones
    ("accuracy", "accuracy on the pool"),
    ("kept", "share of pseudo-labels kept"),
    ("kept_accuracy", "accuracy of the kept ones"),
)

_UNLABELED_SKIPPED = "Pseudo-labels on the unlabeled pool: skipped, no row has an unlabeled curve."


def _entry_rows(entry: dict, rows: Sequence[dict]) -> list[dict]:
    """The rows of one strategy / filter entry, in seed order."""
    return sorted(
        (
            row
            for row in rows
            if row["strategy"] == entry["strategy"] and row["filter"] == entry["filter"]
        ),
        key=lambda row: _seed_sort_key(row["seed"]),
    )


def _unlabeled_curve(row: dict) -> list[dict] | None:
    """A row's `unlabeled_curve` points with a positive time, in the order measured; None for a
    row without one (the grid did not set `monitor_unlabeled`, or a row written before it)."""
    points = [
        point
        for point in row.get("unlabeled_curve") or []
        if isinstance(point, dict) and _is_measured(point.get("seconds")) and point["seconds"] > 0
    ]
    return points or None


def _has_thresholds(point: dict) -> bool:
    """Whether the point's method keeps pseudo-labels by confidence (per-class thresholds)."""
    return point.get("thresholds") is not None


def _unlabeled_series(
    entries: Sequence[dict], rows: Sequence[dict]
) -> tuple[dict[str, list[dict]], list, list[str]]:
    """The lines of the unlabeled-pool plot: `{"strategy / filter": points}` in report order, from
    the lowest seed with a curve; the seeds used; the strategy / filter pairs without a curve."""
    series, seeds, missing = {}, set(), []
    for entry in entries:
        label = f"{entry['strategy']} / {entry['filter']}"
        for row in _entry_rows(entry, rows):
            curve = _unlabeled_curve(row)
            if curve is not None:
                series[label] = curve
                seeds.add(row["seed"])
                break
        else:
            missing.append(label)
    return series, sorted(seeds, key=_seed_sort_key), missing


def _plot_unlabeled_pool(series: dict[str, list[dict]], path: Path, title: str) -> dict:
    """Panels against training seconds, one line per label: the accuracy on the pool, and where
    some line keeps pseudo-labels by confidence, the share kept and the accuracy of the kept ones
    (a point with None is left out; a line without thresholds only in the first panel).

    Returns:
        `{"panels": {key: {label: {"seconds", "values"}}}, "log_x", "path"}`, `panels` holding
        the point keys drawn (`accuracy`, then `kept` and `kept_accuracy` where some line has
        them) and in each the lines drawn there.
    """
    panels: dict[str, dict[str, dict]] = {}
    for key, _ in _UNLABELED_PANELS:
        lines = {}
        for label, points in series.items():
            drawn = [
                point
                for point in points
                if _is_measured(point.get(key)) and (key == "accuracy" or _has_thresholds(point))
            ]
            if drawn:
                lines[label] = {
                    "seconds": [float(point["seconds"]) for point in drawn],
                    "values": [float(point[key]) for point in drawn],
                }
        if lines or key == "accuracy":
            panels[key] = lines
    if not panels["accuracy"]:
        raise ValueError("_plot_unlabeled_pool: no line with a pool accuracy to plot.")
    all_seconds = [
        s for lines in panels.values() for line in lines.values() for s in line["seconds"]
    ]
    log_x = max(all_seconds) / min(all_seconds) > 10
    colours = {label: f"C{index % 8}" for index, label in enumerate(series)}
    y_labels = dict(_UNLABELED_PANELS)
    with matplotlib.rc_context(plots.STYLE):
        figure = plots._new_figure(8.0, 2.0 + 1.9 * len(panels))
        figure.suptitle(title)
        axes_list = np.atleast_1d(figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0])
        for axes, (key, lines) in zip(axes_list, panels.items()):
            for label, line in lines.items():
                axes.plot(
                    line["seconds"],
                    line["values"],
                    color=colours[label],
                    marker=".",
                    markersize=4,
                    linewidth=1.2,
                    label=textwrap.fill(label, 40),  # a long variant name would squeeze the axes
                )
            axes.set_ylabel(y_labels[key])
            if key == "kept":
                axes.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
            if log_x:
                plots._log_seconds_axis(axes)
        axes_list[-1].set_xlabel("training wall time (s)")
        plots._legend_outside(axes_list[0])
        plots._save(figure, path)
    return {"panels": panels, "log_x": bool(log_x), "path": str(path)}


def _last_points(entry: dict, rows: Sequence[dict]) -> list[tuple[object, dict]]:
    """(seed, last point of its unlabeled curve) of the entry's rows that have one, seed order."""
    pairs = ((row, _unlabeled_curve(row)) for row in _entry_rows(entry, rows))
    return [(row["seed"], curve[-1]) for row, curve in pairs if curve]


def _class_counts(points: Sequence[dict], n_classes: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(kept, right) pseudo-label counts by predicted class, summed over the points that have
    both for `n_classes` classes; None where none has."""
    pairs = [
        (point["kept_by_class"], point["correct_by_class"])
        for point in points
        if _has_thresholds(point)
        and point.get("kept_by_class") is not None
        and point.get("correct_by_class") is not None
        and len(point["kept_by_class"]) == len(point["correct_by_class"]) == n_classes
    ]
    if not pairs:
        return None
    kept, correct = (np.sum(np.asarray(side, dtype=np.float64), axis=0) for side in zip(*pairs))
    return kept, correct


def _class_cell(correct: float, kept: float, total_kept: float) -> str:
    """`precision (share of all kept)` of one class, e.g. `0.93 (41%)`; n/a where none kept."""
    if total_kept <= 0:
        return "n/a"
    share = f"{100 * kept / total_kept:.0f}%"
    return f"{correct / kept:.2f} ({share})" if kept > 0 else f"n/a ({share})"


def _unlabeled_table(
    entries: Sequence[dict], rows: Sequence[dict], class_names: Sequence[str]
) -> tuple[list[str], list[list[object]], bool]:
    """Header and body of the table at the last point of each curve (over the seeds that have
    one), and whether some row keeps pseudo-labels by confidence (else no kept columns)."""
    last = {(e["strategy"], e["filter"]): _last_points(e, rows) for e in entries}
    show_kept = any(_has_thresholds(point) for pairs in last.values() for _, point in pairs)
    header = ["strategy", "filter", "seeds", "pool accuracy"]
    if show_kept:
        header += ["kept (%)", "kept accuracy", *class_names]
    body = []
    for entry in entries:
        pairs = last[(entry["strategy"], entry["filter"])]
        if not pairs:
            continue
        points = [point for _, point in pairs]
        line = [
            entry["strategy"],
            entry["filter"],
            len(points),
            _mean_plus_minus(*_mean_std(point.get("accuracy") for point in points)),
        ]
        if show_kept:
            thresholded = [point for point in points if _has_thresholds(point)]
            kept_mean, kept_std = _mean_std(point.get("kept") for point in thresholded)
            line += [
                _mean_plus_minus(
                    None if kept_mean is None else 100 * kept_mean,
                    None if kept_std is None else 100 * kept_std,
                    digits=1,
                ),
                _mean_plus_minus(*_mean_std(point.get("kept_accuracy") for point in thresholded)),
            ]
            counts = _class_counts(thresholded, len(class_names))
            if counts is None:
                line += ["n/a"] * len(class_names)
            else:
                kept, correct = counts
                line += [
                    _class_cell(float(c), float(k), float(kept.sum()))
                    for c, k in zip(correct, kept)
                ]
        body.append(line)
    return header, body, show_kept


def _unlabeled_class_names(rows: Sequence[dict]) -> list[str]:
    """The class names of the table's columns: the rows' `class_names`, else class indices."""
    n_classes = max(
        (
            len(point.get("kept_by_class") or [])
            for row in rows
            for point in _unlabeled_curve(row) or []
        ),
        default=0,
    )
    for row in rows:
        names = row.get("class_names")
        if names and (n_classes == 0 or len(names) == n_classes):
            return [str(name) for name in names]
    return [str(index) for index in range(n_classes)]


def _unlabeled_lines(
    entries: list[dict],
    rows: list[dict],
    plot_dir: Path,
    out_dir: Path,
    name: str,
    caption: str,
    note_when_empty: bool = True,
) -> list[str]:
    """Markdown of one table's "Pseudo-labels on the unlabeled pool" section and its plot; the
    skipped note when no row has an unlabeled curve (nothing at all without `note_when_empty`)."""
    series, seeds, missing = _unlabeled_series(entries, rows)
    if not series:
        return [_UNLABELED_SKIPPED, ""] if note_when_empty else []
    path = plot_dir / f"{UNLABELED_PREFIX}_{name}.png"
    numbers = _plot_unlabeled_pool(
        series, path, f"Pseudo-labels on the unlabeled pool against training time\n{caption}"
    )
    sizes = sorted(
        {int(point["n"]) for points in series.values() for point in points if point.get("n")}
    )
    every = sorted(
        {str(row["monitor_every"]) for row in rows if row.get("monitor_every") is not None}
    )
    pool = f"{' or '.join(f'{size:,}' for size in sizes)} images" if sizes else "a sample of images"
    lines = [
        "### Pseudo-labels on the unlabeled pool",
        "",
        f"{pool[0].upper()}{pool[1:]} of the unlabeled pool, sampled once per seed, scored against "
        "their hidden labels at the monitored epochs"
        + (f" (every {', '.join(every)} epoch(s) of each phase)" if every else "")
        + ": as they are (not augmented, where FixMatch and FreeMatch take pseudo-labels from a "
        "weakly augmented view) and with the raw weights, which make the training's "
        "pseudo-labels (not an EMA of them, which the test accuracy uses where there is one). A "
        "pseudo-label is kept "
        "where its top probability reaches the threshold of its predicted class.",
        "",
    ]
    kept_panels = [key for key in numbers["panels"] if key != "accuracy"]
    heading = (
        f"**Pseudo-labels on the unlabeled pool against training time**: one line per strategy / "
        f"filter from the lowest seed with a curve (seed{'s' if len(seeds) > 1 else ''} "
        f"{', '.join(map(str, seeds))}); top: accuracy of the predictions on the pool"
    )
    if kept_panels:
        heading += (
            "; below: share of pseudo-labels kept and accuracy of the kept ones, for the methods "
            "that keep them by per-class confidence thresholds (the others, e.g. supervised or "
            "mean teacher, are only in the top panel)"
        )
    if missing:
        heading += f"; no curve recorded for {', '.join(missing)}"
    link = path.relative_to(out_dir).as_posix()
    lines += [heading, "", f"![{UNLABELED_PREFIX}, {caption}]({link})", ""]

    class_names = _unlabeled_class_names(rows)
    header, body, show_kept = _unlabeled_table(entries, rows, class_names)
    explanation = (
        "At the last point of each curve, mean +- sample std (ddof=1) over the seeds with a curve "
        "(a single seed shows its value alone)"
    )
    if show_kept:
        explanation += (
            "; per class (columns, by predicted class): precision of the kept pseudo-labels, "
            "right over kept summed over those seeds, and in brackets the class's share of all "
            "kept ones; n/a: none kept, or the method keeps none by confidence."
        )
    else:
        explanation += "; no method here keeps pseudo-labels by confidence."
    lines += [explanation, ""] + _table(header, body) + [""]
    return lines


# --------------------------------------------------------------------------------------------
# Provenance


def _provenance_lines(rows: Sequence[dict]) -> list[str]:
    lines = ["## Provenance", ""]
    triples: dict[tuple[str, str, str], int] = defaultdict(int)
    versions: dict[str, set[str]] = defaultdict(set)
    pythons: set[str] = set()
    for row in rows:
        provenance = row.get("provenance") or {}
        key = tuple(
            str(provenance.get(name, "unknown")) for name in ("commit", "backend", "device")
        )
        triples[key] += 1
        for package, version in (provenance.get("versions") or {}).items():
            versions[package].add(str(version))
        if provenance.get("python"):
            pythons.add(str(provenance["python"]))
    lines += _table(
        ["commit", "backend", "device", "rows"],
        (
            [f"`{commit}`", backend, device, count]
            for (commit, backend, device), count in sorted(triples.items())
        ),
    )
    lines.append("")
    xla_flags: dict[str, int] = defaultdict(int)
    for row in rows:
        xla_flags[str((row.get("provenance") or {}).get("xla_flags") or "none")] += 1
    if set(xla_flags) != {"none"}:
        lines += ["XLA flags (`$XLA_FLAGS` of the runs):", ""]
        lines += _table(
            ["XLA flags", "rows"],
            (
                [f"`{flags}`" if flags != "none" else flags, count]
                for flags, count in sorted(xla_flags.items())
            ),
        )
        lines.append("")
    cached = sum(bool((row.get("provenance") or {}).get("compilation_cache")) for row in rows)
    if cached:
        lines += [
            f"{cached} of {len(rows)} rows ran with JAX's persistent compilation cache "
            "(`provenance.compilation_cache`): their fit times leave out the compiling of the "
            "programs an earlier cell, worker or run had left there.",
            "",
        ]
    if versions or pythons:
        package_rows = [["python", ", ".join(sorted(pythons))]] if pythons else []
        package_rows += [
            [package, ", ".join(sorted(versions[package]))] for package in sorted(versions)
        ]
        lines += ["Package versions (more than one listed: the rows disagree):", ""]
        lines += _table(["package", "version"], package_rows)
        lines.append("")
    else:
        lines += ["Package versions: not recorded in the rows.", ""]

    renamed = sorted(
        (row for row in rows if isinstance(row.get("renamed_from"), dict)),
        key=lambda row: str(row["cell_id"]),
    )
    if renamed:
        lines += [
            "Renamed when merged (`semisup bench merge --rename`): these cells ran under the "
            "name on the right; the parameters their new name states are the ones they "
            "recorded.",
            "",
        ]
        lines += _table(
            ["cell", "ran as"],
            ([f"`{row['cell_id']}`", f"`{row['renamed_from'].get('cell_id')}`"] for row in renamed),
        )
        lines.append("")

    lines += ["### Cells", ""]
    body = []
    for row in sorted(rows, key=lambda row: str(row["cell_id"])):
        compiled = row.get("jit_compiled") or {}
        eager_phases = [phase for phase, is_compiled in compiled.items() if not is_compiled]
        partial = _partial_time(row)
        images_per_second = None if partial else row.get("images_per_second")
        body.append(
            [
                f"`{row['cell_id']}`",
                _number(_metric(row, "accuracy")),
                _seconds_cell(row.get("fit_seconds"), partial),
                "n/a" if images_per_second is None else f"{images_per_second:,.0f}",
                # An eager (uncompiled) phase runs ~100x slower: worth seeing next to its time.
                ("no: " + ", ".join(eager_phases))
                if eager_phases
                else ("yes" if compiled else "n/a"),
            ]
        )
    lines += _table(["cell", "accuracy", "fit s (wall)", "images/s", "all phases compiled"], body)
    total_seconds = sum(float(row.get("fit_seconds") or 0.0) for row in rows)
    n_partial = sum(_partial_time(row) for row in rows)
    lines += [
        "",
        f"Total fit time of the cells: {total_seconds:,.1f} s ({total_seconds / 3600:.2f} h)"
        + (
            f", {_count(n_partial, 'cell')} of it ({PARTIAL_TIME_MARK}) counted only after a "
            "resume."
            if n_partial
            else "."
        ),
    ]
    if n_partial:
        lines += ["", PARTIAL_TIME_NOTE]
    return lines


# --------------------------------------------------------------------------------------------
# Report


def write_report(run_dir: str | os.PathLike, out_dir: str | os.PathLike | None = None) -> Path:
    """Write `report.md` and its PNG plots for a run's result rows.

    Where a run holds more than one encoder (a grid over several, or merged run folders), a
    "Strategy x encoder" table per dataset x budget comes first: mean accuracy, a column per
    encoder, with a grouped bar plot. The report has one table per dataset x budget x encoder
    (its heading names the test split),
    each followed by its plots: accuracy per strategy with and without the filter, accuracy
    against training time (with a line per run of the test accuracy during training where the
    rows have a `test_curve`, i.e. the grid set `monitor_every`), training curves, the
    confusion matrix of the best run, the fraction of the pool the filter removed and the
    self-training rounds. A plot with no data (no filter runs, no self-training rows)
    is left out with a line saying so. Where rows have an `unlabeled_curve` (the grid set
    `monitor_unlabeled`), a "Pseudo-labels on the unlabeled pool" section follows: accuracy on a
    sample of the pool, share of pseudo-labels kept and their accuracy against training time (the
    lowest seed with a curve), and a table at the last point with the per-class precision of the
    kept pseudo-labels (a run without such rows has no section). Where a table holds a strategy
    and its variants (`name[param=value]`, same filter), a "Variants compared" section follows:
    accuracy, macro-F1, ECE and pseudo-label precision differences paired over the seeds both
    ran, and a sentence per pair saying which is better or that the difference is within the
    seed-to-seed spread. A calibration table (ECE, MCE and NLL before and after temperature
    scaling), reliability diagrams of the best strategies and per-class precision,
    recall and F1 of the best strategy and the supervised baseline follow. A provenance
    section ends the report: commits, backends, devices, package versions, and every cell with
    its wall time and throughput.

    Args:
        run_dir: the run directory (holding `results.jsonl`) or a `.jsonl` file.
        out_dir: where `report.md` and `plots/` go; defaults to the run directory (the `.jsonl`
            file's folder when a file is given).

    Returns:
        The path of `report.md`.

    Raises:
        FileNotFoundError, ValueError: as `load_rows`; ValueError also for a file with no rows.

    Example:
        >>> write_report("runs/fer2013")  # doctest: +SKIP
        PosixPath('runs/fer2013/report.md')
    """
    source = _results_path(run_dir)
    out_dir = Path(out_dir) if out_dir is not None else source.parent
    # Caught so the report can list them too, then re-issued for the caller.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rows = load_rows(source)
    for caught_warning in caught:
        warnings.warn(caught_warning.message, caught_warning.category, stacklevel=2)
    if not rows:
        raise ValueError(f"{source} holds no result rows: nothing to report.")

    entries = summary_table(rows)
    rows_by_group: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        rows_by_group[_group_of(row)].append(row)
    entries_by_group: dict[tuple, list[dict]] = defaultdict(list)
    for entry in entries:
        entries_by_group[_group_of(entry)].append(entry)

    plot_dir = out_dir / "plots"
    plot_dir.mkdir(parents=True, exist_ok=True)
    # A plot of an earlier report that this one skips would sit there contradicting it.
    for prefix in [prefix for prefix, _, _ in _PLOTS] + [
        ENCODERS_PREFIX,
        UNLABELED_PREFIX,
        "reliability",
        "per_class",
    ]:
        for stale in plot_dir.glob(f"{prefix}_*.png"):
            stale.unlink()
    # a run that scored the unlabeled pool says so in each table, also where no curve came back
    monitored_unlabeled = any(
        row.get("monitor_unlabeled") is not None or _unlabeled_curve(row) for row in rows
    )
    seeds = sorted({row["seed"] for row in rows}, key=_seed_sort_key)
    datasets = sorted({str(row["dataset"]) for row in rows})
    strategies = sorted({str(row["strategy"]) for row in rows}, key=_strategy_sort_key)
    lines = [
        f"# Benchmark report: {source.parent.name}",
        "",
        f"From `{os.path.relpath(source, out_dir)}`: {_count(len(rows), 'row')}, one per cell "
        f"({_count(len(entries), 'strategy x filter combination')} in "
        f"{_count(len(entries_by_group), 'table')}), {_count(len(seeds), 'seed')} "
        f"({', '.join(map(str, seeds))}), data sets {', '.join(datasets)}, "
        f"strategies {', '.join(strategies)}.",
        "",
        "Accuracy and macro-F1: mean +- sample standard deviation (ddof=1) over seeds; a single "
        "seed shows its value alone. *vs supervised*: mean accuracy minus that of the supervised "
        "strategy without filter in the same table. *removed*: share of the unlabeled pool the "
        "filter removed. *fit s*, *images/s*: means over seeds.",
        "",
    ]
    if any(row.get("best_epoch") for row in rows):
        lines[-1:-1] = [
            "",
            "Rows with a `best_epoch` predicted with the epoch of their best validation accuracy "
            "(`select_best_epoch`), which is what *accuracy* and the other columns score; "
            "*accuracy [last epoch]* is the test accuracy their last epoch had (from the "
            "monitored test curve).",
        ]
        leaky = sorted(
            {
                name
                for row in rows
                if row.get("best_epoch") and row.get("validation")
                for name in row.get("extra_evaluations") or {}
                # "PublicTest+PrivateTest", or "<split>, TTA <views>"
                if row["validation"] in name.split(",")[0].split("+")
            }
        )
        if leaky:
            columns = ", ".join(f"*accuracy [{name}]*" for name in leaky)
            lines[-1:-1] = [
                "",
                f"{columns} include{'s' if len(leaky) == 1 else ''} the validation split on "
                "which those rows selected their epoch: not a held-out number.",
            ]
    notes = [str(item.message) for item in caught if issubclass(item.category, ResultsFileWarning)]
    if notes:
        lines += ["Notes on the input:", ""]
        lines += [f"- {note}" for note in notes]
        lines.append("")
    lines += _encoder_lines(entries, plot_dir, out_dir)

    for group in sorted(entries_by_group, key=_group_sort_key):
        dataset, budget, encoder, test_split = group
        group_entries = entries_by_group[group]
        group_rows = rows_by_group[group]
        group_seeds = sorted({row["seed"] for row in group_rows}, key=_seed_sort_key)
        caption = f"{dataset}, budget {budget}, {encoder}"
        lines += [
            f"## {dataset}, budget `{budget}`, encoder `{encoder}`: test split {test_split}",
            "",
            f"{_count(len(group_rows), 'cell')}, seed{'s' if len(group_seeds) != 1 else ''} "
            f"{', '.join(map(str, group_seeds))}.",
            "",
        ]
        lines += _summary_lines(group_entries)
        lines.append("")
        lines += _best_lines(group_entries, group_rows)
        slug = _slug(dataset, budget, encoder, test_split)
        lines += _plot_lines(group_entries, group_rows, plot_dir, out_dir, slug, caption)
        lines += _unlabeled_lines(
            group_entries,
            group_rows,
            plot_dir,
            out_dir,
            slug,
            caption,
            note_when_empty=monitored_unlabeled,
        )
        lines += _variant_lines(group, group_rows)
        for section in (calibration_lines, per_class_lines):
            lines += section(group_entries, group_rows, source.parent, plot_dir, out_dir, slug)
    lines += _provenance_lines(rows)

    report_path = out_dir / REPORT_FILE_NAME
    with atomic_path(report_path) as temporary:  # a reader never sees half a report
        temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report_path


__all__ = [
    "BASELINE_STRATEGY",
    "NO_FILTER",
    "REPORT_FILE_NAME",
    "REQUIRED_KEYS",
    "RESULTS_FILE_NAME",
    "ResultsFileWarning",
    "load_rows",
    "summary_table",
    "write_report",
]
