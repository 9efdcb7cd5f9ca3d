"""Tests of `semisup bench merge`: run folders of one grid, run separately (one seed each), merged
into one that `semisup bench report` reads. The run folders are written by hand in the format of
semisup/bench/SCHEMA.md (tiny predictions and split files), plus one end-to-end test on two real
one-epoch runs of the embedded digits."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from semisup.bench.merge import merge_runs
from semisup.bench.report import ResultsFileWarning, load_rows, write_report
from semisup.bench.runner import predictions_file
from semisup.cli import build_parser, main

CLASS_NAMES = ["angry", "happy", "sad"]
TEST_SPLIT = "PrivateTest"
STRATEGIES = ("supervised", "self_training")


def make_row(strategy="supervised", seed=0, accuracy=0.5, filter_name="none"):
    """A result row as the runner writes it (the keys the report and the merge read)."""
    cell_id = f"fer2013|{strategy}|{filter_name}|seed|{seed}|conv4"
    return {
        "cell_id": cell_id,
        "dataset": "fer2013",
        "strategy": strategy,
        "filter": filter_name,
        "nu": None,
        "budget": "seed",
        "seed": seed,
        "encoder": "conv4",
        "test_split": TEST_SPLIT,
        "class_names": CLASS_NAMES,
        "n_labeled": 30,
        "n_unlabeled": 100,
        "n_unlabeled_removed": 0,
        "fraction_removed": 0.0,
        "params": {"epochs": 2},
        "filter_params": None,
        "metrics": {"accuracy": accuracy, "macro_f1": accuracy - 0.05, "ece": 0.1, "nll": 1.0},
        "confusion_matrix": [[5, 1, 0], [1, 5, 1], [0, 1, 6]],
        "history": {"classifier": {"loss": [1.0, 0.8], "accuracy": [0.4, accuracy]}},
        "rounds": None,
        "pseudo_label_precision": None,
        "fit_seconds": 1.0 + seed,
        "images_seen": 100,
        "images_per_second": 100.0,
        "split_file": f"splits/fer2013_seed_seed{seed}.npz",
        "split_sha256": "0" * 64,
        "predictions_file": f"predictions/{strategy}-{seed}.npz",
        "provenance": {"commit": "abc123", "backend": "jax", "time": f"2026-01-0{seed + 1}"},
    }


def write_predictions(path: Path, row: dict, shift: int = 0) -> None:
    """A predictions file in the runner's format: `proba_<split>` and `y_<split>`."""
    rng = np.random.default_rng(row["seed"] + shift)
    y = np.arange(30) % 3
    proba = rng.dirichlet(np.ones(3), size=30)
    proba[np.arange(20), y[:20]] += 2  # mostly right
    proba /= proba.sum(axis=1, keepdims=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez_compressed(
            handle,
            cell_id=np.array(row["cell_id"]),
            **{f"proba_{TEST_SPLIT}": proba.astype(np.float16), f"y_{TEST_SPLIT}": y},
        )


def write_split(path: Path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, labeled=np.arange(seed, seed + 30), unlabeled=np.arange(30, 130))


def make_run(folder: Path, rows, seeds=None, tail: str = "") -> Path:
    """A run folder: results.jsonl, the files its rows name, config.json and transient parts."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + tail)
    for row in rows:
        write_predictions(folder / row["predictions_file"], row)
        write_split(folder / row["split_file"], row["seed"])
    config = {
        "datasets": ["fer2013"],
        "strategies": ["supervised", "self_training"],
        "filters": ["none"],
        "budgets": ["seed"],
        "seeds": sorted({row["seed"] for row in rows}) if seeds is None else seeds,
        "encoder": "conv4",
        "params": {"epochs": 2},
        "data_dir": str(folder / "data"),
    }
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "claims").mkdir(exist_ok=True)
    (folder / "report.md").write_text("# an old report\n")
    return folder


def seed_run(folder: Path, seed: int) -> Path:
    rows = [
        make_row("supervised", seed, 0.40 + 0.01 * seed),
        make_row("self_training", seed, 0.45 + 0.02 * seed),
    ]
    return make_run(folder, rows)


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# ------------------------------------------------------------------------------------------
# merging


def test_rows_and_the_files_they_name_are_merged_and_the_report_shows_both_seeds(tmp_path):
    first, second = seed_run(tmp_path / "seed0", 0), seed_run(tmp_path / "seed1", 1)
    before = {run: files_of(run) for run in (first, second)}
    out = tmp_path / "merged"

    summary = merge_runs(out, [first, second])

    assert summary.rows_from == {str(first): 2, str(second): 2}
    assert summary.duplicates == 0 and summary.already_there == 0 and summary.files_copied == 6
    assert summary.line() == (
        f"merged 4 rows into {out}: 2 from {first}, 2 from {second}; 0 identical duplicates dropped"
    )
    merged_rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert merged_rows == load_rows(first) + load_rows(second)
    merged = files_of(out)
    for run in (first, second):
        for name in ("predictions/supervised", "predictions/self_training", "splits/fer2013"):
            ((path, content),) = [
                (path, content)
                for path, content in before[run].items()
                if path.startswith(name) and ("seed1" in path or "-1" in path) == (run == second)
            ]
            assert merged[path] == content
    # transient parts, earlier reports: not copied; the grid: the union of the seeds
    assert sorted(merged) == sorted(
        ["results.jsonl", "config.json"]
        + [f"predictions/{name}-{seed}.npz" for name in STRATEGIES for seed in (0, 1)]
        + [f"splits/fer2013_seed_seed{seed}.npz" for seed in (0, 1)]
    )
    assert not (out / "claims").exists()
    config = json.loads(merged["config.json"])
    assert config["seeds"] == [0, 1] and config["data_dir"] == str(first / "data")
    assert summary.config_note is None
    # the inputs are only read
    assert {run: files_of(run) for run in (first, second)} == before

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean merge reads as a clean run folder
        text = write_report(out).read_text()
    assert "4 rows" in text and "2 seeds (0, 1)" in text
    assert "Calibration: skipped" not in text  # recomputed from the copied predictions


def test_a_cell_in_two_folders_is_kept_once_when_identical(tmp_path):
    first = seed_run(tmp_path / "seed0", 0)
    copy = make_row("self_training", 0, 0.45)  # the very row of seed0, e.g. a copied folder
    second = make_run(tmp_path / "seed1", [make_row("supervised", 1, 0.41), copy])

    summary = merge_runs(tmp_path / "merged", [first, second])

    assert summary.rows_from == {str(first): 2, str(second): 1} and summary.duplicates == 1
    assert "3 rows" in summary.line() and "1 identical duplicate dropped" in summary.line()
    ids = [row["cell_id"] for row in load_rows(tmp_path / "merged")]
    assert ids == [
        "fer2013|supervised|none|seed|0|conv4",
        "fer2013|self_training|none|seed|0|conv4",
        "fer2013|supervised|none|seed|1|conv4",
    ]


def test_a_cell_that_differs_between_folders_is_an_error_naming_both(tmp_path):
    first = seed_run(tmp_path / "seed0", 0)
    rerun = make_row("supervised", 0, 0.39)  # the same cell run again: another result
    second = make_run(tmp_path / "again", [rerun])
    out = tmp_path / "merged"

    with pytest.raises(ValueError) as raised:
        merge_runs(out, [first, second])

    message = str(raised.value)
    assert "'fer2013|supervised|none|seed|0|conv4'" in message
    assert str(first) in message and str(second) in message
    assert "metrics" in message and "leave" in message and "Nothing was written" in message
    assert not out.exists()


def test_a_named_file_that_differs_between_folders_is_an_error(tmp_path):
    first = seed_run(tmp_path / "seed0", 0)
    # another strategy of seed 0, run elsewhere, but its split file differs (another data copy)
    second = make_run(tmp_path / "other", [make_row("contrastive", 0, 0.5)])
    write_split(second / "splits/fer2013_seed_seed0.npz", seed=7)
    out = tmp_path / "merged"
    out.mkdir()

    with pytest.raises(ValueError, match="splits/fer2013_seed_seed0.npz differs between") as raised:
        merge_runs(out, [first, second])

    assert str(first) in str(raised.value) and str(second) in str(raised.value)
    assert not any(out.iterdir())


def test_a_folder_without_results_is_not_a_run_folder(tmp_path):
    run = seed_run(tmp_path / "seed0", 0)
    empty = tmp_path / "empty"
    empty.mkdir()

    with pytest.raises(FileNotFoundError, match=r"is not a run folder: it has no results\.jsonl"):
        merge_runs(tmp_path / "merged", [run, empty])
    with pytest.raises(FileNotFoundError, match="does not exist"):
        merge_runs(tmp_path / "merged", [run, tmp_path / "typo"])
    with pytest.raises(NotADirectoryError):
        merge_runs(tmp_path / "merged", [run / "results.jsonl"])
    assert not (tmp_path / "merged").exists()


def test_an_existing_run_folder_needs_force_which_adds_to_it_and_deletes_nothing(tmp_path):
    runs = [seed_run(tmp_path / f"seed{seed}", seed) for seed in (0, 1, 2)]
    out = tmp_path / "merged"
    merge_runs(out, runs[:2])
    (out / "notes.txt").write_text("mine")
    results_before = (out / "results.jsonl").read_bytes()

    with pytest.raises(FileExistsError, match="--force"):
        merge_runs(out, [runs[2]])
    assert (out / "results.jsonl").read_bytes() == results_before

    summary = merge_runs(out, runs, force=True)  # the same runs again, and a third seed

    assert summary.already_there == 4 and summary.duplicates == 4
    assert summary.rows_from == {str(runs[0]): 0, str(runs[1]): 0, str(runs[2]): 2}
    assert "(4 already there)" in summary.line()
    results = (out / "results.jsonl").read_bytes()
    assert results.startswith(results_before) and len(load_rows(out)) == 6
    assert (out / "notes.txt").read_text() == "mine"
    assert json.loads((out / "config.json").read_text())["seeds"] == [0, 1, 2]

    # one of the runs may be the output folder itself
    summary = merge_runs(runs[0], [runs[1]], force=True)
    assert summary.already_there == 2 and summary.rows_from == {str(runs[1]): 2}
    assert len(load_rows(runs[0])) == 4


def test_conflict_with_the_output_folder_advises_a_new_folder(tmp_path):
    out = seed_run(tmp_path / "seed0", 0)
    second = make_run(tmp_path / "again", [make_row("supervised", 0, 0.3)])
    with pytest.raises(ValueError, match="merge into a new folder instead"):
        merge_runs(out, [second], force=True)


def test_grids_that_differ_beyond_their_dimensions_and_encoders_get_no_config(tmp_path):
    first = seed_run(tmp_path / "seed0", 0)
    second = seed_run(tmp_path / "seed1", 1)
    config = json.loads((second / "config.json").read_text())
    (second / "config.json").write_text(json.dumps({**config, "validation": "dataset"}))

    summary = merge_runs(tmp_path / "merged", [first, second])

    assert not (tmp_path / "merged" / "config.json").exists()
    assert "differ in validation" in summary.config_note


def test_grids_of_other_encoders_merge_into_a_grid_over_all_of_them(tmp_path):
    first = seed_run(tmp_path / "seed0", 0)
    second = seed_run(tmp_path / "seed1", 1)
    config = json.loads((second / "config.json").read_text())
    (second / "config.json").write_text(json.dumps({**config, "encoder": ["wrn28_2", "conv4"]}))

    summary = merge_runs(tmp_path / "merged", [first, second])

    assert summary.config_note is None
    merged = json.loads((tmp_path / "merged" / "config.json").read_text())
    assert merged["encoder"] == [config["encoder"], "wrn28_2"] and merged["seeds"] == [0, 1]
    # one encoder throughout stays one name
    (second / "config.json").write_text(json.dumps(config))
    merge_runs(tmp_path / "again", [first, second])
    assert json.loads((tmp_path / "again" / "config.json").read_text())["encoder"] == "conv4"


def test_grids_of_other_strategies_and_seeds_merge_into_a_grid_over_their_union(tmp_path):
    # the usual split of a long grid: some strategies in one session, the rest in the next
    first = seed_run(tmp_path / "seed0", 0)
    second = seed_run(tmp_path / "rest", 1)
    config = json.loads((second / "config.json").read_text())
    rest = {**config, "strategies": ["self_training", "mean_teacher"], "budgets": ["k:5"]}
    (second / "config.json").write_text(json.dumps(rest))

    summary = merge_runs(tmp_path / "merged", [first, second])

    assert summary.config_note is None
    merged = json.loads((tmp_path / "merged" / "config.json").read_text())
    assert merged["strategies"] == ["supervised", "self_training", "mean_teacher"]
    assert merged["budgets"] == ["seed", "k:5"] and merged["seeds"] == [0, 1]
    assert merged["datasets"] == ["fer2013"] and merged["params"] == config["params"]


def test_torn_lines_cells_in_progress_and_missing_files_warn(tmp_path):
    first = seed_run(tmp_path / "seed0", 0)
    second = make_run(tmp_path / "seed1", [make_row("supervised", 1)], tail='{"cell_id": "x"')
    (second / "checkpoints" / "abc").mkdir(parents=True)
    (first / "predictions/supervised-0.npz").unlink()
    torn_before = (second / "results.jsonl").read_bytes()

    with pytest.warns(UserWarning) as caught:
        summary = merge_runs(tmp_path / "merged", [first, second])

    messages = [str(item.message) for item in caught]
    assert any("torn last line" in m for m in messages)
    assert any(item.category is ResultsFileWarning for item in caught)
    assert any("cell in progress" in m and str(second) in m for m in messages)
    assert any("predictions/supervised-0.npz, which is missing" in m for m in messages)
    assert summary.n_rows == 3
    assert (second / "results.jsonl").read_bytes() == torn_before  # the input is not repaired
    assert not (tmp_path / "merged" / "predictions/supervised-0.npz").exists()


def test_a_row_naming_a_file_outside_its_folder_is_refused(tmp_path):
    row = {**make_row(), "predictions_file": "../elsewhere.npz"}
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(ValueError, match="not inside its run folder"):
        merge_runs(tmp_path / "merged", [run])


# ------------------------------------------------------------------------------------------
# command line


def test_command_line_prints_the_summary_and_the_report_command(tmp_path, capsys):
    first, second = seed_run(tmp_path / "seed0", 0), seed_run(tmp_path / "seed1", 1)
    out = tmp_path / "merged"
    args = build_parser().parse_args(["bench-merge", str(out), str(first), str(second)])
    assert (args.out_dir, args.run_dirs, args.force) == (str(out), [str(first), str(second)], False)

    assert main(["bench", "merge", str(out), str(first), str(second)]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"merged 4 rows into {out}: 2 from {first}, 2 from {second}; "
        "0 identical duplicates dropped",
        f"next: semisup bench report {out}",
    ]
    assert main(["bench", "report", str(out)]) == 0
    assert (out / "report.md").is_file()


def test_command_line_errors_are_one_line(tmp_path, capsys):
    run = seed_run(tmp_path / "seed0", 0)
    (tmp_path / "plain").mkdir()
    assert main(["bench", "merge", str(tmp_path / "out"), str(run), str(tmp_path / "plain")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("semisup: error: ") and "has no results.jsonl" in error
    assert len(error.strip().splitlines()) == 1

    assert main(["bench", "merge", str(tmp_path / "out"), str(run)]) == 0
    assert main(["bench", "merge", str(tmp_path / "out"), str(run)]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["bench", "merge", "--force", str(tmp_path / "out"), str(run)]) == 0


# ------------------------------------------------------------------------------------------
# renaming: grids that ran one strategy name differently


def two_lengths_of_one_strategy(tmp_path):
    """Two grids naming `self_training` alike but run differently (epochs 2 and 5), with the
    runner's predictions file names, so their cells and files clash."""
    runs = []
    for name, epochs, accuracy in (("short", 2, 0.45), ("long", 5, 0.52)):
        rows = [make_row("self_training", 0, accuracy)]
        if name == "short":
            rows.insert(0, make_row("supervised", 0, 0.40))
        for row in rows:
            row["params"] = {"epochs": epochs, "confidence_threshold": 0.9}
            row["predictions_file"] = predictions_file(row["cell_id"])
        runs.append(make_run(tmp_path / name, rows))
    return runs


def test_rename_gives_a_differently_run_strategy_its_own_cells(tmp_path):
    short, long = two_lengths_of_one_strategy(tmp_path)
    before = files_of(long)
    out = tmp_path / "merged"
    merge_runs(out, [short])
    with pytest.raises(ValueError, match="cell 'fer2013|self_training|none|seed|0|conv4'"):
        merge_runs(out, [long], force=True)  # one name, two runs: the merge will not choose

    summary = merge_runs(
        out, [long], force=True, rename={"self_training": "self_training[epochs=5]"}
    )

    assert summary.renamed == {"self_training": 1} and summary.rows_from == {str(long): 1}
    assert summary.line().endswith("0 identical duplicates dropped; 1 row of self_training renamed")
    assert summary.config_note.startswith("strategies were renamed")
    rows = {row["strategy"]: row for row in load_rows(out)}
    assert sorted(rows) == ["self_training", "self_training[epochs=5]", "supervised"]
    renamed, kept = rows["self_training[epochs=5]"], rows["self_training"]
    assert renamed["cell_id"] == "fer2013|self_training[epochs=5]|none|seed|0|conv4"
    assert renamed["renamed_from"] == {
        "strategy": "self_training",
        "cell_id": "fer2013|self_training|none|seed|0|conv4",
    }
    assert renamed["metrics"]["accuracy"] == 0.52 and kept["metrics"]["accuracy"] == 0.45
    assert "renamed_from" not in kept  # rows already in OUT keep their names
    # the renamed row's predictions moved to its new cell id's file, bytes unchanged
    assert renamed["predictions_file"] == predictions_file(renamed["cell_id"])
    assert (out / renamed["predictions_file"]).read_bytes() == before[
        predictions_file("fer2013|self_training|none|seed|0|conv4")
    ]
    assert (out / kept["predictions_file"]).read_bytes() == files_of(short)[
        kept["predictions_file"]
    ]
    assert files_of(long) == before  # the input is only read

    again = merge_runs(out, [long], force=True, rename={"self_training": "self_training[epochs=5]"})
    assert again.duplicates == 1 and again.rows_from == {str(long): 0}  # the same merge: no-op
    text = write_report(out).read_text()
    assert "self_training[epochs=5]" in text and "Renamed when merged" in text


@pytest.mark.parametrize(
    ("new", "message"),
    [
        (
            "self_training[epochs=4]",
            r"cannot be named 'self_training\[epochs=4\]': its params record epochs=5",
        ),
        ("self_training[rounds=2]", r"record rounds=\(not recorded\)"),
        ("supervised[epochs=5]", "must be a spec of the same strategy"),
        ("self_training", "must be a spec of the same strategy"),
        ("self_training[epochs=5]|x", "without '|'"),
    ],
)
def test_rename_refuses_a_name_that_states_what_did_not_run(tmp_path, new, message):
    _, long = two_lengths_of_one_strategy(tmp_path)
    out = tmp_path / "merged"
    with pytest.raises(ValueError, match=message):
        merge_runs(out, [long], rename={"self_training": new})
    assert not out.exists()  # nothing written


def test_rename_of_a_strategy_no_input_ran_is_an_error_naming_theirs(tmp_path):
    _, long = two_lengths_of_one_strategy(tmp_path)
    with pytest.raises(
        ValueError, match="has the strategy 'mean_teacher'; theirs are self_training"
    ):
        merge_runs(tmp_path / "out", [long], rename={"mean_teacher": "mean_teacher[steps=9]"})


def test_command_line_rename(tmp_path, capsys):
    short, long = two_lengths_of_one_strategy(tmp_path)
    out = tmp_path / "merged"
    new = "self_training[epochs=5, confidence_threshold=0.9]"
    args = build_parser().parse_args(
        ["bench-merge", str(out), str(long), "--rename", f"self_training={new}"]
    )
    assert args.rename == [("self_training", new)]
    assert main(["bench", "merge", str(out), str(short)]) == 0
    assert (
        main(["bench", "merge", "--force", str(out), str(long), "--rename", f"self_training={new}"])
        == 0
    )
    printed = capsys.readouterr().out
    assert "1 row of self_training renamed" in printed
    assert "config.json not written: strategies were renamed" in printed
    assert {row["strategy"] for row in load_rows(out)} == {"supervised", "self_training", new}
    for bad in ("self_training", "=x", "self_training="):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["bench-merge", str(out), str(long), "--rename", bad])
    assert "is not OLD=NEW" in capsys.readouterr().err
    twice = [
        "--rename",
        f"self_training={new}",
        "--rename",
        "self_training=self_training[epochs=5]",
    ]
    assert main(["bench", "merge", str(tmp_path / "other"), str(long), *twice]) == 1
    assert "--rename names 'self_training' more than once" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()


