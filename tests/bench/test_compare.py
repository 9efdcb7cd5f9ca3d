"""Tests of `semisup bench compare`: run folders of one grid compared cell by cell (are the saved
predictions bitwise identical, how far apart, how fast each epoch ran). The folders are written by
hand in the runner's format (semisup/bench/SCHEMA.md), as in test_merge.py."""

import json

import numpy as np
import pytest
from test_merge import TEST_SPLIT, make_row, make_run, write_predictions

from semisup.bench.compare import compare_runs, epoch_seconds, format_comparison
from semisup.cli import main


def with_curve(row, seconds, xla_flags=None):
    row = dict(row, provenance=dict(row["provenance"], xla_flags=xla_flags))
    row["test_curve"] = [
        {"seconds": s, "epoch": epoch, "phase": 0, "accuracy": 0.5}
        for epoch, s in enumerate(seconds, start=1)
    ]
    return row


def test_identical_runs_are_reported_identical_and_their_epoch_pace_leaves_out_the_first(
    tmp_path,
):
    row = with_curve(make_row("supervised", 0, 0.6), [30.0, 40.0, 50.5, 61.0], "--det")
    a = make_run(tmp_path / "a", [row])
    b = make_run(tmp_path / "b", [with_curve(row, [20.0, 29.0, 38.0, 47.0], "--det")])

    [result] = compare_runs([a, b])

    assert result["identical"] is True
    assert result["max_abs_diff"] == 0.0
    assert result["changed_predictions"] == 0.0
    assert result["run"] == str(b)
    # epochs 2-4 took 10, 10.5, 10.5 s and 9, 9, 9 s: the first (compilation) is left out
    assert result["epoch_seconds_reference"] == pytest.approx(10.5)
    assert result["epoch_seconds"] == pytest.approx(9.0)
    assert (result["xla_flags_reference"], result["xla_flags"]) == ("--det", "--det")


def test_runs_that_differ_give_the_largest_difference_and_the_share_of_changed_classes(tmp_path):
    row = make_row("supervised", 0, 0.6)
    a = make_run(tmp_path / "a", [row])
    b = make_run(tmp_path / "b", [dict(row, metrics=dict(row["metrics"], accuracy=0.55))])
    # b's probabilities: a's with image 0 made sure of another class
    with np.load(a / row["predictions_file"]) as data:
        proba = data[f"proba_{TEST_SPLIT}"].astype(np.float64)
        y = data[f"y_{TEST_SPLIT}"]
    other = (proba[0].argmax() + 1) % 3
    changed = proba.copy()
    changed[0] = np.eye(3)[other]
    np.savez(
        b / row["predictions_file"],
        cell_id=np.array(row["cell_id"]),
        **{f"proba_{TEST_SPLIT}": changed.astype(np.float16), f"y_{TEST_SPLIT}": y},
    )

    [result] = compare_runs([a, b])

    assert result["identical"] is False
    expected = np.max(np.abs(proba[0] - np.eye(3)[other]))
    assert result["max_abs_diff"] == pytest.approx(expected, abs=1e-3)
    assert result["changed_predictions"] == pytest.approx(1 / 30)
    assert (result["accuracy_reference"], result["accuracy"]) == (0.6, 0.55)
    assert result["epoch_seconds"] is None  # no monitored curve


def test_every_other_run_is_compared_with_the_first_on_the_cells_they_share(tmp_path):
    rows = [make_row("supervised", 0), make_row("self_training", 0)]
    a = make_run(tmp_path / "a", rows)
    b = make_run(tmp_path / "b", rows[:1])
    c = make_run(tmp_path / "c", rows)
    write_predictions(c / rows[1]["predictions_file"], rows[1], shift=7)

    results = compare_runs([a, b, c])

    assert [(r["run"], r["cell_id"], r["identical"]) for r in results] == [
        (str(b), rows[0]["cell_id"], True),
        (str(c), rows[0]["cell_id"], True),
        (str(c), rows[1]["cell_id"], False),
    ]


def test_a_missing_predictions_file_is_not_a_verdict(tmp_path):
    row = make_row("supervised", 0)
    a = make_run(tmp_path / "a", [row])
    b = make_run(tmp_path / "b", [row])
    (b / row["predictions_file"]).unlink()

    [result] = compare_runs([a, b])

    assert result["identical"] is None and result["changed_predictions"] is None
    assert "| n/a |" in format_comparison([result], a)


@pytest.mark.parametrize(
    "setup, message",
    [
        ("one", "two or more run folders"),
        ("disjoint", "no cell in common"),
        ("shapes", "has shape"),
    ],
)
def test_bad_input_says_what_is_wrong(tmp_path, setup, message):
    row = make_row("supervised", 0)
    a = make_run(tmp_path / "a", [row])
    folders = [a]
    if setup == "disjoint":
        folders.append(make_run(tmp_path / "b", [make_row("supervised", 1)]))
    if setup == "shapes":
        b = make_run(tmp_path / "b", [row])
        np.savez(
            b / row["predictions_file"],
            **{f"proba_{TEST_SPLIT}": np.zeros((5, 3)), f"y_{TEST_SPLIT}": np.zeros(5)},
        )
        folders.append(b)
    with pytest.raises(ValueError, match=message):
        compare_runs(folders)


def test_epoch_seconds_needs_two_points_of_the_first_phase_and_counts_the_epochs_between():
    curve = [{"seconds": 5.0, "epoch": 1, "phase": 0}, {"seconds": 9.0, "epoch": 1, "phase": 1}]
    assert epoch_seconds({"test_curve": curve}) is None
    assert epoch_seconds({}) is None
    every_two = [{"seconds": s, "epoch": e, "phase": 0} for s, e in ((30, 2), (40, 4), (51, 6))]
    assert epoch_seconds({"test_curve": every_two}) == pytest.approx(5.25)  # 5 and 5.5 an epoch


def test_the_command_prints_a_table_or_json_lines(tmp_path, capsys):
    row = make_row("supervised", 0, 0.6)
    a = make_run(tmp_path / "a", [row])
    b = make_run(tmp_path / "b", [row])

    assert main(["bench", "compare", str(a), str(b)]) == 0
    table = capsys.readouterr().out
    assert f"Against {a} (the reference)" in table
    assert "fer2013\\|supervised\\|none\\|seed\\|0\\|conv4" in table
    assert "| **yes** | 0.0000 | 0.00% | 0.6000 / 0.6000 |" in table

    assert main(["bench", "compare", str(a), str(b), "--json"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["identical"] is True

    assert main(["bench", "compare", str(a)]) == 1
    assert "two or more run folders" in capsys.readouterr().err
