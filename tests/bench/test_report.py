"""Tests of the benchmark report: reading rows, the summary numbers, report.md and its plots.

The rows are synthetic, in the format of semisup/bench/SCHEMA.md, with accuracies chosen so the
expected means, standard deviations and differences can be worked out by hand.
"""

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from semisup.bench.report import ResultsFileWarning, load_rows, summary_table, write_report
from semisup.evaluation import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLASS_NAMES = ["angry", "happy", "sad"]
STRATEGIES = ("supervised", "self_training", "contrastive")
FILTERS = ("none", "deep_svdd:0.1")
SEEDS = (0, 1, 2)
BUDGETS = ("seed", "k:25")

# Accuracy of (budget, strategy, filter) on seeds 0, 1, 2. Worked by hand for budget "seed"
# (sample std = sqrt(sum of squared deviations / 2)):
#   supervised/none:            mean 0.44, deviations -.02, 0, .02 -> std 0.02, baseline
#   self_training/none:         mean 0.46, deviations -.01, 0, .01 -> std 0.01, +0.02
#   contrastive/deep_svdd:0.1:  mean 0.50, deviations -.03, 0, .03 -> std 0.03, +0.06
ACCURACIES = {
    ("seed", "supervised", "none"): (0.42, 0.44, 0.46),
    ("seed", "supervised", "deep_svdd:0.1"): (0.43, 0.43, 0.43),
    ("seed", "self_training", "none"): (0.45, 0.46, 0.47),
    ("seed", "self_training", "deep_svdd:0.1"): (0.44, 0.45, 0.46),
    ("seed", "contrastive", "none"): (0.48, 0.49, 0.50),
    ("seed", "contrastive", "deep_svdd:0.1"): (0.47, 0.50, 0.53),
    ("k:25", "supervised", "none"): (0.30, 0.31, 0.35),
    ("k:25", "supervised", "deep_svdd:0.1"): (0.30, 0.30, 0.30),
    ("k:25", "self_training", "none"): (0.33, 0.33, 0.33),
    ("k:25", "self_training", "deep_svdd:0.1"): (0.32, 0.34, 0.36),
    ("k:25", "contrastive", "none"): (0.36, 0.37, 0.38),
    ("k:25", "contrastive", "deep_svdd:0.1"): (0.35, 0.36, 0.37),
}