def one_seed_of(tmp_path, name, strategy, seed, accuracy=0.5):
    """A run folder of one `strategy` cell of `seed`, recorded with epochs=5 and threshold 0.9."""
    row = make_row(strategy, seed, accuracy)
    row["params"] = {"epochs": 5, "confidence_threshold": 0.9}
    row["predictions_file"] = predictions_file(row["cell_id"])
    return make_run(tmp_path / name, [row])


@pytest.mark.parametrize(
    "other",
    [
        "self_training[epochs=5,confidence_threshold=0.9]",  # no spaces
        "self_training[confidence_threshold=0.9, epochs=5]",  # other order
        "self_training[ epochs = 5 , confidence_threshold = 0.9 ]",
    ],
)
def test_another_spelling_of_a_strategy_gets_the_one_met_first(tmp_path, other):
    first = "self_training[epochs=5, confidence_threshold=0.9]"
    out = one_seed_of(tmp_path, "out", first, 0, 0.50)
    later = one_seed_of(tmp_path, "later", other, 1, 0.56)
    before = files_of(later)

    summary = merge_runs(out, [later], force=True)

    assert summary.respelled == {other: (first, 1)} and summary.renamed == {}
    assert summary.line().endswith(
        f"1 row of {other} respelled {first} (the same strategy and parameters)"
    )
    assert summary.config_note.startswith("strategies were respelled")
    assert "config.json is left as it was" in summary.config_note  # OUT had one; not rewritten
    rows = {row["seed"]: row for row in load_rows(out)}
    assert {row["strategy"] for row in rows.values()} == {first}
    respelled = rows[1]
    assert respelled["cell_id"] == f"fer2013|{first}|none|seed|1|conv4"
    assert respelled["renamed_from"] == {
        "strategy": other,
        "cell_id": f"fer2013|{other}|none|seed|1|conv4",
    }
    assert "renamed_from" not in rows[0]
    assert (out / respelled["predictions_file"]).read_bytes() == before[
        predictions_file(f"fer2013|{other}|none|seed|1|conv4")
    ]
    assert files_of(later) == before  # the input is only read
    text = write_report(out).read_text()
    assert f"| {first} | none | 2 | 0.5300 +- 0.0424 |" in text  # one strategy, both seeds


