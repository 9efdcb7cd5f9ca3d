"""The report's sections built from each cell's saved predictions: calibration (ECE, MCE and NLL
before and after temperature scaling) and per-class metrics.

Each row written since the harness measures calibration carries it (`row["calibration"]`,
SCHEMA.md). For an older row the numbers are recomputed here from the cell's saved class
probabilities (`predictions/`, float16), with the temperature fitted the same way: on the data
set's validation split where it has one (FER2013: PublicTest), else cross-fitted on the test split.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

# reliability diagrams of this many strategies (best mean accuracy first) per table, plus the
# supervised baseline's
N_DIAGRAMS = 2


def _saved_arrays(row: dict, run_dir: Path) -> dict | None:
    """The arrays of the row's predictions file as they were saved (`proba_<split>` in float16,
    `y_<split>`), or None where the row names no file or it is missing."""
    name = row.get("predictions_file")
    if not name or not (run_dir / name).is_file():
        return None
    with np.load(run_dir / name, allow_pickle=False) as saved:
        return {key: saved[key] for key in saved.files if key != "cell_id"}


def _saved_predictions(row: dict, run_dir: Path) -> dict | None:
    """`_saved_arrays` with each probability row renormalised in float64."""
    arrays = _saved_arrays(row, run_dir)
    if arrays is None:
        return None
    for key, value in arrays.items():
        if key.startswith("proba_"):
            value = np.clip(value.astype(np.float64), 0.0, None)
            arrays[key] = value / value.sum(axis=1, keepdims=True)  # undo float16 rounding
    return arrays


def _validation_split(row: dict, saved: dict) -> str | None:
    """The split the temperature is fitted on for a row without a stored calibration."""
    splits = {key[len("proba_") :] for key in saved if key.startswith("proba_")}
    others = sorted(splits - {row["test_split"]})
    return others[0] if len(others) == 1 else None


def row_calibration(row: dict, run_dir: Path) -> dict | None:
    """The row's calibration record, recomputed from its saved predictions when it has none."""
    from semisup.evaluation import calibration_report, cross_fitted_calibration

    if row.get("calibration"):
        return row["calibration"]
    saved = _saved_predictions(row, run_dir)
    if saved is None:
        return None
    test = row["test_split"]
    validation = _validation_split(row, saved)
    if validation is not None:
        record = calibration_report(
            saved[f"proba_{validation}"],
            saved[f"y_{validation}"],
            saved[f"proba_{test}"],
            saved[f"y_{test}"],
        )
        record["method"] = f"validation:{validation}"
    else:
        record = cross_fitted_calibration(saved[f"proba_{test}"], saved[f"y_{test}"])
    record["recomputed"] = "from the float16 predictions file"
    return record


def _mean_std(values: Sequence[float]) -> str:
    """`mean +- std` over seeds, as the report's other tables write it."""
    from semisup.bench.report import _mean_plus_minus, _mean_std

    return _mean_plus_minus(*_mean_std(values))


def _showcase(entries: list[dict], n_best: int) -> list[dict]:
    """The `n_best` entries by mean accuracy, then the supervised baseline (for contrast)."""
    ranked = sorted(
        (e for e in entries if e.get("accuracy_mean") is not None),
        key=lambda e: -e["accuracy_mean"],
    )[:n_best]
    return ranked + [
        e
        for e in entries
        if e["strategy"] == "supervised" and e["filter"] == "none" and e not in ranked
    ]


def _first_rows_with_predictions(entry: dict, rows: list[dict], run_dir: Path):
    """(row, saved predictions) of `entry`'s rows in seed order, those with saved predictions."""
    from semisup.bench.report import _entry_rows

    for row in _entry_rows(entry, rows):
        saved = _saved_predictions(row, run_dir)
        if saved is not None:
            yield row, saved