def make_row(
    strategy="supervised",
    filter_name="none",
    seed=0,
    budget="seed",
    accuracy=0.44,
    dataset="fer2013",
    with_history=True,
):
    """One result row in SCHEMA.md's format."""
    nu = float(filter_name.split(":")[1]) if filter_name != "none" else None
    n_unlabeled = 1000
    n_removed = 0 if nu is None else 100 + 5 * seed
    rng = np.random.default_rng(seed)
    confusion = rng.integers(1, 20, size=(3, 3)) + np.diag([30, 40, 20])
    phases = ["round0", "round1", "round2"] if strategy == "self_training" else ["classifier"]
    if strategy == "contrastive":
        phases = ["pretrain", "classifier"]
    history = {
        phase: {
            "loss": list(np.linspace(2.0, 1.0, 4) - 0.1 * index),
            "accuracy": list(np.linspace(0.3, 0.5, 4)),
            "val_loss": list(np.linspace(2.1, 1.4, 4)),
        }
        for index, phase in enumerate(phases)
    }
    rounds = None
    if strategy == "self_training":
        # the filter leaves fewer but more precise pseudo-labels; seeds differ a little
        filter_effect = 0 if nu is None else 1
        rounds = [
            {
                "round": round_index,
                "n_accepted": 300 // round_index,
                "n_pseudo": 300 * round_index - 20 * seed - 50 * filter_effect,
                "mean_confidence": 0.95,
                "class_histogram": [100, 100, 100],
                "n_pool": 900 - 300 * round_index,
                "temperature": None,
                "precision": 0.5 - 0.02 * round_index + 0.01 * seed + 0.02 * filter_effect,
            }
            for round_index in (1, 2)
        ]
    return {
        "cell_id": f"{dataset}|{strategy}|{filter_name}|{budget}|{seed}|conv4",
        "dataset": dataset,
        "strategy": strategy,
        "filter": filter_name,
        "nu": nu,
        "budget": budget,
        "seed": seed,
        "encoder": "conv4",
        "test_split": "PrivateTest",
        "class_names": CLASS_NAMES,
        "n_labeled": 200,
        "n_unlabeled": n_unlabeled,
        "n_unlabeled_removed": n_removed,
        "fraction_removed": n_removed / n_unlabeled,
        "params": {"epochs": 4},
        "filter_params": None if nu is None else {"nu": nu},
        "metrics": {"accuracy": accuracy, "macro_f1": accuracy - 0.05, "ece": 0.2, "nll": 1.9},
        "extra_evaluations": {
            "PublicTest+PrivateTest": {"accuracy": accuracy - 0.01, "macro_f1": accuracy - 0.06}
        },
        "confusion_matrix": confusion.tolist(),
        "history": history if with_history else {},
        "rounds": rounds,
        "pseudo_label_precision": None if rounds is None else rounds[-1]["precision"],
        "collapse_report": None,
        "fit_seconds": 10.0 + seed,
        "images_seen": 40000,
        "images_per_second": 4000.0 / (1 + seed),
        "jit_compiled": {phase: True for phase in phases},
        "split_file": f"splits/{dataset}_{budget}_seed{seed}.npz",
        "split_sha256": "0" * 64,
        "provenance": {
            "commit": "abc123",
            "backend": "jax",
            "device": "gpu: NVIDIA H200",
            "python": "3.11.2",
            "versions": {"keras": "3.15.1", "numpy": "2.4.6"},
            "host": "test",
            "time": "2026-01-01T00:00:00+00:00",
        },
    }


def grid_rows():
    return [
        make_row(
            strategy, filter_name, seed, budget, ACCURACIES[(budget, strategy, filter_name)][i]
        )
        for budget in BUDGETS
        for strategy in STRATEGIES
        for filter_name in FILTERS
        for i, seed in enumerate(SEEDS)
    ]


def write_rows(run_dir: Path, rows, tail: str = "") -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "results.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows) + tail)
    return path


def entry_of(entries, strategy, filter_name, budget="seed"):
    (entry,) = [
        entry
        for entry in entries
        if (entry["strategy"], entry["filter"], entry["budget"]) == (strategy, filter_name, budget)
    ]
    return entry