def test_other_parameters_are_not_another_spelling(tmp_path):
    out = one_seed_of(tmp_path, "out", "self_training[epochs=5]", 0)
    later = one_seed_of(tmp_path, "later", "self_training[epochs=6]", 1)
    summary = merge_runs(out, [later], force=True)
    assert summary.respelled == {}
    assert summary.config_note is None  # one grid: config.json is written
    assert {row["strategy"] for row in load_rows(out)} == {
        "self_training[epochs=5]",
        "self_training[epochs=6]",
    }


def test_two_spellings_among_the_inputs_take_the_first_inputs(tmp_path):
    a = one_seed_of(tmp_path, "a", "self_training[epochs=5,confidence_threshold=0.9]", 0)
    b = one_seed_of(tmp_path, "b", "self_training[epochs=5, confidence_threshold=0.9]", 1)
    summary = merge_runs(tmp_path / "out", [a, b])
    assert summary.respelled == {
        "self_training[epochs=5, confidence_threshold=0.9]": (
            "self_training[epochs=5,confidence_threshold=0.9]",
            1,
        )
    }
    assert not (tmp_path / "out" / "config.json").exists()
    assert {row["strategy"] for row in load_rows(tmp_path / "out")} == {
        "self_training[epochs=5,confidence_threshold=0.9]"
    }


