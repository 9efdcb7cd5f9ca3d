"""Tests of the report's "Pseudo-labels on the unlabeled pool" section (rows' `unlabeled_curve`).

The rows are synthetic (`make_row` of test_report.py) with an `unlabeled_curve` whose last
points are chosen so the means, standard deviations and per-class precisions can be worked out by
hand. No training.
"""

from test_report import CLASS_NAMES, is_png, linked_images, make_row, write_rows

from semisup.bench.report import (
    _plot_unlabeled_pool,
    _unlabeled_lines,
    _unlabeled_series,
    summary_table,
    write_report,
)

HEADING = "### Pseudo-labels on the unlabeled pool"
SKIPPED = "Pseudo-labels on the unlabeled pool: skipped, no row has an unlabeled curve."
PLOT = "plots/unlabeled_fer2013_seed_conv4_PrivateTest.png"


def point(seconds, accuracy, kept=None, kept_accuracy=None, kept_by=None, correct_by=None):
    """One `unlabeled_curve` point; thresholds only where counts are given (else None)."""
    return {
        "seconds": seconds,
        "epoch": int(seconds),
        "phase": 0,
        "n": 5000,
        "accuracy": accuracy,
        "thresholds": None if kept_by is None else [0.95] * len(kept_by),
        "kept": kept,
        "kept_accuracy": kept_accuracy,
        "kept_by_class": kept_by,
        "correct_by_class": correct_by,
    }


def curve_row(strategy, seed, curve, budget="seed", accuracy=0.5):
    row = make_row(strategy, "none", seed, budget, accuracy)
    row.update(monitor_every=1, monitor_unlabeled=5000, unlabeled_curve=curve)
    return row


# Last points (worked by hand, sample std with ddof=1):
#   supervised seeds 0, 1: pool accuracy 0.50, 0.60 -> 0.5500 +- 0.0707, no thresholds
#   fixmatch seeds 0, 1:   pool accuracy 0.70, 0.72 -> 0.7100 +- 0.0141
#                          kept 0.60, 0.64          -> 62.0 +- 2.8 (%)
#                          kept accuracy 0.90, 0.80 -> 0.8500 +- 0.0707
#                          kept by class [10, 30, 0] + [30, 10, 0] = [40, 40, 0], total 80
#                          right by class [8, 27, 0] + [24, 9, 0] = [32, 36, 0]
#                          -> angry 32/40 = 0.80 (50%), happy 36/40 = 0.90 (50%), sad n/a (0%)
#   pseudo_label seed 0:   pool accuracy 0.40, nothing kept at the end: kept accuracy None
#   (the first points differ, so a table that used them would show other numbers)
def unlabeled_rows():
    return [
        curve_row("supervised", 0, [point(2.0, 0.30), point(4.0, 0.50)]),
        curve_row("supervised", 1, [point(2.0, 0.35), point(4.0, 0.60)]),
        curve_row(
            "fixmatch",
            0,
            [
                point(2.0, 0.40, 0.10, 0.50, [1, 1, 1], [1, 0, 0]),
                point(4.0, 0.70, 0.60, 0.90, [10, 30, 0], [8, 27, 0]),
            ],
        ),
        curve_row(
            "fixmatch",
            1,
            [
                point(2.0, 0.45, 0.20, 0.60, [2, 2, 2], [2, 1, 0]),
                point(4.0, 0.72, 0.64, 0.80, [30, 10, 0], [24, 9, 0]),
            ],
        ),
        curve_row(
            "pseudo_label",
            0,
            [
                point(1.0, 0.35, 0.05, 0.70, [5, 5, 0], [4, 3, 0]),
                point(3.0, 0.40, 0.0, None, [0, 0, 0], [0, 0, 0]),
            ],
        ),
    ]


def section_of(text):
    """The section's text, up to the next section of the table (here, its calibration)."""
    start = text.index(HEADING)
    return text[start : text.index("Calibration: skipped", start)]


def test_section_table_and_plot(tmp_path):
    rows = unlabeled_rows()
    # a second table, in the same run, without curves: it says why it has no section
    rows += [make_row("supervised", seed=seed, budget="k:25", accuracy=0.3) for seed in (0, 1)]
    write_rows(tmp_path, rows)
    text = write_report(tmp_path).read_text()

    assert text.count(HEADING) == 1
    assert text.count(SKIPPED) == 1
    assert text.index(SKIPPED) > text.index("## fer2013, budget `k:25`")
    section = section_of(text)
    # after the table's plots, before its other sections and the next table
    assert text.index("![accuracy, fer2013, budget seed") < text.index(HEADING)
    assert text.index(HEADING) < text.index("## fer2013, budget `k:25`")

    assert "5,000 images of the unlabeled pool, sampled once per seed" in section
    assert "(every 1 epoch(s) of each phase)" in section
    assert "not augmented" in section and "raw weights" in section
    assert "from the lowest seed with a curve (seed 0)" in section
    assert "only in the top panel" in section

    header = "| strategy | filter | seeds | pool accuracy | kept (%) | kept accuracy | "
    assert header + " | ".join(CLASS_NAMES) + " |" in section
    assert "| supervised | none | 2 | 0.5500 +- 0.0707 | n/a | n/a | n/a | n/a | n/a |" in section
    assert (
        "| fixmatch | none | 2 | 0.7100 +- 0.0141 | 62.0 +- 2.8 | 0.8500 +- 0.0707 "
        "| 0.80 (50%) | 0.90 (50%) | n/a (0%) |"
    ) in section
    # nothing kept at the last point: no kept accuracy, no per-class precision
    assert "| pseudo_label | none | 1 | 0.4000 | 0.0 | n/a | n/a | n/a | n/a |" in section
    assert "n/a: none kept" in section

    assert f"![unlabeled, fer2013, budget seed, conv4]({PLOT})" in section
    assert PLOT in linked_images(text)
    assert is_png(tmp_path / PLOT)