def is_png(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 100 and path.read_bytes()[:8] == PNG_SIGNATURE


def linked_images(report_text: str) -> list[str]:
    return [
        line.split("](", 1)[1].rstrip(")")
        for line in report_text.splitlines()
        if line.startswith("![")
    ]


@pytest.fixture(scope="module")
def grid_report(tmp_path_factory):
    """The report of the full synthetic grid, written once for the tests that read it."""
    run_dir = tmp_path_factory.mktemp("grid_run")
    write_rows(run_dir, grid_rows())
    report_path = write_report(run_dir)
    return run_dir, report_path, report_path.read_text()


# ------------------------------------------------------------------------------------------
# summary_table


def test_mean_std_and_difference_to_supervised_by_hand():
    entries = summary_table(grid_rows())

    supervised = entry_of(entries, "supervised", "none")
    assert supervised["n_seeds"] == 3 and supervised["seeds"] == [0, 1, 2]
    assert supervised["accuracy_mean"] == pytest.approx(0.44)
    assert supervised["accuracy_std"] == pytest.approx(0.02)  # (0.42, 0.44, 0.46), ddof=1
    assert supervised["accuracy_vs_supervised"] == pytest.approx(0.0)

    self_training = entry_of(entries, "self_training", "none")
    assert self_training["accuracy_mean"] == pytest.approx(0.46)
    assert self_training["accuracy_std"] == pytest.approx(0.01)
    assert self_training["accuracy_vs_supervised"] == pytest.approx(0.02)
    assert self_training["macro_f1_mean"] == pytest.approx(0.41)
    # last round's precision 0.46 + 0.01 * seed over seeds 0, 1, 2
    assert self_training["pseudo_label_precision_mean"] == pytest.approx(0.47)

    contrastive = entry_of(entries, "contrastive", "deep_svdd:0.1")
    assert contrastive["accuracy_mean"] == pytest.approx(0.50)
    assert contrastive["accuracy_std"] == pytest.approx(0.03)  # deviations -.03, 0, .03
    # compared with supervised *without* filter, not with supervised + filter
    assert contrastive["accuracy_vs_supervised"] == pytest.approx(0.06)
    assert contrastive["nu"] == 0.1
    assert contrastive["fraction_removed_mean"] == pytest.approx((0.100 + 0.105 + 0.110) / 3)
    assert contrastive["fit_seconds_mean"] == pytest.approx(11.0)
    assert contrastive["images_per_second_mean"] == pytest.approx((4000 + 2000 + 4000 / 3) / 3)
    assert contrastive["ece_mean"] == pytest.approx(0.2)
    extra = contrastive["extra_evaluations"]["PublicTest+PrivateTest"]
    assert extra["accuracy_mean"] == pytest.approx(0.49)

    # the other budget has its own baseline: (0.30, 0.31, 0.35) -> 0.32
    k25 = entry_of(entries, "contrastive", "none", budget="k:25")
    assert k25["accuracy_vs_supervised"] == pytest.approx(0.37 - 0.32)


def test_summary_order_supervised_first_and_none_first():
    entries = summary_table(list(reversed(grid_rows())))
    order = [(entry["budget"], entry["strategy"], entry["filter"]) for entry in entries]
    assert order[:6] == [
        ("seed", "supervised", "none"),
        ("seed", "supervised", "deep_svdd:0.1"),
        ("seed", "contrastive", "none"),
        ("seed", "contrastive", "deep_svdd:0.1"),
        ("seed", "self_training", "none"),
        ("seed", "self_training", "deep_svdd:0.1"),
    ]
    assert {budget for budget, _, _ in order[6:]} == {"k:25"}


def test_one_seed_has_no_std_and_missing_baseline_gives_none():
    entries = summary_table([make_row("self_training", seed=0, accuracy=0.5)])
    (entry,) = entries
    assert entry["accuracy_mean"] == 0.5
    assert entry["accuracy_std"] is None
    assert entry["accuracy_vs_supervised"] is None


# ------------------------------------------------------------------------------------------
# load_rows


def test_load_rows_from_run_dir_or_file(tmp_path):
    path = write_rows(tmp_path / "run", grid_rows())
    assert len(load_rows(tmp_path / "run")) == len(grid_rows())
    assert load_rows(path) == load_rows(tmp_path / "run")


def test_torn_last_line_is_skipped_with_warning(tmp_path):
    rows = grid_rows()[:3]
    torn = json.dumps(make_row(seed=7))[:40]  # a run killed while writing: no newline
    path = write_rows(tmp_path, rows, tail=torn)
    with pytest.warns(ResultsFileWarning, match=r"results\.jsonl, line 4: skipped a torn"):
        loaded = load_rows(path)
    assert [row["cell_id"] for row in loaded] == [row["cell_id"] for row in rows]


def test_unterminated_last_line_counts_as_torn(tmp_path):
    path = write_rows(tmp_path, grid_rows()[:2], tail=json.dumps(make_row(seed=9)))
    with pytest.warns(ResultsFileWarning, match="no trailing newline"):
        assert len(load_rows(path)) == 2


def test_corrupt_middle_line_raises_naming_file_and_line(tmp_path):
    rows = grid_rows()[:3]
    path = tmp_path / "results.jsonl"
    lines = [json.dumps(row) for row in rows]
    lines[1] = lines[1][:50]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"results\.jsonl, line 2: is not valid JSON"):
        load_rows(tmp_path)