def test_a_rename_to_another_spelling_ends_at_the_spelling_there(tmp_path):
    first = "self_training[epochs=5, confidence_threshold=0.9]"
    out = one_seed_of(tmp_path, "out", first, 0)
    plain = one_seed_of(tmp_path, "plain", "self_training", 1)
    summary = merge_runs(
        out,
        [plain],
        force=True,
        rename={"self_training": "self_training[epochs=5,confidence_threshold=0.9]"},
    )
    assert summary.renamed == {"self_training": 1}
    assert summary.respelled == {"self_training[epochs=5,confidence_threshold=0.9]": (first, 1)}
    row = next(row for row in load_rows(out) if row["seed"] == 1)
    assert row["strategy"] == first
    assert row["renamed_from"]["strategy"] == "self_training"  # what it ran as


# ------------------------------------------------------------------------------------------
# end to end: two real runs of one grid, one seed each


def test_two_real_one_seed_runs_merge_into_one_report(tmp_path):
    from semisup.bench import BenchConfig, run

    grid = {
        "datasets": ["digits"],
        "strategies": ["supervised"],
        "filters": ["none"],
        "budgets": ["k:5"],
        "params": {"epochs": 1, "batch_size": 32},
    }
    runs = []
    for seed in (0, 1):
        config = BenchConfig.from_sources(overrides={**grid, "seeds": [seed]})
        runs.append(tmp_path / f"seed{seed}")
        run(config, runs[-1], verbose=0, report=False)

    merge_runs(tmp_path / "merged", runs)

    rows = load_rows(tmp_path / "merged")
    assert [row["seed"] for row in rows] == [0, 1]
    for row in rows:
        assert (tmp_path / "merged" / row["predictions_file"]).is_file()
        assert (tmp_path / "merged" / row["split_file"]).is_file()
    assert json.loads((tmp_path / "merged" / "config.json").read_text())["seeds"] == [0, 1]
    text = write_report(tmp_path / "merged").read_text()
    assert "2 seeds (0, 1)" in text and "supervised" in text

    # a third run, of another strategy on seed 0 only: the merged grid is their union, and
    # re-running it in the merged folder runs just the cell no input ran (that strategy, seed 1)
    other = "supervised[epochs=2]"
    config = BenchConfig.from_sources(overrides={**grid, "strategies": [other], "seeds": [0]})
    run(config, tmp_path / "other", verbose=0, report=False)
    merge_runs(tmp_path / "merged", [tmp_path / "other"], force=True)
    merged_grid = tmp_path / "merged" / "config.json"
    assert json.loads(merged_grid.read_text())["strategies"] == ["supervised", other]
    before = load_rows(tmp_path / "merged")
    again = BenchConfig.from_sources(config_file=merged_grid)
    run(again, tmp_path / "merged", verbose=0, report=False)
    after = load_rows(tmp_path / "merged")
    assert after[: len(before)] == before
    assert [(row["strategy"], row["seed"]) for row in after[len(before) :]] == [(other, 1)]
