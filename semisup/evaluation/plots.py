"""Benchmark plots: plain numbers in, one PNG out, the plotted numbers returned.

Every function here takes plain Python numbers (lists, dicts, floats), saves one PNG at the path it
is given, and returns the numbers it drew as a dict of plain Python values (NaN written as `None`),
so a test or a report can check exactly what a figure shows without reading pixels.

The figures are built on matplotlib's Agg canvas directly, not through `pyplot`: no window, no
global backend switch that would surprise a notebook importing this module, and no figure left open
in pyplot's registry. One fixed style (`STYLE`, `DPI`) makes the PNGs of different runs comparable.
A function given nothing to draw raises `ValueError` instead of saving an empty image.
"""

from __future__ import annotations

import importlib.util
import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
    PercentFormatter,
)

DPI = 120
"""Resolution of every saved PNG (dots per inch)."""

STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linestyle": ":",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(
        color=[
            "#0072B2",
            "#E69F00",
            "#009E73",
            "#CC79A7",
            "#56B4E9",
            "#D55E00",
            "#F0E442",
            "#000000",
        ]
    ),
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "savefig.facecolor": "white",
}
"""The matplotlib rc settings every plot is drawn under (Okabe-Ito colours, colour-blind safe)."""

# Above these sizes a confusion matrix's cell values, then its class names, stop being readable.
_ANNOTATE_MAX_CLASSES = 15
_TICK_LABELS_MAX_CLASSES = 40
_LINE_STYLES = ("-", "--", ":", "-.")