def test_row_missing_required_key_raises(tmp_path):
    row = make_row()
    del row["budget"]
    write_rows(tmp_path, [row, make_row(seed=1)])
    with pytest.raises(ValueError, match="line 1: missing budget"):
        load_rows(tmp_path)


def test_duplicated_cell_keeps_the_last_with_warning(tmp_path):
    first = make_row(accuracy=0.1)
    other = make_row(seed=1)
    rerun = make_row(accuracy=0.9)
    write_rows(tmp_path, [first, other, rerun])
    with pytest.warns(ResultsFileWarning, match="appears on lines 1 and 3; keeping the later"):
        rows = load_rows(tmp_path)
    assert [row["metrics"]["accuracy"] for row in rows] == [other["metrics"]["accuracy"], 0.9]


def test_missing_results_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="results.jsonl"):
        load_rows(tmp_path)


# ------------------------------------------------------------------------------------------
# write_report


def test_report_has_tables_plots_and_provenance(grid_report):
    run_dir, report_path, text = grid_report
    assert report_path == run_dir / "report.md"
    assert "36 rows" in text and "seeds (0, 1, 2)" in text
    assert "## fer2013, budget `seed`, encoder `conv4`: test split PrivateTest" in text
    assert "## fer2013, budget `k:25`, encoder `conv4`: test split PrivateTest" in text
    assert text.index("budget `seed`") < text.index("budget `k:25`")
    assert "accuracy [PublicTest+PrivateTest]" in text
    # strategy, filter, seeds, accuracy, extra accuracy, vs supervised, macro-F1, ECE, removed
    assert "| supervised | none | 3 | 0.4400 +- 0.0200 | 0.4300 +- 0.0200 | +0.0000 |" in text
    assert "| contrastive | deep_svdd:0.1 | 3 | 0.5000 +- 0.0300 |" in text
    assert "| +0.0600 | 0.4500 +- 0.0300 | 0.2000 | 10.5 |" in text
    # every plot has data here; these synthetic rows have no calibration records or predictions
    assert text.count("Calibration: skipped") == text.count("Per-class metrics: skipped") == 2
    assert text.count("skipped") == 4

    images = linked_images(text)
    assert len(images) == 2 * 6  # two tables, six plots each
    for link in images:
        assert link.startswith("plots/") and link.endswith(".png")
        assert is_png(run_dir / link), link

    provenance = text[text.index("## Provenance") :]
    assert "| `abc123` | jax | gpu: NVIDIA H200 | 36 |" in provenance
    assert "| keras | 3.15.1 |" in provenance
    # per-cell table; the "|" of a cell id is escaped so the table keeps its columns
    assert (
        "| `fer2013\\|contrastive\\|deep_svdd:0.1\\|k:25\\|1\\|conv4` | 0.3600 | 11.0 | 2,000 |"
        in (provenance)
    )


def test_report_out_dir_and_missing_optional_plots(tmp_path):
    rows = [
        make_row(strategy, "none", seed, accuracy=0.4 + 0.01 * seed, with_history=False)
        for strategy in ("supervised", "contrastive")
        for seed in (0, 1)
    ]
    write_rows(tmp_path / "run", rows)
    report_path = write_report(tmp_path / "run", out_dir=tmp_path / "out")
    text = report_path.read_text()
    assert report_path == tmp_path / "out" / "report.md"
    assert "Self-training rounds: skipped, no self-training rows with rounds." in text
    assert "Fraction removed by the filter: skipped, no run with a filter." in text
    assert "Training curves: skipped, no row has a loss history." in text
    pngs = sorted(path.name for path in (tmp_path / "out" / "plots").iterdir())
    assert pngs == [
        "accuracy_fer2013_seed_conv4_PrivateTest.png",
        "accuracy_vs_time_fer2013_seed_conv4_PrivateTest.png",
        "confusion_fer2013_seed_conv4_PrivateTest.png",
    ]
    for link in linked_images(text):
        assert is_png(tmp_path / "out" / link)