def calibration_lines(
    entries: list[dict], rows: list[dict], run_dir: Path, plot_dir: Path, out_dir: Path, name: str
) -> list[str]:
    """Markdown of one table's calibration section, and its reliability diagrams."""
    from semisup.evaluation import apply_temperature_to_proba, reliability_bins
    from semisup.evaluation.plots import plot_reliability_diagram

    records = {id(row): row_calibration(row, run_dir) for row in rows}
    if not any(records.values()):
        return ["Calibration: skipped, no row has a calibration record or saved predictions.", ""]
    methods = sorted({r["method"] for r in records.values() if r})
    recomputed = any(r and r.get("recomputed") for r in records.values())
    lines = [
        "**Calibration** of the test split before and after temperature scaling (mean +- std over "
        f"seeds; temperature fitted by NLL: {', '.join(methods)}; ECE and MCE with "
        "equal-width bins). Scaling never changes a prediction, so accuracy is unchanged."
        + (" Recomputed from the saved float16 probabilities." if recomputed else ""),
        "",
        "| strategy | filter | T | ECE before | ECE after | MCE before | MCE after | NLL before "
        "| NLL after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in entries:
        group = [
            records[id(row)]
            for row in rows
            if row["strategy"] == entry["strategy"]
            and row["filter"] == entry["filter"]
            and records[id(row)]
        ]
        if not group:
            continue
        cells = [_mean_std([r["temperature"] for r in group])]
        for metric in ("ece", "mce", "nll"):
            for when in ("before", "after"):
                cells.append(_mean_std([r[when][metric] for r in group]))
        lines.append(f"| {entry['strategy']} | {entry['filter']} | " + " | ".join(cells) + " |")
    lines.append("")

    # reliability diagrams: the best strategies, first seed, before and after scaling
    panels, shown = {}, []
    for entry in _showcase(entries, N_DIAGRAMS):
        for row, saved in _first_rows_with_predictions(entry, rows, run_dir):
            record = records[id(row)]
            if record is None:
                continue
            proba = saved[f"proba_{row['test_split']}"]
            labels = saved[f"y_{row['test_split']}"]
            label = f"{entry['strategy']} / {entry['filter']}, seed {row['seed']}"
            panels[f"{label}: raw"] = reliability_bins(proba, labels)
            scaled = apply_temperature_to_proba(proba, record["temperature"])
            panels[f"{label}: T = {record['temperature']:.2f}"] = reliability_bins(scaled, labels)
            shown.append(label)
            break
    if panels:
        path = plot_dir / f"reliability_{name}.png"
        plot_reliability_diagram(panels, path, title="Reliability before and after scaling")
        lines += [
            f"**Reliability diagrams** of the best {N_DIAGRAMS} by mean accuracy and of the "
            f"supervised baseline ({'; '.join(shown)}): accuracy against confidence per bin (gap "
            "to the diagonal shaded), and below, how many test images fall in each bin",
            "",
            f"![reliability]({path.relative_to(out_dir).as_posix()})",
            "",
        ]
    return lines


def per_class_lines(
    entries: list[dict], rows: list[dict], run_dir: Path, plot_dir: Path, out_dir: Path, name: str
) -> list[str]:
    """Markdown of one table's per-class section: precision, recall and F1 per class of the best
    strategy and of the supervised baseline (first seed), from their saved predictions."""
    from semisup.evaluation import classification_metrics
    from semisup.evaluation.plots import plot_per_class_metrics

    lines, table = [], []
    for index, entry in enumerate(_showcase(entries, 1)):
        for row, saved in _first_rows_with_predictions(entry, rows, run_dir):
            test = row["test_split"]
            names = row.get("class_names") or [
                str(i) for i in range(saved[f"proba_{test}"].shape[1])
            ]
            metrics = classification_metrics(saved[f"proba_{test}"], saved[f"y_{test}"])
            label = f"{entry['strategy']} / {entry['filter']}, seed {row['seed']}"
            path = plot_dir / f"per_class_{name}_{index}.png"
            plot_per_class_metrics(metrics["per_class"], names, path, title=f"Per class: {label}")
            table.append((label, names, metrics))
            lines += [
                f"**Per class**, {label}: precision, recall and F1 of each class (support under "
                "its name)",
                "",
                f"![per class]({path.relative_to(out_dir).as_posix()})",
                "",
            ]
            break
    if not table:
        return ["Per-class metrics: skipped, no row has saved predictions.", ""]
    names = table[0][1]
    header = "| class | " + " | ".join(f"F1, {label}" for label, _, _ in table) + " |"
    body = [
        f"| {class_name} | "
        + " | ".join(f"{metrics['per_class']['f1'][i]:.3f}" for _, _, metrics in table)
        + " |"
        for i, class_name in enumerate(names)
    ]
    return [header, "|---" * (len(table) + 1) + "|", *body, "", *lines]