def test_plot_lines_strategies_without_thresholds_only_in_pool_accuracy():
    rows = unlabeled_rows()
    entries = summary_table(rows)
    series, seeds, missing = _unlabeled_series(entries, rows)
    assert list(series) == ["supervised / none", "fixmatch / none", "pseudo_label / none"]
    assert seeds == [0] and missing == []
    # the lowest seed's curve
    assert [p["accuracy"] for p in series["fixmatch / none"]] == [0.40, 0.70]


def test_plot_numbers_skip_none_points(tmp_path):
    rows = unlabeled_rows()
    series, _, _ = _unlabeled_series(summary_table(rows), rows)
    numbers = _plot_unlabeled_pool(series, tmp_path / "unlabeled.png", "title")
    panels = numbers["panels"]
    assert list(panels) == ["accuracy", "kept", "kept_accuracy"]
    assert set(panels["accuracy"]) == {
        "supervised / none",
        "fixmatch / none",
        "pseudo_label / none",
    }
    assert (
        set(panels["kept"])
        == set(panels["kept_accuracy"])
        == {
            "fixmatch / none",
            "pseudo_label / none",
        }
    )
    assert panels["kept"]["pseudo_label / none"] == {"seconds": [1.0, 3.0], "values": [0.05, 0.0]}
    # the last point kept nothing: its None kept accuracy is left out
    assert panels["kept_accuracy"]["pseudo_label / none"] == {"seconds": [1.0], "values": [0.70]}
    assert panels["accuracy"]["supervised / none"]["values"] == [0.30, 0.50]
    assert numbers["log_x"] is False
    assert is_png(tmp_path / "unlabeled.png")


def test_only_strategies_without_thresholds_one_panel_no_kept_columns(tmp_path):
    rows = [row for row in unlabeled_rows() if row["strategy"] == "supervised"]
    series, _, _ = _unlabeled_series(summary_table(rows), rows)
    numbers = _plot_unlabeled_pool(series, tmp_path / "unlabeled.png", "title")
    assert list(numbers["panels"]) == ["accuracy"]

    write_rows(tmp_path / "run", rows)
    section = section_of(write_report(tmp_path / "run").read_text())
    assert "| strategy | filter | seeds | pool accuracy |\n" in section
    assert "| supervised | none | 2 | 0.5500 +- 0.0707 |" in section
    assert "no method here keeps pseudo-labels by confidence" in section
    assert "only in the top panel" not in section


def test_strategy_without_a_curve_is_named_and_left_out_of_the_table(tmp_path):
    rows = unlabeled_rows()
    rows += [make_row("self_training", seed=0, accuracy=0.45)]  # an old row: no key at all
    write_rows(tmp_path, rows)
    section = section_of(write_report(tmp_path).read_text())
    assert "no curve recorded for self_training / none" in section
    assert "| self_training |" not in section


def test_old_rows_without_the_key_have_no_section_and_no_note(tmp_path):
    rows = [
        make_row(strategy, seed=seed) for strategy in ("supervised", "fixmatch") for seed in (0, 1)
    ]
    write_rows(tmp_path, rows)
    text = write_report(tmp_path).read_text()
    assert "Pseudo-labels on the unlabeled pool" not in text
    assert not list((tmp_path / "plots").glob("unlabeled_*.png"))


def test_monitored_run_without_curves_says_skipped(tmp_path):
    rows = [curve_row("supervised", seed, None) for seed in (0, 1)]
    rows[1]["unlabeled_curve"] = []
    write_rows(tmp_path, rows)
    text = write_report(tmp_path).read_text()
    assert text.count(SKIPPED) == 1 and HEADING not in text


def test_lines_without_curves_direct():
    rows = [make_row("supervised", seed=0)]
    entries = summary_table(rows)
    args = (entries, rows, None, None, "name", "caption")
    assert _unlabeled_lines(*args) == [SKIPPED, ""]
    assert _unlabeled_lines(*args, note_when_empty=False) == []


def test_rewritten_report_drops_the_stale_plot(tmp_path):
    rows = unlabeled_rows()
    write_rows(tmp_path, rows)
    write_report(tmp_path)
    assert is_png(tmp_path / PLOT)
    for row in rows:
        del row["unlabeled_curve"], row["monitor_unlabeled"]
    write_rows(tmp_path, rows)
    text = write_report(tmp_path).read_text()
    assert HEADING not in text and SKIPPED not in text
    assert not (tmp_path / PLOT).exists()