def test_rewritten_report_drops_plots_it_now_skips(tmp_path):
    rows = [make_row("supervised"), make_row("self_training", accuracy=0.45)]
    write_rows(tmp_path, rows)
    write_report(tmp_path)
    assert list((tmp_path / "plots").glob("self_training_rounds_*.png"))
    write_rows(tmp_path, rows[:1])
    text = write_report(tmp_path).read_text()
    assert "Self-training rounds: skipped" in text
    assert not list((tmp_path / "plots").glob("self_training_rounds_*.png"))


def test_report_on_one_seed_one_strategy_no_filter(tmp_path):
    row = make_row("supervised", accuracy=0.47)
    del row["extra_evaluations"], row["metrics"]["ece"], row["images_per_second"]
    write_rows(tmp_path, [row])
    text = write_report(tmp_path).read_text()
    assert "1 row, one per cell" in text and "1 seed (0)" in text
    assert "| supervised | none | 1 | 0.4700 | +0.0000 | 0.4200 | n/a | 0.0 | 10.0 | n/a |" in text
    for link in linked_images(text):
        assert is_png(tmp_path / link)


def test_time_of_a_cell_resumed_without_logged_epoch_times_is_marked_partial(tmp_path):
    # resumed from a checkpoint older than the epoch times: its fit_seconds is only the part
    # after the resume, and images/s (all images over part of the time) would overstate
    partial = make_row("contrastive", accuracy=0.48)
    partial["resumed_from_epoch"] = {"pretrain": 50, "classifier": 0}
    whole = make_row("self_training", accuracy=0.46)
    whole["resumed_from_epoch"] = {"round0": 3, "round1": 0, "round2": 0}
    whole["resumed_seconds"] = 30.0  # the earlier epochs' time was logged and counted
    rows = [make_row("supervised"), partial, whole]
    entries = {entry["strategy"]: entry for entry in summary_table(rows)}
    assert entries["contrastive"]["fit_seconds_partial"]
    assert entries["contrastive"]["images_per_second_mean"] is None
    assert not entries["self_training"]["fit_seconds_partial"]
    assert entries["self_training"]["images_per_second_mean"] == pytest.approx(4000.0)
    write_rows(tmp_path, rows)
    text = write_report(tmp_path).read_text()
    assert "| 10.0 † | n/a |" in text  # the contrastive cell, in its table and in the cells'
    assert text.count("| 10.0 † | n/a |") == 2
    # self-training's time is whole: unmarked, with its images/s
    line = next(line for line in text.splitlines() if line.startswith("| self_training | none |"))
    assert line.endswith("| 10.0 | 4,000 |")
    assert text.count("resumed from a checkpoint whose epochs have no logged times") == 2
    assert "1 cell of it (†) counted only after a resume" in text
    # and its point is left out of the accuracy-vs-time plot, which says so
    assert "left out, their time counted only after a resume (†): contrastive / none" in text


def test_evaluation_of_some_seeds_only_names_them(tmp_path):
    # test-time augmentation asked for on seed 1 of 2: its cell is seed 1's, and says so
    rows = [
        make_row("fixmatch", seed=0, accuracy=0.60),
        make_row("fixmatch", seed=1, accuracy=0.62),
    ]
    rows[1]["extra_evaluations"]["PrivateTest, TTA hflip"] = {"accuracy": 0.63, "macro_f1": 0.6}
    entry = summary_table(rows)[0]
    assert entry["extra_evaluations"]["PrivateTest, TTA hflip"]["seeds"] == [1]
    assert entry["extra_evaluations"]["PublicTest+PrivateTest"]["seeds"] == [0, 1]
    write_rows(tmp_path, rows)
    text = write_report(tmp_path).read_text()
    line = "| fixmatch | none | 2 | 0.6100 +- 0.0141 | 0.6300 (seed 1 only) | 0.6000 +- 0.0141 |"
    assert line in text