def _plain(values) -> list | float | None:
    """A nested list of Python floats with NaN as None (JSON-able, comparable in tests)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        return None if math.isnan(array) else float(array)
    return [_plain(item) for item in array]


def _floats(values) -> list[float]:
    """`values` as Python floats, None (a value that was not measured) becoming NaN."""
    return [np.nan if value is None else float(value) for value in values]


def _as_float_matrix(values, shape: tuple[int, int], name: str) -> np.ndarray:
    """`values` as a float array of `shape`, None becoming NaN; a wrong shape is an error."""
    rows = [[np.nan if value is None else value for value in row] for row in values]
    try:
        array = np.array(rows, dtype=np.float64) if rows else np.empty((0, shape[1]))
    except ValueError:  # ragged rows
        array = np.empty((0, 0))
    if array.shape != shape:
        raise ValueError(
            f"{name} must have one row per strategy and one column per filter, shape {shape}; "
            f"got {array.shape if rows else 'nothing'}."
        )
    return array


def _new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _log_seconds_axis(axes) -> None:
    """A logarithmic x axis of seconds, labelled in plain numbers at 1, 2 and 5 of each decade.

    Matplotlib's default labels minor ticks as `3x10^1`, `4x10^1`..., which overlap on a
    narrow axis.
    """
    axes.set_xscale("log")
    plain = FuncFormatter(lambda value, _position: f"{value:g}")
    axes.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axes.xaxis.set_major_formatter(plain)
    axes.xaxis.set_minor_locator(LogLocator(base=10, subs=(3.0, 4.0, 6.0, 7.0, 8.0, 9.0)))
    axes.xaxis.set_minor_formatter(NullFormatter())


def _legend_outside(axes, title: str | None = None) -> None:
    # Right of the axes rather than over them: a legend on top of bars hides the bars.
    axes.legend(title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)


def _save(figure: Figure, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=DPI)
    return path


def _bar_width(n_series: int) -> float:
    # Bars of one group share 0.8 of the unit between groups; one filter alone would be a slab.
    return min(0.8 / n_series, 0.4)


def _grouped_bars(
    axes,
    group_names: Sequence[str],
    series_names: Sequence[str],
    heights: np.ndarray,
    errors: np.ndarray | None,
    value_format: str,
    annotate: bool = True,
) -> dict[str, list[float]]:
    """Bars of `heights[group, series]`, grouped by `group_names`; returns each series' x centres.

    A NaN height (a strategy never run with that filter) leaves a gap instead of a zero bar, which
    would read as a measured zero. `annotate=False` leaves out the printed values (too many bars).
    """
    n_groups, n_series = heights.shape
    width = _bar_width(n_series)
    centres: dict[str, list[float]] = {}
    top = np.nanmax(heights + (np.nan_to_num(errors) if errors is not None else 0.0))
    for series_index, series_name in enumerate(series_names):
        offsets = np.arange(n_groups) + (series_index - (n_series - 1) / 2) * width
        series_heights = heights[:, series_index]
        series_errors = None if errors is None else np.nan_to_num(errors[:, series_index])
        drawn = ~np.isnan(series_heights)
        axes.bar(
            offsets[drawn],
            series_heights[drawn],
            width=width * 0.95,
            yerr=None if series_errors is None else series_errors[drawn],
            capsize=3,
            label=series_name,
            error_kw={"elinewidth": 1.0},
        )
        if annotate:
            for x, height, error in zip(
                offsets[drawn],
                series_heights[drawn],
                (np.zeros(n_groups) if series_errors is None else series_errors)[drawn],
            ):
                # The value in print: bar heights alone hide differences of a point or two.
                axes.text(
                    x,
                    height + error + 0.03 * top,
                    format(height, value_format),
                    ha="center",
                    va="bottom",
                    rotation=90,
                    fontsize=7,
                )
        centres[series_name] = [float(x) for x in offsets]
    axes.set_xticks(np.arange(n_groups))
    # Many strategy names side by side overlap unless slanted.
    slanted = n_groups > 3
    axes.set_xticklabels(
        group_names,
        rotation=20 if slanted else 0,
        ha="right" if slanted else "center",
        rotation_mode="anchor",
    )
    # Room above the tallest bar for its printed value.
    axes.set_ylim(0, top * 1.22 if top > 0 else 1.0)
    return centres


def plot_accuracy_by_strategy(
    strategies: Sequence[str],
    filters: Sequence[str],
    accuracy_mean: Sequence[Sequence[float | None]],
    accuracy_std: Sequence[Sequence[float | None]] | None,
    path: str | os.PathLike,
    *,
    baseline_accuracy: float | None = None,
    title: str = "Test accuracy per strategy",
    series_title: str = "filter",
) -> dict:
    """Grouped bars of mean accuracy per strategy, one bar per filter setting, std as error bars.

    Args:
        strategies: strategy names, one bar group each, in display order.
        filters: filter settings (`"none"`, `"deep_svdd:0.1"`, ...), one bar per group each; or
            any other series, named by `series_title` (e.g. encoders).
        accuracy_mean: `accuracy_mean[i][j]` is the mean accuracy of strategy i with filter j, or
            None where that pair was not run (no bar is drawn).
        accuracy_std: same shape, the standard deviation over seeds (None: no error bar), or None
            for no error bars at all.
        path: where the PNG goes; parent folders are created.
        baseline_accuracy: the supervised baseline's mean accuracy, drawn as a dashed line.
        title: the figure title.
        series_title: the legend's title, what `filters` are (default "filter").

    Returns:
        `{"strategies", "filters", "accuracy_mean", "accuracy_std", "baseline_accuracy", "path"}`
        with the matrices as nested lists (None where nothing was drawn).

    Example:
        >>> import tempfile, os
        >>> folder = tempfile.mkdtemp()
        >>> numbers = plot_accuracy_by_strategy(
        ...     ["supervised", "self_training"], ["none", "deep_svdd:0.1"],
        ...     [[0.46, None], [0.45, 0.44]], [[0.01, None], [0.02, 0.01]],
        ...     os.path.join(folder, "accuracy.png"), baseline_accuracy=0.46)
        >>> numbers["accuracy_mean"][0]
        [0.46, None]
    """
    strategies, filters = list(strategies), list(filters)
    shape = (len(strategies), len(filters))
    means = _as_float_matrix(accuracy_mean, shape, "accuracy_mean")
    if means.size == 0 or np.isnan(means).all():
        raise ValueError("plot_accuracy_by_strategy: no accuracy to plot.")
    stds = None if accuracy_std is None else _as_float_matrix(accuracy_std, shape, "accuracy_std")
    with matplotlib.rc_context(STYLE):
        figure = _new_figure(max(6.5, 0.7 * len(strategies) * max(1, len(filters)) + 3.0), 3.8)
        axes = figure.add_subplot()
        _grouped_bars(axes, strategies, filters, means, stds, ".3f")
        if baseline_accuracy is not None:
            axes.axhline(
                baseline_accuracy,
                color="0.3",
                linestyle="--",
                linewidth=1.0,
                label=f"supervised baseline ({baseline_accuracy:.3f})",
            )
        axes.set_title(title)
        axes.set_xlabel("strategy")
        axes.set_ylabel("test accuracy (mean over seeds)")
        _legend_outside(axes, title=series_title)
        _save(figure, path)
    return {
        "strategies": strategies,
        "filters": filters,
        "accuracy_mean": _plain(means),
        "accuracy_std": None if stds is None else _plain(stds),
        "baseline_accuracy": None if baseline_accuracy is None else float(baseline_accuracy),
        "path": str(path),
    }


def plot_fraction_removed(
    strategies: Sequence[str],
    filters: Sequence[str],
    fraction_mean: Sequence[Sequence[float | None]],
    fraction_std: Sequence[Sequence[float | None]] | None,
    path: str | os.PathLike,
    *,
    nominal_fractions: Sequence[float | None] | None = None,
    title: str = "Unlabeled pool removed by the filter",
) -> dict:
    """Bars of the fraction of the unlabeled pool each filter setting removed, per strategy.

    A soft-boundary filter with parameter nu is meant to reject about a fraction nu of the pool;
    `nominal_fractions` draws that target as a black tick over each bar so a filter that removes
    far more or less than asked stands out.

    Args:
        strategies: strategy names, one bar group each.
        filters: filter settings (without `"none"`, which removes nothing), one bar per group each.
        fraction_mean: `fraction_mean[i][j]` in [0, 1], mean over seeds, None where not run.
        fraction_std: same shape, standard deviation over seeds, or None for no error bars.
        path: where the PNG goes.
        nominal_fractions: per filter, the fraction it is meant to remove (its nu), or None.
        title: the figure title.

    Returns:
        `{"strategies", "filters", "fraction_mean", "fraction_std", "nominal_fractions", "path"}`.

    Example:
        >>> import tempfile, os
        >>> numbers = plot_fraction_removed(
        ...     ["self_training"], ["deep_svdd:0.1"], [[0.105]], None,
        ...     os.path.join(tempfile.mkdtemp(), "removed.png"), nominal_fractions=[0.1])
        >>> numbers["fraction_mean"]
        [[0.105]]
    """
    strategies, filters = list(strategies), list(filters)
    shape = (len(strategies), len(filters))
    means = _as_float_matrix(fraction_mean, shape, "fraction_mean")
    if means.size == 0 or np.isnan(means).all():
        raise ValueError("plot_fraction_removed: no filtered run to plot.")
    stds = None if fraction_std is None else _as_float_matrix(fraction_std, shape, "fraction_std")
    if nominal_fractions is not None and len(nominal_fractions) != len(filters):
        raise ValueError(
            f"nominal_fractions needs one value (or None) per filter: {len(filters)}, "
            f"got {len(nominal_fractions)}."
        )
    with matplotlib.rc_context(STYLE):
        figure = _new_figure(max(6.5, 0.7 * len(strategies) * len(filters) + 3.0), 3.6)
        axes = figure.add_subplot()
        centres = _grouped_bars(axes, strategies, filters, means, stds, ".1%")
        if nominal_fractions is not None:
            width = _bar_width(len(filters))
            drew_label = False
            for filter_name, nominal in zip(filters, nominal_fractions):
                if nominal is None:
                    continue
                for x, mean in zip(centres[filter_name], means[:, filters.index(filter_name)]):
                    if np.isnan(mean):
                        continue
                    axes.hlines(
                        nominal,
                        x - width / 2,
                        x + width / 2,
                        colors="black",
                        linewidth=1.5,
                        label=None if drew_label else "nu (intended fraction)",
                    )
                    drew_label = True
            if drew_label:
                # Keep the nominal ticks inside the axes when a filter removed less than asked.
                highest_nominal = max(value for value in nominal_fractions if value is not None)
                axes.set_ylim(0, max(axes.get_ylim()[1], 1.18 * highest_nominal))
        axes.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        axes.set_title(title)
        axes.set_xlabel("strategy")
        axes.set_ylabel("unlabeled pool removed")
        _legend_outside(axes, title="filter")
        _save(figure, path)
    return {
        "strategies": strategies,
        "filters": filters,
        "fraction_mean": _plain(means),
        "fraction_std": None if stds is None else _plain(stds),
        "nominal_fractions": None
        if nominal_fractions is None
        else [None if value is None else float(value) for value in nominal_fractions],
        "path": str(path),
    }


def plot_training_curves(
    curves: Mapping[str, Mapping[str, Sequence[float]]],
    path: str | os.PathLike,
    *,
    validation_curves: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
    title: str = "Training loss per epoch",
    columns: int = 3,
) -> dict:
    """Small multiples, one panel per run: its loss per epoch, phases laid end to end.

    A strategy trains in phases (`pretrain` then `classifier`, or `round0`, `round1`, ...); each
    phase's epochs follow the previous phase's on the x axis, a dotted vertical line marks where a
    phase starts and its name is written there. Losses of different phases need not share a scale
    (a reconstruction loss, then a cross-entropy), which is why each run has its own panel.

    Args:
        curves: `{run label: {phase name: [loss of epoch 1, epoch 2, ...]}}`, phases in the
            order they ran; a phase with no epochs is left out.
        path: where the PNG goes.
        validation_curves: the same for the validation loss, drawn dashed where given.
        title: the figure title.
        columns: panels per row.

    Returns:
        `{"runs": {label: {"phases", "phase_starts", "epoch", "loss", "validation_loss"}},
        "path"}`: `epoch` is the concatenated x axis (1-based), `phase_starts` the epoch at which
        each phase begins, `validation_loss` None where none was given.

    Example:
        >>> import tempfile, os
        >>> numbers = plot_training_curves(
        ...     {"self_training / none": {"round0": [1.8, 1.5], "round1": [1.6, 1.3, 1.2]}},
        ...     os.path.join(tempfile.mkdtemp(), "curves.png"))
        >>> numbers["runs"]["self_training / none"]["phase_starts"]
        [1, 3]
    """
    validation_curves = validation_curves or {}
    runs = {}
    for label, phases in curves.items():
        phase_names, phase_starts, losses, validation_losses = [], [], [], []
        has_validation = False
        for phase_name, phase_losses in phases.items():
            phase_losses = _floats(phase_losses)
            if not phase_losses:
                continue
            phase_names.append(phase_name)
            phase_starts.append(len(losses) + 1)
            losses.extend(phase_losses)
            phase_validation = _floats(validation_curves.get(label, {}).get(phase_name) or [])
            has_validation = has_validation or bool(phase_validation)
            # Pad or cut so a validation curve stays aligned with its phase's training epochs.
            padded = phase_validation + [np.nan] * len(phase_losses)
            phase_validation = padded[: len(phase_losses)]
            validation_losses.extend(phase_validation)
        if losses:
            runs[label] = {
                "phases": phase_names,
                "phase_starts": phase_starts,
                "epoch": list(range(1, len(losses) + 1)),
                "loss": _plain(losses),
                "validation_loss": _plain(validation_losses) if has_validation else None,
            }
    if not runs:
        raise ValueError("plot_training_curves: no run has a loss curve to plot.")

    columns = max(1, min(columns, len(runs)))
    rows = math.ceil(len(runs) / columns)
    with matplotlib.rc_context(STYLE):
        figure = _new_figure(4.2 * columns, 2.8 * rows + 0.4)
        figure.suptitle(title)
        panels = figure.subplots(rows, columns, squeeze=False)
        drew_legend = False  # one legend is enough: every panel uses the same two line styles
        for panel, (label, run) in zip(panels.flat, runs.items()):
            panel.plot(run["epoch"], run["loss"], color="C0", linewidth=1.2, label="training")
            if run["validation_loss"] is not None:
                panel.plot(
                    run["epoch"],
                    run["validation_loss"],
                    color="C1",
                    linestyle="--",
                    linewidth=1.2,
                    label="validation",
                )
            for start in run["phase_starts"][1:]:
                panel.axvline(start - 0.5, color="0.4", linestyle=":", linewidth=1.0)
            # Phase names on a top axis, centred on each phase, where no curve can hide them.
            phase_ends = run["phase_starts"][1:] + [len(run["epoch"]) + 1]
            phase_axis = panel.secondary_xaxis("top")
            phase_axis.set_xticks(
                [(start + end - 1) / 2 for start, end in zip(run["phase_starts"], phase_ends)]
            )
            phase_axis.set_xticklabels(run["phases"], fontsize=7, color="0.3")
            phase_axis.tick_params(length=0)
            panel.set_title(label)
            panel.set_xlabel("epoch (phases end to end)")
            panel.set_ylabel("loss")
            panel.xaxis.set_major_locator(MaxNLocator(integer=True))
            if run["validation_loss"] is not None and not drew_legend:
                panel.legend(loc="best", framealpha=0.9)
                drew_legend = True
        for panel in list(panels.flat)[len(runs) :]:
            panel.set_visible(False)
        _save(figure, path)
    return {"runs": runs, "path": str(path)}


def plot_confusion_matrix(
    matrix: Sequence[Sequence[float]],
    class_names: Sequence[str],
    path: str | os.PathLike,
    *,
    title: str = "Confusion matrix (normalised by true class)",
) -> dict:
    """Heat map of a confusion matrix normalised by true class (each row sums to 1).

    Normalising by true class makes the diagonal the recall of each class, so a rare class reads
    the same as a frequent one. A class absent from the test split keeps a row of zeros.

    Args:
        matrix: counts, rows true class, columns predicted class, square.
        class_names: one name per class, in the matrix's order (axis tick labels).
        path: where the PNG goes.
        title: the figure title.

    Returns:
        `{"class_names", "counts", "normalized", "path"}`; `normalized[i][j]` is the fraction of
        true class i predicted as j.

    Example:
        >>> import tempfile, os
        >>> numbers = plot_confusion_matrix(
        ...     [[8, 2], [1, 9]], ["cat", "dog"], os.path.join(tempfile.mkdtemp(), "cm.png"))
        >>> numbers["normalized"]
        [[0.8, 0.2], [0.1, 0.9]]
    """
    counts = np.asarray(matrix, dtype=np.float64)
    class_names = [str(name) for name in class_names]
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
        raise ValueError(f"matrix must be a non-empty square array, got shape {counts.shape}.")
    if len(class_names) != counts.shape[0]:
        raise ValueError(
            f"class_names has {len(class_names)} names for a {counts.shape[0]}-class matrix."
        )
    row_sums = counts.sum(axis=1, keepdims=True)
    normalized = np.divide(counts, row_sums, out=np.zeros_like(counts), where=row_sums > 0)
    n_classes = len(class_names)
    side = min(10.0, max(4.5, 0.55 * n_classes + 2.5))
    with matplotlib.rc_context(STYLE):
        figure = _new_figure(side + 0.8, side)
        axes = figure.add_subplot()
        axes.grid(False)
        image = axes.imshow(normalized, cmap="Blues", vmin=0.0, vmax=1.0)
        figure.colorbar(image, ax=axes, label="fraction of true class", shrink=0.8)
        if n_classes <= _TICK_LABELS_MAX_CLASSES:
            axes.set_xticks(np.arange(n_classes))
            axes.set_yticks(np.arange(n_classes))
            axes.set_xticklabels(class_names, rotation=45, ha="right")
            axes.set_yticklabels(class_names)
        if n_classes <= _ANNOTATE_MAX_CLASSES:
            for true_index in range(n_classes):
                for predicted_index in range(n_classes):
                    value = normalized[true_index, predicted_index]
                    axes.text(
                        predicted_index,
                        true_index,
                        f"{value:.2f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        # Dark cells get white text so the value stays legible.
                        color="white" if value > 0.5 else "black",
                    )
        axes.set_title(title)
        axes.set_xlabel("predicted class")
        axes.set_ylabel("true class")
        _save(figure, path)
    return {
        "class_names": class_names,
        "counts": _plain(counts),
        "normalized": _plain(normalized),
        "path": str(path),
    }


def plot_self_training_rounds(
    series: Mapping[str, Mapping[str, Sequence[float | None]]],
    path: str | os.PathLike,
    *,
    groups: Mapping[str, str] | None = None,
    title: str = "Self-training: pseudo-labels per round",
) -> dict:
    """Two panels sharing the round axis: pseudo-labels in use, and their precision.

    Seen together they show the trade-off a filter or a threshold moves: more pseudo-labels,
    or more of them right.

    Args:
        series: `{line label: {"round": [1, 2, ...], "n_pseudo": [...], "precision": [...]}}`,
            one line per filter setting and seed; a precision of None (not measured) leaves a
            gap.
        path: where the PNG goes.
        groups: `{line label: group}`; lines of one group (say, one filter setting over its
            seeds) share a colour and differ by line style. Without it every line has its own
            colour.
        title: the figure title.

    Returns:
        `{"series": {label: {"round", "n_pseudo", "precision"}}, "path"}`.

    Example:
        >>> import tempfile, os
        >>> numbers = plot_self_training_rounds(
        ...     {"none, seed 0": {"round": [1, 2], "n_pseudo": [100, 150],
        ...                       "precision": [0.5, 0.45]}},
        ...     os.path.join(tempfile.mkdtemp(), "rounds.png"))
        >>> numbers["series"]["none, seed 0"]["n_pseudo"]
        [100.0, 150.0]
    """
    plotted = {}
    for label, values in series.items():
        rounds = list(values.get("round") or [])
        if not rounds:
            continue
        n_pseudo = list(values.get("n_pseudo") or [None] * len(rounds))
        precision = list(values.get("precision") or [None] * len(rounds))
        if len(n_pseudo) != len(rounds) or len(precision) != len(rounds):
            raise ValueError(
                f"series {label!r}: round, n_pseudo and precision must have the same length, got "
                f"{len(rounds)}, {len(n_pseudo)}, {len(precision)}."
            )
        plotted[label] = {
            "round": _plain(_floats(rounds)),
            "n_pseudo": _plain(_floats(n_pseudo)),
            "precision": _plain(_floats(precision)),
        }
    if not plotted:
        raise ValueError("plot_self_training_rounds: no series with rounds to plot.")

    with matplotlib.rc_context(STYLE):
        figure = _new_figure(8.0, 5.2)
        figure.suptitle(title)
        count_axes, precision_axes = figure.subplots(2, 1, sharex=True)
        groups = dict(groups or {})
        group_colours: dict[str, str] = {}
        lines_in_group: dict[str, int] = {}
        for label, values in plotted.items():
            group = groups.get(label, label)
            colour = group_colours.setdefault(group, f"C{len(group_colours) % 8}")
            line_style = _LINE_STYLES[lines_in_group.get(group, 0) % len(_LINE_STYLES)]
            lines_in_group[group] = lines_in_group.get(group, 0) + 1
            style = {"color": colour, "linestyle": line_style, "marker": "o", "label": label}
            rounds = _floats(values["round"])
            count_axes.plot(rounds, _floats(values["n_pseudo"]), **style)
            precision_axes.plot(rounds, _floats(values["precision"]), **style)
        count_axes.set_ylabel("pseudo-labels in use")
        precision_axes.set_ylabel("pseudo-label precision")
        precision_axes.set_xlabel("round")
        all_rounds = sorted({r for values in plotted.values() for r in _floats(values["round"])})
        # whole rounds only, with room around a single one
        precision_axes.set_xlim(all_rounds[0] - 0.5, all_rounds[-1] + 0.5)
        precision_axes.set_xticks([int(r) for r in all_rounds])
        _legend_outside(count_axes)
        _save(figure, path)
    return {"series": plotted, "path": str(path)}


_RELIABILITY_KEYS = ("edges", "counts", "mean_confidence", "accuracy", "ece", "mce")
# Bin counts spanning more than this ratio are drawn on a log axis, so a bin of a handful of
# samples (whose accuracy means little) is still visible next to one of thousands.
_LOG_COUNT_RATIO = 100
_ANNOTATE_MAX_BINS = 20


def plot_reliability_diagram(
    panels: Mapping[str, dict],
    path: str | os.PathLike,
    title: str | None = None,
) -> dict:
    """Reliability diagrams side by side, each over the number of samples in its bins.

    One column per panel (say, before and after temperature scaling). Top row: the accuracy of
    each equal-width confidence bin as a bar, the diagonal a perfectly calibrated model would
    follow, and the gap between a bin's accuracy and its mean confidence shaded; ECE and MCE in
    the panel's title. Bottom row: how many samples each bin holds, because a bin's accuracy is
    only as trustworthy as its count (a log axis when the counts span more than two orders of
    magnitude).

    Args:
        panels: `{panel title: reliability_bins(...)}`, in display order; each value needs
            `"edges"`, `"counts"`, `"mean_confidence"`, `"accuracy"` (None for an empty bin),
            `"ece"` and `"mce"`.
        path: where the PNG goes.
        title: the figure title (default: "Reliability diagram").

    Returns:
        `{"panels": {title: {"edges", "counts", "mean_confidence", "accuracy", "ece", "mce",
        "n"}}, "count_scale": "linear" or "log", "path"}`.

    Example:
        >>> import tempfile, os
        >>> bins = {"edges": [0.0, 0.5, 1.0], "counts": [0, 4], "mean_confidence": [None, 0.9],
        ...         "accuracy": [None, 0.5], "ece": 0.4, "mce": 0.4}
        >>> numbers = plot_reliability_diagram(
        ...     {"before": bins}, os.path.join(tempfile.mkdtemp(), "reliability.png"))
        >>> numbers["panels"]["before"]["accuracy"]
        [None, 0.5]
    """
    plotted = {}
    for name, bins in panels.items():
        missing = [key for key in _RELIABILITY_KEYS if key not in bins]
        if missing:
            raise ValueError(
                f"panel {name!r} lacks {missing}; pass the dict reliability_bins() returns."
            )
        counts = [int(count) for count in bins["counts"]]
        n_bins = len(counts)
        lengths = {key: len(bins[key]) for key in ("edges", "mean_confidence", "accuracy")}
        if n_bins == 0 or lengths != {
            "edges": n_bins + 1,
            "mean_confidence": n_bins,
            "accuracy": n_bins,
        }:
            raise ValueError(
                f"panel {name!r}: expected {n_bins} counts, {n_bins + 1} edges and {n_bins} "
                f"accuracies and mean confidences, got {lengths}."
            )
        if sum(counts) == 0:
            raise ValueError(f"panel {name!r} has no samples in any bin; nothing to draw.")
        plotted[name] = {
            "edges": _plain(_floats(bins["edges"])),
            "counts": counts,
            "mean_confidence": _plain(_floats(bins["mean_confidence"])),
            "accuracy": _plain(_floats(bins["accuracy"])),
            "ece": float(bins["ece"]),
            "mce": float(bins["mce"]),
            "n": sum(counts),
        }
    if not plotted:
        raise ValueError("plot_reliability_diagram: no panel to plot.")

    nonzero = [count for values in plotted.values() for count in values["counts"] if count]
    count_scale = "log" if max(nonzero) > _LOG_COUNT_RATIO * min(nonzero) else "linear"
    columns = len(plotted)
    with matplotlib.rc_context(STYLE):
        figure = _new_figure(3.6 * columns + 0.4, 5.4)
        figure.suptitle(title or "Reliability diagram")
        grid = figure.subplots(
            2, columns, squeeze=False, sharex=True, sharey="row", height_ratios=[3, 1.4]
        )
        for column, (name, values) in enumerate(plotted.items()):
            accuracy_axes, count_axes = grid[0, column], grid[1, column]
            edges = np.array(values["edges"])
            left, widths = edges[:-1], np.diff(edges)
            accuracy = np.array(_floats(values["accuracy"]))
            confidence = np.array(_floats(values["mean_confidence"]))
            filled = ~np.isnan(accuracy)
            accuracy_axes.plot(
                [0, 1],
                [0, 1],
                color="0.4",
                linestyle="--",
                linewidth=1.0,
                label="perfect calibration",
            )
            accuracy_axes.bar(
                left[filled],
                accuracy[filled],
                width=widths[filled],
                align="edge",
                color="C0",
                edgecolor="white",
                linewidth=0.5,
                label="accuracy",
            )
            accuracy_axes.bar(
                left[filled],
                np.abs(confidence - accuracy)[filled],
                bottom=np.minimum(confidence, accuracy)[filled],
                width=widths[filled],
                align="edge",
                color="C5",
                alpha=0.3,
                hatch="//",
                edgecolor="C5",
                linewidth=0.5,
                label="gap to mean confidence",
            )
            accuracy_axes.set_xlim(0, 1)
            accuracy_axes.set_ylim(0, 1)
            # a long panel name (a strategy variant, its filter and seed) would run into the next
            accuracy_axes.set_title(
                f"{textwrap.fill(str(name), 40)}\nECE {values['ece']:.3f}, MCE {values['mce']:.3f}"
            )
            counts = np.array(values["counts"], dtype=np.float64)
            drawn = counts > 0  # a zero bar cannot be drawn on a log axis, and means nothing
            count_axes.bar(
                left[drawn],
                counts[drawn],
                width=widths[drawn],
                align="edge",
                color="0.45",
                edgecolor="white",
                linewidth=0.5,
            )
            if len(counts) <= _ANNOTATE_MAX_BINS:
                for x, width, count in zip(left[drawn], widths[drawn], counts[drawn]):
                    count_axes.text(
                        x + width / 2,
                        count,
                        f"{int(count)}",
                        ha="center",
                        va="bottom",
                        rotation=90,
                        fontsize=6,
                    )
            count_axes.set_yscale(count_scale)
            count_axes.set_xlabel("confidence (top class)")
            if column == 0:
                accuracy_axes.set_ylabel("accuracy")
                count_axes.set_ylabel("samples per bin")
                accuracy_axes.legend(loc="upper left", framealpha=0.9)
        # Room above the tallest count bar for its printed value.
        top = max(nonzero)
        grid[1, 0].set_ylim((0.8, top * 8) if count_scale == "log" else (0, top * 1.35))
        _save(figure, path)
    return {"panels": plotted, "count_scale": count_scale, "path": str(path)}


def plot_per_class_metrics(
    per_class: dict,
    class_names: Sequence[str],
    path: str | os.PathLike,
    title: str | None = None,
) -> dict:
    """Grouped bars of precision, recall and F1 per class, each class's support under its name.

    Args:
        per_class: `{"precision": [...], "recall": [...], "f1": [...], "support": [...]}`, one
            entry per class (`classification_metrics(...)["per_class"]`); a None score leaves a
            gap, and `"support"` may be left out.
        class_names: one name per class, in the same order.
        path: where the PNG goes.
        title: the figure title (default: "Precision, recall and F1 per class").

    Returns:
        `{"class_names", "precision", "recall", "f1", "support", "path"}` (`support` None when
        not given).

    Example:
        >>> import tempfile, os
        >>> numbers = plot_per_class_metrics(
        ...     {"precision": [0.9, 0.5], "recall": [0.8, 0.6], "f1": [0.85, 0.55],
        ...      "support": [10, 5]},
        ...     ["cat", "dog"], os.path.join(tempfile.mkdtemp(), "per_class.png"))
        >>> numbers["recall"], numbers["support"]
        ([0.8, 0.6], [10, 5])
    """
    class_names = [str(name) for name in class_names]
    n_classes = len(class_names)
    missing = [key for key in ("precision", "recall", "f1") if key not in per_class]
    if missing:
        raise ValueError(
            f"per_class lacks {missing}; pass classification_metrics(...)['per_class']."
        )
    series = ("precision", "recall", "f1")
    support = per_class.get("support")
    for key in series + (("support",) if support is not None else ()):
        if len(per_class[key]) != n_classes:
            raise ValueError(
                f"per_class[{key!r}] has {len(per_class[key])} entries for {n_classes} class "
                "names; pass one per class."
            )
    heights = np.array([_floats(per_class[key]) for key in series]).T.reshape(n_classes, 3)
    if heights.size == 0 or np.isnan(heights).all():
        raise ValueError("plot_per_class_metrics: no per-class score to plot.")
    support = None if support is None else [int(value) for value in support]
    tick_labels = (
        class_names
        if support is None
        else [f"{name}\n(n={count})" for name, count in zip(class_names, support)]
    )
    with matplotlib.rc_context(STYLE):
        figure = _new_figure(min(24.0, max(6.5, 0.75 * n_classes + 2.5)), 3.8)
        axes = figure.add_subplot()
        _grouped_bars(
            axes,
            tick_labels,
            ["precision", "recall", "F1"],
            heights,
            None,
            ".2f",
            annotate=n_classes <= _ANNOTATE_MAX_CLASSES,
        )
        if n_classes > _TICK_LABELS_MAX_CLASSES:
            axes.set_xticklabels([])
        # Scores live in [0, 1]: one fixed scale keeps figures of different models comparable.
        axes.set_ylim(0, 1.22)
        axes.set_title(title or "Precision, recall and F1 per class")
        axes.set_xlabel("class (test samples)" if support is not None else "class")
        axes.set_ylabel("score")
        _legend_outside(axes, title="metric")
        _save(figure, path)
    return {
        "class_names": class_names,
        "precision": _plain(heights[:, 0]),
        "recall": _plain(heights[:, 1]),
        "f1": _plain(heights[:, 2]),
        "support": support,
        "path": str(path),
    }


_EMBEDDING_METHODS = ("auto", "pca", "umap")


def _class_colours(n_classes: int) -> list:
    # The style's eight colour-blind-safe colours while they last, then wider qualitative maps.
    if n_classes <= 8:
        return [f"C{index}" for index in range(n_classes)]
    if n_classes <= 20:
        colour_map = matplotlib.colormaps["tab10" if n_classes <= 10 else "tab20"]
        return [colour_map(index) for index in range(n_classes)]
    colour_map = matplotlib.colormaps["turbo"]
    return [colour_map(index / (n_classes - 1)) for index in range(n_classes)]


def _subsample(labels: np.ndarray, max_points: int, random_state) -> np.ndarray:
    """Sorted indices of at most `max_points` samples, stratified by label where possible."""
    from sklearn.model_selection import train_test_split

    if len(labels) <= max_points:
        return np.arange(len(labels))
    try:
        chosen, _ = train_test_split(
            np.arange(len(labels)),
            train_size=max_points,
            stratify=labels,
            random_state=random_state,
        )
    except ValueError:  # a class too small to stratify on: a plain seeded draw
        chosen = np.random.default_rng(random_state).choice(len(labels), max_points, replace=False)
    return np.sort(chosen)


def plot_feature_embedding(
    features,
    labels,
    path: str | os.PathLike,
    class_names: Sequence[str] | None = None,
    method: str = "auto",
    max_points: int = 5000,
    random_state=0,
    title: str | None = None,
) -> dict:
    """A 2-D map of encoder features, one colour per class: does the encoder separate classes?

    Args:
        features: N x D encoder outputs (an N x h x w x c feature map is flattened).
        labels: N class indices; -1 (an unlabeled sample) is drawn in grey.
        path: where the PNG goes.
        class_names: a name per class index (default: the indices).
        method: `"pca"` (scikit-learn, always available), `"umap"` (needs umap-learn) or
            `"auto"` (UMAP when umap-learn is installed, PCA otherwise).
        max_points: at most this many samples are embedded and drawn, drawn without
            replacement, stratified by label (plain random when a class is too small).
        random_state: seed of the subsample and of UMAP.
        title: the figure title (default names the method and the number of points).

    Returns:
        `{"method": "pca" or "umap", "explained_variance_ratio" (the two components', PCA only,
        else None), "n_points", "coordinates" ([x, y] per point), "labels", "indices" (rows of
        `features` drawn), "class_names", "path"}`.

    Example:
        >>> import tempfile, os
        >>> import numpy as np
        >>> features = np.array([[0.0, 0.0, 1.0], [0.1, 0.0, 1.0], [5.0, 5.0, 0.0], [5.1, 5, 0]])
        >>> numbers = plot_feature_embedding(
        ...     features, [0, 0, 1, 1], os.path.join(tempfile.mkdtemp(), "embedding.png"),
        ...     method="pca")
        >>> numbers["method"], numbers["n_points"]
        ('pca', 4)
    """
    if method not in _EMBEDDING_METHODS:
        raise ValueError(f"method must be one of {_EMBEDDING_METHODS}, got {method!r}.")
    if (
        isinstance(max_points, bool)
        or not isinstance(max_points, (int, np.integer))
        or (max_points < 2)
    ):
        raise ValueError(f"max_points must be an integer >= 2, got {max_points!r}.")
    features = np.asarray(features, dtype=np.float64)
    if features.ndim < 2 or len(features) < 2:
        raise ValueError(
            f"features must be an N x D array with N >= 2 samples, got shape {features.shape}."
        )
    features = features.reshape(len(features), -1)
    if features.shape[1] < 2:
        raise ValueError(
            f"features need at least 2 dimensions to map to 2, got {features.shape[1]}."
        )
    if not np.isfinite(features).all():
        raise ValueError("features has NaN or infinite values; check the encoder's output.")
    labels = np.asarray(labels)
    if labels.shape != (len(features),):
        raise ValueError(
            f"labels must have shape ({len(features)},), one per feature row, got {labels.shape}."
        )
    if labels.dtype.kind not in "iu" or labels.min() < -1:
        raise ValueError("labels must be integer class indices (-1 for unlabeled samples).")
    n_classes = int(labels.max()) + 1
    if class_names is None:
        class_names = [str(index) for index in range(n_classes)]
    class_names = [str(name) for name in class_names]
    if len(class_names) < n_classes:
        raise ValueError(
            f"class_names has {len(class_names)} names but labels go up to {n_classes - 1}."
        )

    if method == "auto":
        method = "umap" if importlib.util.find_spec("umap") is not None else "pca"
    indices = _subsample(labels, max_points, random_state)
    chosen, chosen_labels = features[indices], labels[indices]
    explained = None
    if method == "umap":
        try:
            import umap
        except ImportError as error:
            raise ValueError(
                "method='umap' needs umap-learn, which is not installed (pip install "
                "umap-learn); use method='pca' or 'auto'."
            ) from error
        coordinates = umap.UMAP(n_components=2, random_state=random_state).fit_transform(chosen)
        axis_labels = ("UMAP 1", "UMAP 2")
    else:
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=random_state)
        coordinates = pca.fit_transform(chosen)
        explained = [float(ratio) for ratio in pca.explained_variance_ratio_]
        axis_labels = tuple(
            f"PC{index + 1} ({ratio:.1%} of variance)" for index, ratio in enumerate(explained)
        )

    with matplotlib.rc_context(STYLE):
        figure = _new_figure(7.0, 5.2)
        axes = figure.add_subplot()
        unlabeled = chosen_labels == -1
        if unlabeled.any():  # underneath, so the labeled classes stay visible
            axes.scatter(
                *coordinates[unlabeled].T,
                s=4,
                color="0.8",
                alpha=0.5,
                linewidths=0,
                label="unlabeled",
            )
        colours = _class_colours(len(class_names))
        for index, name in enumerate(class_names):
            members = chosen_labels == index
            if members.any():
                axes.scatter(
                    *coordinates[members].T,
                    s=6,
                    color=colours[index],
                    alpha=0.7,
                    linewidths=0,
                    label=name,
                )
        axes.set_xlabel(axis_labels[0])
        axes.set_ylabel(axis_labels[1])
        axes.set_title(title or f"Encoder features, {method.upper()} ({len(indices)} points)")
        if len(class_names) <= 20:
            _legend_outside(axes, title="class")
            for handle in axes.get_legend().legend_handles:  # legible, unlike the dots
                handle.set_alpha(1.0)
                handle.set_sizes([25])
        _save(figure, path)
    return {
        "method": method,
        "explained_variance_ratio": explained,
        "n_points": len(indices),
        "coordinates": _plain(coordinates),
        "labels": [int(label) for label in chosen_labels],
        "indices": [int(index) for index in indices],
        "class_names": class_names,
        "path": str(path),
    }


def plot_accuracy_vs_time(
    labels: Sequence[str],
    seconds: Sequence[float],
    accuracy: Sequence[float],
    path: str | os.PathLike,
    *,
    seconds_std: Sequence[float | None] | None = None,
    accuracy_std: Sequence[float | None] | None = None,
    curves: Sequence[Mapping[str, Sequence[float]] | None] | None = None,
    title: str = "Test accuracy against training time",
) -> dict:
    """Test accuracy against training wall time, one point (with error bars) per run, and where
    given the run's accuracy during training as a line in the point's colour.

    Args:
        labels: a name per point, e.g. `"fixmatch / none"`.
        seconds: mean training wall time per point (the x axis, logarithmic when the times,
            those of the curves included, span more than a factor of 10).
        accuracy: mean test accuracy per point.
        path: where the PNG goes; parent folders are created.
        seconds_std, accuracy_std: standard deviations over seeds (None entries: no error bar).
        curves: one entry per point, None for a point without a curve, else
            `{"seconds": [...], "accuracy": [...]}`: test accuracy measured during training
            (positive, increasing seconds), drawn as a line with a small marker per measurement.
        title: the figure title.

    Returns:
        `{"labels", "seconds", "accuracy", "seconds_std", "accuracy_std", "curves", "log_x",
        "path"}`; `curves` is a list with one entry per point: None, or `{"seconds",
        "accuracy"}` as drawn.

    Example:
        >>> import tempfile, os
        >>> numbers = plot_accuracy_vs_time(
        ...     ["supervised", "fixmatch"], [30.0, 600.0], [0.46, 0.61],
        ...     os.path.join(tempfile.mkdtemp(), "time.png"),
        ...     curves=[None, {"seconds": [100.0, 300.0, 600.0], "accuracy": [0.3, 0.5, 0.61]}])
        >>> numbers["log_x"], numbers["curves"][1]["accuracy"]
        (True, [0.3, 0.5, 0.61])
    """
    labels = [str(label) for label in labels]
    seconds, accuracy = _floats(seconds), _floats(accuracy)
    if not labels:
        raise ValueError("plot_accuracy_vs_time got no points to draw.")
    if not len(labels) == len(seconds) == len(accuracy):
        raise ValueError(
            f"labels, seconds and accuracy must have one entry per point; got {len(labels)}, "
            f"{len(seconds)} and {len(accuracy)}."
        )
    if any(not value > 0 for value in seconds):
        raise ValueError(f"seconds must all be positive, got {seconds}.")

    def _std(values):
        if values is None:
            return [None] * len(labels)
        if len(values) != len(labels):
            raise ValueError(f"a std list has {len(values)} entries for {len(labels)} points.")
        return [None if value is None else float(value) for value in values]

    seconds_err, accuracy_err = _std(seconds_std), _std(accuracy_std)
    lines = [None] * len(labels)
    if curves is not None:
        if len(curves) != len(labels):
            raise ValueError(f"curves has {len(curves)} entries for {len(labels)} points.")
        for index, curve in enumerate(curves):
            if curve is None:
                continue
            curve_seconds = _floats(curve.get("seconds") or [])
            curve_accuracy = _floats(curve.get("accuracy") or [])
            if len(curve_seconds) != len(curve_accuracy):
                raise ValueError(
                    f"the curve of {labels[index]!r} has {len(curve_seconds)} times and "
                    f"{len(curve_accuracy)} accuracies."
                )
            if any(not value > 0 for value in curve_seconds):
                raise ValueError(
                    f"the curve of {labels[index]!r} has times that are not positive: "
                    f"{curve_seconds}."
                )
            if curve_seconds:
                lines[index] = {"seconds": curve_seconds, "accuracy": curve_accuracy}
    all_seconds = seconds + [value for line in lines if line for value in line["seconds"]]
    log_x = max(all_seconds) / min(all_seconds) > 10
    with matplotlib.rc_context(STYLE):
        figure = _new_figure(7.5, 4.2)
        axes = figure.add_subplot()
        markers = "osD^vP*X"
        for index, label in enumerate(labels):
            colour = f"C{index % len(STYLE['axes.prop_cycle'])}"
            if lines[index] is not None:
                axes.plot(
                    lines[index]["seconds"],
                    lines[index]["accuracy"],
                    color=colour,
                    linewidth=1.2,
                    marker=".",
                    markersize=3,
                    alpha=0.8,
                )
            axes.errorbar(
                seconds[index],
                accuracy[index],
                xerr=seconds_err[index],
                yerr=accuracy_err[index],
                fmt=markers[index % len(markers)],
                color=colour,
                markersize=7,
                capsize=3,
                label=textwrap.fill(label, 40),  # a long variant name would squeeze the axes
            )
        if log_x:
            _log_seconds_axis(axes)
        axes.set_xlabel("training wall time per cell (s)")
        axes.set_ylabel("test accuracy")
        axes.set_title(title)
        _legend_outside(axes)
        _save(figure, path)
    return {
        "labels": labels,
        "seconds": seconds,
        "accuracy": accuracy,
        "seconds_std": seconds_err,
        "accuracy_std": accuracy_err,
        "curves": [
            None if line is None else {k: _plain(v) for k, v in line.items()} for line in lines
        ],
        "log_x": bool(log_x),
        "path": str(path),
    }


__all__ = [
    "DPI",
    "STYLE",
    "plot_accuracy_by_strategy",
    "plot_accuracy_vs_time",
    "plot_confusion_matrix",
    "plot_feature_embedding",
    "plot_fraction_removed",
    "plot_per_class_metrics",
    "plot_reliability_diagram",
    "plot_self_training_rounds",
    "plot_training_curves",
]