def test_rows_with_a_selected_epoch_also_report_their_last_epoch(tmp_path):
    # select_best_epoch: the row's accuracy is the selected epoch's; the last epoch's comes from
    # the test curve, only where the curve measured that epoch
    rows = [make_row("fixmatch", seed=seed, accuracy=0.65) for seed in (0, 1, 2)]
    for row, last in zip(rows, (0.64, 0.62, 0.61)):
        row["best_epoch"] = {"epoch": 2, "val_accuracy": 0.66}
        row["training_length"] = {"unit": "steps", "value": 30, "steps": 30, "epochs": 3}
        row["test_curve"] = [
            {"seconds": 1.0 + epoch, "epoch": epoch, "phase": 0, "accuracy": accuracy}
            for epoch, accuracy in ((1, 0.5), (2, 0.65), (3, last))
        ]
    rows[2]["test_curve"].pop()  # seed 2's curve stops before the last epoch
    entry = summary_table(rows)[0]
    last_epoch = entry["extra_evaluations"]["last epoch"]
    assert last_epoch["seeds"] == [0, 1]
    assert last_epoch["accuracy_mean"] == pytest.approx(0.63)
    assert entry["accuracy_mean"] == pytest.approx(0.65)
    write_rows(tmp_path, rows)
    text = write_report(tmp_path).read_text()
    assert "accuracy [last epoch]" in text and "0.6300 +- 0.0141 (seeds 0, 1 only)" in text
    assert "predicted with the epoch of their best validation accuracy" in text
    # rows without a selected epoch get no such column, even with a curve
    for row in rows:
        row["best_epoch"] = None
    assert "last epoch" not in summary_table(rows)[0]["extra_evaluations"]
    write_rows(tmp_path, rows)
    assert "last epoch" not in write_report(tmp_path).read_text()


def test_a_score_that_includes_the_selection_split_is_flagged(tmp_path):
    rows = [make_row("fixmatch", seed=seed, accuracy=0.65) for seed in (0, 1)]
    for row in rows:
        row["validation"] = "PublicTest"
        row["extra_evaluations"] = {
            "PublicTest+PrivateTest": {"accuracy": 0.64, "macro_f1": 0.6},
            "PrivateTest, TTA hflip": {"accuracy": 0.66, "macro_f1": 0.6},
        }
    write_rows(tmp_path, rows)
    flag = "the validation split on which those rows selected their epoch"
    assert flag not in write_report(tmp_path).read_text()  # no selection: nothing flagged
    for row in rows:
        row["best_epoch"] = {"epoch": 2, "val_accuracy": 0.66}
    write_rows(tmp_path, rows)
    text = write_report(tmp_path).read_text()
    assert f"*accuracy [PublicTest+PrivateTest]* includes {flag}: not a held-out number." in text
    assert "*accuracy [PrivateTest, TTA hflip]* include" not in text


def test_a_run_over_several_encoders_gets_a_strategy_by_encoder_table(tmp_path):
    rows = []
    for encoder, accuracies in (("conv4", (0.46, 0.48)), ("wrn28_2", (0.30, 0.50))):
        for strategy, accuracy in zip(("supervised", "contrastive"), accuracies):
            for seed in (0, 1):
                row = make_row(strategy, seed=seed, accuracy=accuracy + 0.01 * seed)
                row["encoder"] = encoder
                row["cell_id"] += encoder
                rows.append(row)
    rows = [row for row in rows if not (row["encoder"] == "wrn28_2" and row["seed"] == 1)]
    rows.append(dict(make_row("self_training", accuracy=0.47), encoder="conv4"))
    write_rows(tmp_path, rows)
    text = write_report(tmp_path).read_text()
    assert "## Strategy x encoder: fer2013, budget `seed`, test split PrivateTest" in text
    assert "| strategy | filter | `conv4` | `wrn28_2` |" in text
    # the best encoder of each row in bold; seeds counted where the columns differ
    assert "| supervised | none | **0.4650 +- 0.0071 (2 seeds)** | 0.3000 (1 seed) |" in text
    assert "| contrastive | none | 0.4850 +- 0.0071 (2 seeds) | **0.5000 (1 seed)** |" in text
    assert "| self_training | none | 0.4700 (1 seed) | not run |" in text
    assert is_png(tmp_path / "plots" / "encoders_fer2013_seed_PrivateTest.png")
    # the per-encoder tables stay; a run of one encoder has no such table and loses its plot
    assert "encoder `conv4`: test split PrivateTest" in text
    assert "encoder `wrn28_2`: test split PrivateTest" in text
    write_rows(tmp_path, [row for row in rows if row["encoder"] == "conv4"])
    text = write_report(tmp_path).read_text()
    assert "Strategy x encoder" not in text
    assert not list((tmp_path / "plots").glob("encoders_*.png"))


def test_the_provenance_section_lists_xla_flags_only_where_a_run_set_some(tmp_path):
    rows = [make_row("supervised", seed=0), make_row("supervised", seed=1)]
    write_rows(tmp_path, rows)
    assert "XLA flags" not in write_report(tmp_path).read_text()
    rows[1]["provenance"]["xla_flags"] = "--xla_gpu_deterministic_ops=true"
    write_rows(tmp_path, rows)
    text = write_report(tmp_path).read_text()
    assert "| `--xla_gpu_deterministic_ops=true` | 1 |" in text and "| none | 1 |" in text
    assert "compilation cache" not in text
    rows[0]["provenance"]["compilation_cache"] = "/root/cache/jax-compilation"
    write_rows(tmp_path, rows)
    text = write_report(tmp_path).read_text()
    assert "1 of 2 rows ran with JAX's persistent compilation cache" in text


def test_plot_file_names_of_an_encoder_spec_are_clean(tmp_path):
    row = make_row("supervised")
    row["encoder"] = "wide_resnet[widen_factor=4]"
    write_rows(tmp_path, [row])
    links = linked_images(write_report(tmp_path).read_text())
    assert "plots/accuracy_fer2013_seed_wide-resnet-widen-factor-4_PrivateTest.png" in links
    assert all("-_" not in link and "_-" not in link for link in links)
    for link in links:
        assert is_png(tmp_path / link)


def test_report_lists_and_reissues_input_warnings(tmp_path):
    write_rows(tmp_path, [make_row(), make_row(seed=1)], tail='{"cell_id": "torn')
    with pytest.warns(ResultsFileWarning, match="torn"):
        text = write_report(tmp_path).read_text()
    assert "Notes on the input:" in text and "skipped a torn last line" in text


def test_report_and_merge_import_no_keras():
    code = (
        "import sys, semisup.bench.report, semisup.bench.merge, semisup.evaluation.plots; "
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


# ------------------------------------------------------------------------------------------
# plot functions: each saves a PNG and returns what it drew


def test_confusion_plot_returns_row_normalised_matrix(tmp_path):
    counts = [[8, 2, 0], [1, 9, 0], [0, 0, 0]]  # class 3 absent from the test split
    numbers = plots.plot_confusion_matrix(counts, ["a", "b", "c"], tmp_path / "cm.png")
    normalized = np.asarray(numbers["normalized"])
    np.testing.assert_allclose(normalized.sum(axis=1), [1.0, 1.0, 0.0])
    np.testing.assert_allclose(normalized[0], [0.8, 0.2, 0.0])
    assert numbers["class_names"] == ["a", "b", "c"]
    assert is_png(tmp_path / "cm.png")


def test_confusion_plot_of_a_result_row_sums_to_one_per_row(tmp_path):
    row = make_row("contrastive")
    numbers = plots.plot_confusion_matrix(row["confusion_matrix"], CLASS_NAMES, tmp_path / "cm.png")
    np.testing.assert_allclose(np.asarray(numbers["normalized"]).sum(axis=1), 1.0)
    np.testing.assert_array_equal(numbers["counts"], row["confusion_matrix"])


def test_accuracy_plot_returns_its_bars(tmp_path):
    numbers = plots.plot_accuracy_by_strategy(
        ["supervised", "self_training"],
        ["none", "deep_svdd:0.1"],
        [[0.44, None], [0.46, 0.45]],
        [[0.02, None], [None, 0.01]],
        tmp_path / "accuracy.png",
        baseline_accuracy=0.44,
    )
    assert numbers["accuracy_mean"] == [[0.44, None], [0.46, 0.45]]
    assert numbers["accuracy_std"] == [[0.02, None], [None, 0.01]]
    assert numbers["baseline_accuracy"] == 0.44
    assert is_png(tmp_path / "accuracy.png")


def test_fraction_removed_plot_returns_its_bars(tmp_path):
    numbers = plots.plot_fraction_removed(
        ["self_training", "contrastive"],
        ["deep_svdd:0.05", "deep_svdd:0.1"],
        [[0.06, 0.105], [None, 0.098]],
        None,
        tmp_path / "removed.png",
        nominal_fractions=[0.05, 0.1],
    )
    assert numbers["fraction_mean"] == [[0.06, 0.105], [None, 0.098]]
    assert numbers["nominal_fractions"] == [0.05, 0.1]
    assert is_png(tmp_path / "removed.png")


def test_training_curves_plot_concatenates_phases(tmp_path):
    numbers = plots.plot_training_curves(
        {"contrastive / none": {"pretrain": [5.0, 4.0, 3.5], "classifier": [1.5, 1.2]}},
        tmp_path / "curves.png",
        validation_curves={"contrastive / none": {"classifier": [1.6, 1.4]}},
    )
    run = numbers["runs"]["contrastive / none"]
    assert run["phases"] == ["pretrain", "classifier"]
    assert run["phase_starts"] == [1, 4]
    assert run["epoch"] == [1, 2, 3, 4, 5]
    assert run["loss"] == [5.0, 4.0, 3.5, 1.5, 1.2]
    assert run["validation_loss"] == [None, None, None, 1.6, 1.4]
    assert is_png(tmp_path / "curves.png")


def test_self_training_plot_returns_its_lines(tmp_path):
    numbers = plots.plot_self_training_rounds(
        {
            "none, seed 0": {"round": [1, 2], "n_pseudo": [300, 600], "precision": [0.5, 0.48]},
            "deep_svdd:0.1, seed 0": {"round": [1, 2], "n_pseudo": [250, 500], "precision": None},
        },
        tmp_path / "rounds.png",
    )
    assert numbers["series"]["none, seed 0"]["n_pseudo"] == [300.0, 600.0]
    assert numbers["series"]["deep_svdd:0.1, seed 0"]["precision"] == [None, None]
    assert is_png(tmp_path / "rounds.png")


@pytest.mark.parametrize(
    "draw",
    [
        lambda path: plots.plot_accuracy_by_strategy([], [], [], None, path),
        lambda path: plots.plot_fraction_removed(["a"], ["f"], [[None]], None, path),
        lambda path: plots.plot_training_curves({"a": {"fit": []}}, path),
        lambda path: plots.plot_self_training_rounds({}, path),
    ],
)
def test_plot_with_nothing_to_draw_raises_and_saves_nothing(tmp_path, draw):
    with pytest.raises(ValueError, match="to plot"):
        draw(tmp_path / "empty.png")
    assert not (tmp_path / "empty.png").exists()


def test_no_warning_on_a_clean_file(tmp_path):
    write_rows(tmp_path, grid_rows()[:4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_rows(tmp_path)
