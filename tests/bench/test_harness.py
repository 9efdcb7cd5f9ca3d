import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from semisup.bench import BenchConfig, expand_grid, plan, read_results, run
from semisup.bench.runner import append_row, cell_checkpoint_dir, saved_epochs

TINY = {
    "datasets": ["digits"],
    "strategies": ["supervised", "self_training"],
    "filters": ["none", "deep_svdd:0.3"],
    "budgets": ["k:5"],
    "seeds": [0],
    "params": {"epochs": 2, "batch_size": 32, "self_training": {"rounds": 1}},
    "filter_params": {"epochs": 1},
}


def tiny_config(**changes):
    return BenchConfig.from_sources(overrides={**TINY, **changes})


def test_presets_and_grid():
    demo = BenchConfig.from_sources(preset="demo").validate()
    cells = expand_grid(demo)
    ids = [cell["cell_id"] for cell in cells]
    assert len(ids) == len(set(ids)) == 9  # supervised ignores the pool: no filtered variant
    assert "digits|supervised|none|seed|0|conv4" in ids
    assert not any(i.startswith("digits|supervised|deep_svdd") for i in ids)
    seed = BenchConfig.from_sources(preset="seed")
    assert seed.params == {"steps_per_execution": 32} and seed.seeds == [0, 1, 2]
    ssl = BenchConfig.from_sources(preset="ssl").validate()
    assert ssl.encoder == "wrn28_2" and ssl.time_limit_s == 1200
    assert ssl.strategy_params("fixmatch")["steps"] == 30000
    assert ssl.strategy_params("freematch")["steps"] == 30000
    assert "steps" not in ssl.strategy_params("supervised")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"strategies": ["supervised", "magic"]}, r"Unknown strategy 'magic'.*supervised"),
        ({"encoder": "resnet9000"}, r"Unknown encoder 'resnet9000'.*conv4"),
        ({"datasets": ["imagenet"]}, r"Unknown data set 'imagenet'.*fer2013"),
        ({"filters": ["deep_svdd:1.5"]}, r"nu must be in \(0, 1\]"),
        ({"filters": ["isolation:0.1"]}, r"deep_svdd"),
        ({"budgets": ["k:0"]}, r"k:N"),
        ({"params": {"epochz": 3}}, r"epochz"),
        ({"params": {"self_training": {"round": 3}}}, r"rounds"),
        ({"filter_params": {"nus": 3}}, r"DeepSVDDFilter"),
        ({"test_time_augmentation": ["vflip"]}, r"entry 'vflip': Unknown transform"),
        ({"test_time_augmentation": ["hflip+shift:0"]}, r"whole number of pixels"),
        ({"test_time_augmentation": "hflip"}, r"non-empty list.*\['hflip'\]"),
        ({"test_time_augmentation": []}, r"non-empty list"),
        ({"test_time_augmentation": [["hflip"]]}, r"each entry is a string"),
        ({"test_time_augmentation": ["hflip", "hflip"]}, r"entry twice"),
        ({"encoder": []}, r"encoder must be .* or a non-empty list"),
        ({"encoder": ["conv4", 3]}, r"encoder must be"),
        ({"encoder": ["conv4", "conv4"]}, r"encoder lists an encoder twice"),
        ({"encoder": ["conv4", "resnet9000"]}, r"Unknown encoder 'resnet9000'"),
        # parameter values, checked as the strategies check them at fit()
        ({"strategies": ["fixmatch"]}, r"Strategy 'fixmatch': FixMatch needs its training length"),
        ({"params": {"epochs": 0}}, r"Strategy 'supervised': epochs must be a positive integer"),
        ({"strategies": ["supervised[precision=mixed_float16]"]}, r"precision must be one of"),
    ],
)
def test_bad_configs_fail_before_training(changes, message):
    with pytest.raises(ValueError, match=message):
        tiny_config(**changes).validate()


def test_command_line_parameters_beat_the_presets_per_strategy_values():
    config = BenchConfig.from_sources(
        preset="demo", overrides={"params": {"pretrain_epochs": 1, "epochs": 2}}
    ).validate()
    assert config.strategy_params("two_step_autoencoder")["pretrain_epochs"] == 1
    assert config.strategy_params("contrastive")["pretrain_epochs"] == 1
    assert config.strategy_params("supervised")["epochs"] == 2
    assert config.strategy_params("self_training")["rounds"] == 1  # untouched preset value


def test_unknown_preset_and_config_file(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown preset 'fast'.*demo"):
        BenchConfig.from_sources(preset="fast")
    path = tmp_path / "grid.toml"
    path.write_text(
        'preset = "demo"\nseeds = [3]\nstrategies = ["supervised"]\n[params]\nepochs = 1\n'
    )
    config = BenchConfig.from_sources(config_file=path).validate()
    assert config.seeds == [3] and config.params["epochs"] == 1
    assert config.params["self_training"] == {"rounds": 1}  # the preset's, merged
    path.write_text('strategy = ["supervised"]\n')
    with pytest.raises(ValueError, match="unknown key"):
        BenchConfig.from_sources(config_file=path)


def test_a_run_folders_config_json_is_a_grid_file(tmp_path):
    # what a run folder records (BenchConfig.to_dict) reads back as the same grid
    config = BenchConfig.from_sources(preset="demo", overrides={"seeds": [3]}).validate()
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config.to_dict()))
    assert BenchConfig.from_sources(config_file=path).validate() == config
    # the command line still overrides it
    assert BenchConfig.from_sources(config_file=path, overrides={"seeds": [4]}).seeds == [4]
    for text, message in (
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "holds no grid"),
        ('{"strategy": ["supervised"]}', "unknown key"),
    ):
        path.write_text(text)
        with pytest.raises(ValueError, match=message):
            BenchConfig.from_sources(config_file=path)


@pytest.mark.backend  # checkpointing and resuming must work under JAX too
def test_run_resume_and_force(tmp_path):
    config = tiny_config()
    rows = run(config, tmp_path, verbose=0, report=False)
    assert len(rows) == 3
    row = rows[-1]
    assert row["strategy"] == "self_training" and row["filter"] == "deep_svdd:0.3"
    assert 0 <= row["metrics"]["accuracy"] <= 1 and row["metrics"]["ece"] >= 0
    assert row["n_labeled"] == 50 and row["n_unlabeled_removed"] > 0
    assert row["rounds"][0]["precision"] is None or 0 <= row["rounds"][0]["precision"] <= 1
    assert row["provenance"]["backend"] and (tmp_path / row["split_file"]).exists()
    assert not any((tmp_path / "checkpoints").iterdir())
    # the saved test probabilities reproduce the row's accuracy
    with np.load(tmp_path / row["predictions_file"]) as saved:
        assert str(saved["cell_id"]) == row["cell_id"]
        proba, y = saved["proba_test"].astype(np.float64), saved["y_test"]
    assert proba.shape == (len(y), 10) and np.allclose(proba.sum(axis=1), 1, atol=1e-2)
    assert (proba.argmax(axis=1) == y).mean() == pytest.approx(row["metrics"]["accuracy"])

    # a re-run finds everything done and trains nothing
    started = time.perf_counter()
    again = run(config, tmp_path, verbose=0, report=False)
    assert len(again) == 3 and time.perf_counter() - started < 5
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 3

    forced = run(
        tiny_config(strategies=["supervised"], filters=["none"]),
        tmp_path,
        force=True,
        verbose=0,
        report=False,
    )
    assert len(forced) == 1
    assert list(tmp_path.glob("results.jsonl.replaced-*"))


def test_a_finished_cell_with_other_parameters_is_not_skipped_silently(tmp_path):
    config = tiny_config(strategies=["supervised"], filters=["none"])
    (cell,) = expand_grid(config)
    # a row as an earlier run with `--set epochs=3` left it (no training needed here)
    stored = {"epochs": 3, "batch_size": 32, "encoder": "conv4"}
    append_row(
        tmp_path / "results.jsonl",
        {"cell_id": cell["cell_id"], "params": stored, "time_limit_s": None},
    )
    with pytest.raises(ValueError, match=r"epochs=3 there, 2 now.*another --run-dir"):
        run(config, tmp_path, verbose=0, report=False)
    with pytest.raises(ValueError, match=r"time_limit_s=None there, 60 now"):
        run(
            tiny_config(
                strategies=["supervised"],
                filters=["none"],
                params={"epochs": 3, "batch_size": 32},
                time_limit_s=60,
            ),
            tmp_path,
            verbose=0,
            report=False,
        )
    # the same settings: skipped as finished, nothing trains; parameters the grid leaves at
    # their defaults are not compared
    same = tiny_config(strategies=["supervised"], filters=["none"], params={"epochs": 3})
    assert run(same, tmp_path, verbose=0, report=False)[0]["params"] == stored
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 1


@pytest.mark.parametrize(
    ("there", "stopped", "fit_seconds", "now", "skipped"),
    [
        (1500, False, 837.0, 1200, True),  # not stopped, and within the new limit
        (1500, False, 837.0, None, True),  # no limit now: nothing would stop it
        (1500, False, 837.0, 800, False),  # the new limit would have stopped it
        (600, True, 600.2, 1200, False),  # stopped by its own limit: it trained less
        (None, False, 837.0, 1200, True),
        (1500, None, 837.0, 1200, False),  # a row that does not say whether it was stopped
    ],
)
def test_another_time_limit_changes_only_cells_it_would_have_stopped(
    tmp_path, there, stopped, fit_seconds, now, skipped
):
    config = tiny_config(strategies=["supervised"], filters=["none"], time_limit_s=now)
    (cell,) = expand_grid(config)
    row = {
        "cell_id": cell["cell_id"],
        "params": {"epochs": 2, "batch_size": 32},
        "time_limit_s": there,
        "fit_seconds": fit_seconds,
    }
    if stopped is not None:
        row["stopped_by_time_limit"] = stopped
    append_row(tmp_path / "results.jsonl", row)
    if skipped:
        assert plan(config, tmp_path).pending == []
    else:
        with pytest.raises(ValueError, match=f"time_limit_s={there!r} there, {now!r} now"):
            plan(config, tmp_path)


def test_a_dry_run_lists_the_cells_to_run_and_writes_nothing(tmp_path):
    config = tiny_config()
    run_dir = tmp_path / "run"
    grid = plan(config, run_dir)
    assert not run_dir.exists()  # nothing written
    assert [cell["cell_id"] for cell in grid.pending] == [
        cell["cell_id"] for cell in expand_grid(config)
    ]
    assert grid.params == {
        "supervised": {"epochs": 2, "batch_size": 32},
        "self_training": {"epochs": 2, "batch_size": 32, "rounds": 1},
    }
    lines = grid.lines()
    assert lines[0] == (
        f"dry run: 3 cells, 0 already finished in {run_dir / 'results.jsonl'} (skipped), "
        "3 to run; nothing is trained or written"
    )
    assert "  to run: digits|self_training|deep_svdd:0.3|k:5|0|conv4" in lines
    assert "  self_training: epochs=2, batch_size=32, rounds=1" in lines

    # a finished cell is skipped, unless forced; one finished with other settings is an error
    run_dir.mkdir()
    first = grid.cells[0]
    stored = {"epochs": 2, "batch_size": 32}
    append_row(run_dir / "results.jsonl", {"cell_id": first["cell_id"], "params": stored})
    before = (run_dir / "results.jsonl").read_bytes()
    grid = plan(config, run_dir)
    assert grid.finished == {first["cell_id"]} and len(grid.pending) == 2
    assert grid.lines()[0].startswith("dry run: 3 cells, 1 already finished")
    assert len(plan(config, run_dir, force=True).pending) == 3
    with pytest.raises(ValueError, match="epochs=2 there, 4 now"):
        plan(tiny_config(params={"epochs": 4}), run_dir)
    assert sorted(path.name for path in run_dir.iterdir()) == ["results.jsonl"]
    assert (run_dir / "results.jsonl").read_bytes() == before

    # a finished cell's fit time estimates the pending cells of its strategy, data set, budget
    # and encoder (another filter or seed)
    second = grid.cells[1]
    assert second["strategy"] == "self_training" and second["filter"] == "none"
    append_row(
        run_dir / "results.jsonl",
        {**{key: second[key] for key in ("cell_id", "dataset", "strategy", "filter", "budget")},
         "seed": 0, "encoder": second["encoder"], "params": {**stored, "rounds": 1},
         "fit_seconds": 7.5},
    )  # fmt: skip
    grid = plan(config, run_dir)
    (third,) = grid.pending
    assert third["filter"] == "deep_svdd:0.3" and grid.estimates == {third["cell_id"]: 7.5}
    assert grid.lines()[2] == (
        "estimated from the finished cells of the same strategy, data set, budget and encoder: "
        "1 of the 1 cells, ~8 s of fit time one after another"
    )


def test_a_dry_run_names_the_checkpoint_a_pending_cell_resumes(tmp_path):
    config = tiny_config(strategies=["self_training"], filters=["none"])
    (cell,) = expand_grid(config)
    assert plan(config, tmp_path).lines()[1] == f"  to run: {cell['cell_id']}"
    folder = cell_checkpoint_dir(tmp_path, cell["cell_id"])
    # Keras's BackupAndRestore layout, a folder a phase; listed in the order they were saved
    for name, metadata, mtime in [
        ("round1", '{"epoch": 3, "batch": 0}', 2_000_000_000),
        ("round0", '{"epoch": 2, "batch": 0}', 1_000_000_000),
        ("round2", "{not json", 2_000_000_100),
    ]:
        (folder / name).mkdir(parents=True)
        (folder / name / "training_metadata.json").write_text(metadata)
        os.utime(folder / name / "training_metadata.json", (mtime, mtime))
    (folder / "round3").mkdir()  # begun, nothing saved: not listed
    assert saved_epochs(folder) == [("round0", 2), ("round1", 3), ("round2", None)]
    assert plan(config, tmp_path).lines()[1] == (
        f"  to run: {cell['cell_id']} (resumes its checkpoint: round0 after epoch 2, "
        "round1 after epoch 3, round2 at an unreadable epoch)"
    )
    # a finished cell's leftover folder is not listed: the cell is not pending
    finished = {"cell_id": cell["cell_id"], "params": {"epochs": 2, "batch_size": 32, "rounds": 1}}
    append_row(tmp_path / "results.jsonl", finished)
    assert not any("  to run:" in line for line in plan(config, tmp_path).lines())


def test_a_dry_run_scales_fit_times_of_the_same_strategy_at_other_lengths(tmp_path):
    from semisup.bench.runner import _json_ready, strategy_class

    config = tiny_config(strategies=["mean_teacher[steps=40]"], filters=["none"])
    (cell,) = expand_grid(config)
    assert plan(config, tmp_path).estimates == {}  # nothing finished: no estimate

    def finished(spec, fit_seconds, unit="steps", value=20, seed=1, **changed):
        strategy = strategy_class(spec)(encoder=cell["encoder"], random_state=seed)
        strategy.set_params(**config.strategy_params(spec))
        params = {**_json_ready(strategy.get_params(deep=False)), **changed}
        row = {**{key: cell[key] for key in ("dataset", "filter", "budget", "encoder")},
               "cell_id": f"{spec}|{seed}|{fit_seconds}", "strategy": spec, "seed": seed,
               "params": params, "fit_seconds": fit_seconds,
               "training_length": {"unit": unit, "value": value}}  # fmt: skip
        append_row(tmp_path / "results.jsonl", row)

    finished("mean_teacher[steps=20]", 3.0)  # half the steps: 6 s
    finished("mean_teacher[steps=10]", 1.0, value=10)  # a quarter: 4 s
    # not the same run at another length: another batch size, another strategy, images
    # instead of steps
    finished("mean_teacher[steps=20]", 50.0, batch_size=64)
    finished("pi_model[steps=20]", 70.0)
    finished("mean_teacher[steps=20]", 90.0, unit="images", value=2560)
    grid = plan(config, tmp_path)
    assert grid.estimates == {cell["cell_id"]: pytest.approx(5.0)}
    assert grid.scaled == {cell["cell_id"]}
    assert (
        "1 of the 1 cells (1 scaled from runs of the strategy at other training lengths)"
        in (grid.lines()[2])
    )
    # a finished cell of the very strategy (another seed) is what estimates it, unscaled
    finished("mean_teacher[steps=40]", 8.0, value=40)
    grid = plan(config, tmp_path)
    assert grid.estimates == {cell["cell_id"]: 8.0} and not grid.scaled


def test_a_dry_run_from_the_command_line(tmp_path, capsys):
    from semisup.cli import main

    code = main(
        ["bench", "--dataset", "digits", "--strategies", "supervised,mean_teacher[steps=40]",
         "--filters", "none", "--budgets", "k:5", "--seeds", "0,1", "--set", "epochs=2",
         "--run-dir", str(tmp_path / "run"), "--dry-run"]
    )  # fmt: skip
    assert code == 0 and not (tmp_path / "run").exists()
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("dry run: 4 cells, 0 already finished")
    assert "  to run: digits|mean_teacher[steps=40]|none|k:5|1|conv4" in out
    assert (
        "  mean_teacher[steps=40]: epochs=2, batch_size=64, steps=40" in out
    )  # the demo preset's batch


def test_another_spelling_of_a_finished_strategy_is_that_strategy(tmp_path, capsys):
    first, other = "supervised[epochs=1, verbose=0]", "supervised[verbose=0,epochs=1]"

    def grid(strategy, **params):
        return tiny_config(
            strategies=[strategy], filters=["none"], params={"batch_size": 32, **params}
        )

    (row,) = run(grid(first), tmp_path, verbose=0, report=False)
    before = (tmp_path / "results.jsonl").read_bytes()
    planned = plan(grid(other), tmp_path)
    assert planned.respelled == {other: first} and planned.pending == []
    assert planned.config.strategies == [first]
    assert (
        f"  strategy {other!r} runs as {first!r}: the same strategy and parameters, spelled as "
        f"{tmp_path / 'results.jsonl'} (or the grid, earlier) spells it"
    ) in planned.lines()

    rows = run(grid(other), tmp_path, verbose=1, report=False)  # nothing to train
    assert [r["cell_id"] for r in rows] == [row["cell_id"]]
    assert (tmp_path / "results.jsonl").read_bytes() == before
    assert f"strategy {other!r} runs as {first!r}" in capsys.readouterr().out
    assert json.loads((tmp_path / "config.json").read_text())["strategies"] == [first]
    # other values are another variant, not another spelling
    assert plan(grid("supervised[epochs=2, verbose=0]"), tmp_path).respelled == {}


def test_two_spellings_in_one_grid_are_one_strategy_and_its_params_move_with_it():
    from semisup.bench.runner import adopt_spellings

    a, b = "mean_teacher[steps=40,ema_decay=0.9]", "mean_teacher[ema_decay=0.9, steps=40]"
    config = tiny_config(strategies=["supervised", a, b], params={b: {"batch_size": 16}})
    adopted, respelled = adopt_spellings(config, [])
    assert respelled == {b: a} and adopted.strategies == ["supervised", a]
    assert adopted.params == {a: {"batch_size": 16}} and config.params == {b: {"batch_size": 16}}
    assert len(expand_grid(adopted)) == 2 * 2 - 1  # supervised has no filtered cell
    assert adopt_spellings(tiny_config(), [{"strategy": "supervised"}]) == (tiny_config(), {})
    clash = tiny_config(strategies=[a, b], params={a: {"batch_size": 8}, b: {"batch_size": 16}})
    with pytest.raises(ValueError, match="two spellings of one strategy"):
        adopt_spellings(clash, [])


def test_test_time_augmentation_adds_an_evaluation_and_keeps_the_plain_one(tmp_path):
    plain = tiny_config(strategies=["supervised"], filters=["none"], params={"epochs": 1})
    augmented = tiny_config(
        strategies=["supervised"],
        filters=["none"],
        params={"epochs": 1},
        test_time_augmentation=["hflip+shift:1", "shift:1"],
    )
    (row,) = run(augmented, tmp_path / "tta", verbose=0, report=True)
    (plain_row,) = run(plain, tmp_path / "plain", verbose=0, report=False)
    split = row["test_split"]
    assert row["test_time_augmentation"] == ["hflip+shift:1", "shift:1"]
    assert plain_row["test_time_augmentation"] is None
    assert list(plain_row["extra_evaluations"]) == []
    assert list(row["extra_evaluations"]) == [
        f"{split}, TTA hflip+shift:1",
        f"{split}, TTA shift:1",
    ]
    ten = row["extra_evaluations"][f"{split}, TTA hflip+shift:1"]
    five = row["extra_evaluations"][f"{split}, TTA shift:1"]
    for scores in (ten, five):
        assert 0.0 <= scores["accuracy"] <= 1.0 and scores["nll"] > 0
    # the same seed trains the same network: the plain numbers do not change with the option
    assert row["metrics"]["accuracy"] == pytest.approx(plain_row["metrics"]["accuracy"])
    # averaging over other views is not the plain prediction, and 10 views are not 5
    assert five["nll"] != pytest.approx(row["metrics"]["nll"])
    assert ten["nll"] != pytest.approx(five["nll"])
    report = (tmp_path / "tta" / "report.md").read_text()
    assert f"accuracy [{split}, TTA hflip+shift:1]" in report
    assert f"accuracy [{split}, TTA shift:1]" in report
    # a re-run without the option does not report the augmented folder's cells as its own
    with pytest.raises(
        ValueError, match=r"test_time_augmentation=\['hflip\+shift:1', 'shift:1'\] there"
    ):
        run(plain, tmp_path / "tta", verbose=0, report=False)


def test_test_time_augmentation_from_the_command_line_and_a_grid_file(tmp_path):
    from semisup.cli import _split_list, build_parser

    args = build_parser().parse_args(["bench", "--tta", "hflip,hflip+shift:2"])
    assert _split_list(args.tta) == ["hflip", "hflip+shift:2"]
    assert build_parser().parse_args(["bench"]).tta is None
    path = tmp_path / "grid.toml"
    path.write_text('preset = "demo"\ntest_time_augmentation = ["hflip"]\n')
    assert BenchConfig.from_sources(config_file=path).validate().test_time_augmentation == ["hflip"]


def test_a_grid_over_several_encoders_runs_every_cell_with_each(tmp_path):
    from semisup.cli import _encoder_override, build_parser

    one = expand_grid(tiny_config().validate())
    encoders = ["conv4", "resnet_v1[depth=8]"]
    both = expand_grid(tiny_config(encoder=encoders).validate())
    assert len(both) == 2 * len(one) == 6
    assert [cell["encoder"] for cell in both] == [encoders[0]] * 3 + [encoders[1]] * 3
    assert [cell["cell_id"] for cell in both[:3]] == [cell["cell_id"] for cell in one]
    assert len({cell["cell_id"] for cell in both}) == 6
    # the command line: one encoder stays a string (config.json as before), several a list
    args = build_parser().parse_args(
        ["bench", "--encoder", "conv4,wide_resnet[depth=10,widen_factor=2]"]
    )
    assert _encoder_override(args.encoder) == ["conv4", "wide_resnet[depth=10,widen_factor=2]"]
    assert _encoder_override("wrn28_2") == "wrn28_2" and _encoder_override(None) is None
    # a grid file; and a run: one row per encoder, each cell built with its own encoder
    path = tmp_path / "grid.toml"
    path.write_text(f'preset = "demo"\nencoder = {json.dumps(encoders)}\n')
    assert BenchConfig.from_sources(config_file=path).validate().encoder == encoders
    config = tiny_config(strategies=["supervised"], filters=["none"], encoder=encoders)
    rows = run(config, tmp_path / "run", verbose=0, report=True)
    assert [row["encoder"] for row in rows] == encoders
    assert rows[0]["metrics"] != rows[1]["metrics"]
    report = (tmp_path / "run" / "report.md").read_text()
    assert "## Strategy x encoder: digits, budget `k:5`" in report


def test_torn_last_line_is_set_aside(tmp_path):
    results = tmp_path / "results.jsonl"
    append_row(results, {"cell_id": "a"})
    with open(results, "a") as handle:
        handle.write('{"cell_id": "b", "metri')
    with pytest.warns(UserWarning, match="torn"):
        rows = read_results(results)
    assert [r["cell_id"] for r in rows] == ["a"]
    assert results.read_text() == '{"cell_id": "a"}\n'
    assert list(tmp_path.glob("results.jsonl.torn-*"))[0].read_text().startswith('{"cell_id": "b"')
    results.write_text('{"cell_id": "a"}\nnot json\n{"cell_id": "c"}\n')
    with pytest.raises(ValueError, match="line 2"):
        read_results(results)


def test_sigkill_mid_run_then_resume_runs_every_cell_once(tmp_path):
    config_file = tmp_path / "grid.toml"
    config_file.write_text(
        'datasets = ["digits"]\nstrategies = ["supervised", "one_step_autoencoder"]\n'
        'filters = ["none"]\nbudgets = ["k:5"]\nseeds = [0]\n'
        "[params]\nepochs = 6\nbatch_size = 64\n"
    )
    run_dir = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "semisup.cli",
        "bench",
        "--config",
        str(config_file),
        "--run-dir",
        str(run_dir),
        "--no-report",
        "--checkpoint-every",  # a checkpoint every epoch: the kill lands after epoch 2
        "0",
    ]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    results = run_dir / "results.jsonl"
    deadline = time.time() + 120
    # kill while a one-step cell is training, after at least one cell has finished: after its
    # second epoch, with four still to go (each a pass over the 1,347 images: seconds)
    while time.time() < deadline:
        checkpoints = list((run_dir / "checkpoints").glob("*/joint/epochs.jsonl"))
        if results.exists() and checkpoints and checkpoints[0].read_text().count("\n") >= 2:
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished_before = len(results.read_text().splitlines())
    assert finished_before == 1
    # what a dry run says the killed cell resumes (its checkpoint's phases and epochs)
    (killed,) = [p.parent.name for p in (run_dir / "checkpoints").glob("*/joint")]
    (killed_id,) = [
        cell["cell_id"]
        for cell in expand_grid(BenchConfig.from_sources(config_file=config_file))
        if cell_checkpoint_dir(run_dir, cell["cell_id"]).name == killed
    ]
    saved = saved_epochs(cell_checkpoint_dir(run_dir, killed_id))

    completed = subprocess.run(command, env=environment, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr[-2000:]
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    ids = [row["cell_id"] for row in rows]
    assert len(ids) == len(set(ids)) == 2
    resumed = next(r for r in rows if r["strategy"] == "one_step_autoencoder")
    # the killed cell's curve is whole: epochs from before and after the kill
    assert len(resumed["history"]["joint"]["loss"]) == 6
    # and it went on from where it was killed instead of starting over
    assert resumed["resumed_from_epoch"]["joint"] >= 2
    assert resumed["cell_id"] == killed_id
    assert saved == [("joint", resumed["resumed_from_epoch"]["joint"])]
    # its time counts the killed process's epochs (their logged time) and this process's
    assert resumed["resumed_seconds"] > 0
    assert resumed["fit_seconds"] > resumed["resumed_seconds"]
    assert resumed["images_per_second"] == pytest.approx(
        resumed["images_seen"] / resumed["fit_seconds"], rel=1e-3
    )


def test_unterminated_last_row_counts_as_torn(tmp_path):
    results = tmp_path / "results.jsonl"
    results.write_text('{"cell_id": "a"}\n{"cell_id": "b"}')
    with pytest.warns(UserWarning, match="torn"):
        rows = read_results(results)
    assert [r["cell_id"] for r in rows] == ["a"]
    append_row(results, {"cell_id": "b"})
    assert [r["cell_id"] for r in read_results(results)] == ["a", "b"]


def test_a_user_strategy_runs_in_the_grid_by_import_path(tmp_path, monkeypatch):
    (tmp_path / "my_strategies.py").write_text(
        "from semisup.strategies import Supervised\n\n\n"
        "class Wider(Supervised):\n"
        '    """The supervised baseline under another name, as a user would subclass it."""\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    config = tiny_config(strategies=["my_strategies:Wider"], filters=["none"])
    rows = run(config.validate(), tmp_path / "run", verbose=0, report=False)
    assert [row["strategy"] for row in rows] == ["my_strategies:Wider"]
    with pytest.raises(ValueError, match="Cannot import"):
        tiny_config(strategies=["not_a_module_anywhere:X"]).validate()


def _write_tiny_cifar100(folder: Path) -> None:
    """A cifar-100-python.tar.gz in the official format (python-2 pickles with bytes keys)."""
    import io
    import pickle
    import tarfile

    import numpy as np

    rng = np.random.default_rng(0)
    members = {}
    for member, count in (("train", 40), ("test", 10)):
        fine = np.arange(count) % 2
        images = rng.integers(0, 120, size=(count, 3, 32, 32), dtype=np.uint8)
        images[fine == 1, 0] += 120  # class 1 is redder
        members[member] = pickle.dumps(
            {
                b"filenames": [f"{index}.png".encode() for index in range(count)],
                b"fine_labels": fine.tolist(),
                b"coarse_labels": (fine * 0).tolist(),
                b"data": images.reshape(count, 3072),
            },
            protocol=2,
        )
    members["meta"] = pickle.dumps(
        {
            b"fine_label_names": [f"class{i}".encode() for i in range(100)],
            b"coarse_label_names": [f"super{i}".encode() for i in range(20)],
        },
        protocol=2,
    )
    folder.mkdir(parents=True)
    with tarfile.open(folder / "cifar-100-python.tar.gz", "w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(f"cifar-100-python/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))


def test_cifar100_end_to_end_on_a_generated_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SEMISUP_CACHE_DIR", str(tmp_path / "cache"))
    _write_tiny_cifar100(tmp_path / "data" / "cifar100")
    config = tiny_config(
        datasets=["cifar100"], strategies=["supervised", "self_training"], filters=["none"]
    )
    config.data_dir = str(tmp_path / "data")
    rows = run(config.validate(), tmp_path / "run", verbose=0)
    assert [(r["dataset"], r["strategy"], r["n_labeled"]) for r in rows] == [
        ("cifar100", "supervised", 10),
        ("cifar100", "self_training", 10),
    ]
    assert len(rows[0]["confusion_matrix"]) == 100  # every fine class, labeled or not
    assert (tmp_path / "run" / "report.md").read_text().count("cifar100") >= 1


def test_parallel_workers_run_every_cell_once(tmp_path, capfd):
    # more cells than workers, so a worker claims a second cell; the quickest strategy, as the
    # cells' training is what test_run_resume_and_force checks (the claims do not depend on it)
    config = tiny_config(strategies=["supervised"], filters=["none"], seeds=[0, 1, 2])
    rows = run(config, tmp_path, verbose=2, report=False, jobs=2)
    ids = [row["cell_id"] for row in rows]
    assert len(ids) == len(set(ids)) == len(expand_grid(config)) == 3
    assert not (tmp_path / "claims").exists()
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(line) for line in lines)
    # each worker loads the runner once: `-m semisup.bench.runner` made runpy warn that the
    # module was imported by the package before it ran as __main__ (a second copy of it)
    err = capfd.readouterr().err
    assert "found in sys.modules" not in err
    # the workers share one log: each strategy bar names its worker and cell
    for cell_id in ids:
        assert re.search(rf"\[worker \d\] {re.escape(cell_id)} Supervised classifier", err)
    assert not re.search(r"(^|\r|\n)Supervised classifier", err)
    with pytest.raises(ValueError, match="jobs"):
        run(config, tmp_path, verbose=0, jobs=0)


# Loaded by every worker process (sitecustomize on PYTHONPATH): beside the other workers, seed
# 1's cell runs out of memory as XLA reports it; trained alone (no "defer"), it fits.
_OUT_OF_MEMORY_BESIDE_OTHERS = """
import sys

import semisup.bench.runner as runner

_run_cell = runner.run_cell


def run_cell(cell, *args, **kwargs):
    if cell["seed"] == 1 and sys.argv[-1] == "defer":
        raise RuntimeError(
            "RESOURCE_EXHAUSTED: Out of memory while trying to allocate 36.68GiB with allocator "
            "GPU_0_bfc on device 0. [executable_name='jit__where']"
        )
    return _run_cell(cell, *args, **kwargs)


runner.run_cell = run_cell
"""


def test_a_cell_out_of_memory_beside_other_workers_trains_alone(tmp_path, monkeypatch, capfd):
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(_OUT_OF_MEMORY_BESIDE_OTHERS)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")])
    )
    config = tiny_config(strategies=["supervised"], filters=["none"], seeds=[0, 1, 2])
    rows = run(config, tmp_path / "run", verbose=1, report=False, jobs=2)
    assert sorted(row["seed"] for row in rows) == [0, 1, 2]
    assert not (tmp_path / "run" / "claims").exists()
    assert not (tmp_path / "run" / "deferred").exists()
    out = capfd.readouterr().out
    oom_cell = next(row["cell_id"] for row in rows if row["seed"] == 1)
    # the worker says so and stops; the run names the cell and trains it in one worker
    assert re.search(rf"\[worker \d\] {re.escape(oom_cell)}: out of memory beside the other", out)
    assert f"1 cell(s) ran out of memory beside the other workers: {oom_cell} (RESOURCE_EX" in out
    assert "one at a time, in one worker" in out
    # the row is the cell's own: trained once, written once
    lines = (tmp_path / "run" / "results.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["seed"] for line in lines) == [0, 1, 2]


def test_only_out_of_memory_is_deferred(tmp_path, monkeypatch, capsys):
    from semisup.bench import runner

    config = tiny_config(strategies=["supervised"], filters=["none"], seeds=[0, 1]).validate()
    cells = expand_grid(config)
    error = RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate 36.68GiB")

    def out_of_memory(*args, **kwargs):
        raise error

    monkeypatch.setattr(runner, "run_cell", out_of_memory)
    # a worker beside others: the first cell is set aside, its claim kept, the second not taken
    assert runner._run_cells(cells, config, tmp_path, 0, claim=True, defer_out_of_memory=True) == []
    assert [entry["cell_id"] for entry in runner._deferred_cells(tmp_path)] == [cells[0]["cell_id"]]
    assert runner._deferred_cells(tmp_path)[0]["error"].startswith("RESOURCE_EXHAUSTED: Out of")
    assert len(list((tmp_path / "claims").iterdir())) == 1
    assert "out of memory beside the other workers" in capsys.readouterr().out
    # alone, or any other error, raises as before
    with pytest.raises(RuntimeError, match="RESOURCE_EXHAUSTED"):
        runner._run_cells(cells, config, tmp_path / "alone", 0, claim=False)
    error = ValueError("bad parameter")
    (tmp_path / "other").mkdir()
    with pytest.raises(ValueError, match="bad parameter"):
        runner._run_cells(
            cells, config, tmp_path / "other", 0, claim=True, defer_out_of_memory=True
        )
    assert not (tmp_path / "other" / "deferred").exists()


def test_is_out_of_memory():
    from semisup.bench.runner import is_out_of_memory

    class ResourceExhaustedError(Exception):  # TensorFlow's name, its text "OOM when ..."
        pass

    class OutOfMemoryError(RuntimeError):  # PyTorch's
        pass

    assert is_out_of_memory(RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying"))
    assert is_out_of_memory(ResourceExhaustedError("OOM when allocating tensor"))
    assert is_out_of_memory(OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(MemoryError())
    assert is_out_of_memory(RuntimeError("cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY"))
    try:  # raised while handling one: the chain is searched
        try:
            raise MemoryError("Unable to allocate 3.7 TiB")
        except MemoryError as inner:
            raise RuntimeError("fit failed") from inner
    except RuntimeError as outer:
        assert is_out_of_memory(outer)
    assert not is_out_of_memory(ValueError("batch_size must be positive"))
    assert not is_out_of_memory(RuntimeError("XLA compilation failed"))


@pytest.mark.backend  # each backend's own error for an allocation it cannot make
def test_a_real_allocation_failure_is_out_of_memory():
    import keras

    from semisup.bench.runner import is_out_of_memory

    # 4 PB, more than a 64-bit process can address: refused at once, whatever the machine lets
    # a process ask for, so nothing is allocated
    with pytest.raises(Exception) as caught:
        keras.ops.convert_to_numpy(keras.ops.zeros((10**15,)))
    assert is_out_of_memory(caught.value), repr(caught.value)


@pytest.mark.backend  # the workers must open the cache folder the run names under JAX
def test_workers_share_the_compilation_cache(tmp_path):
    import keras

    config = tiny_config(strategies=["supervised"], filters=["none"], seeds=[0, 1])
    rows = run(config, tmp_path, verbose=0, report=False, jobs=2)
    cached = [row["provenance"]["compilation_cache"] for row in rows]
    if keras.backend.backend() != "jax":
        assert cached == [None, None]
        return
    import jax

    # the tests' session folder (conftest.py), handed to both workers by the run
    folder = jax.config.jax_compilation_cache_dir
    assert folder and cached == [folder, folder]


@pytest.mark.backend  # JAX's branch: the folder in use, and a second one refused
def test_compilation_cache_settings(tmp_path):
    import keras

    from semisup.bench.runner import use_compilation_cache
    from semisup.cli import _compilation_cache_setting

    with pytest.raises(ValueError, match="compilation_cache must be True"):
        use_compilation_cache(3)
    assert _compilation_cache_setting(None) is True
    assert _compilation_cache_setting("off") is False
    assert _compilation_cache_setting("cache/jax") == "cache/jax"
    with pytest.raises(ValueError, match="a folder or 'off'"):
        _compilation_cache_setting(" ")
    if keras.backend.backend() != "jax":
        assert use_compilation_cache(True) is None
        assert use_compilation_cache(tmp_path / "cc") is None and not (tmp_path / "cc").exists()
        return
    import jax

    folder = jax.config.jax_compilation_cache_dir  # set for the session by conftest.py
    assert use_compilation_cache(True) == folder
    assert use_compilation_cache(False) == folder  # JAX's own setting is left as it is
    assert use_compilation_cache(folder) == folder
    with pytest.raises(ValueError, match="one cache folder"):
        use_compilation_cache(tmp_path / "other")
    assert jax.config.jax_compilation_cache_dir == folder


def test_the_default_compilation_cache_folder(tmp_path):
    # a process of its own: JAX opens its cache once per process, and the tests' session has one
    script = (
        "from semisup.bench.runner import use_compilation_cache; "
        "import jax; print(use_compilation_cache(True)); "
        "print(jax.config.jax_compilation_cache_dir)"
    )
    environment = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
    environment.update(KERAS_BACKEND="jax", SEMISUP_CACHE_DIR=str(tmp_path / "cache"))
    output = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    ).stdout.split()
    folder = tmp_path / "cache" / "jax-compilation"
    assert output == [str(folder), str(folder)] and folder.is_dir()
    environment["JAX_COMPILATION_CACHE_DIR"] = str(tmp_path / "mine")
    output = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    ).stdout.split()
    assert output == [str(tmp_path / "mine")] * 2  # the folder JAX was given is kept


def test_strategy_variants_parse_and_take_precedence():
    from semisup.bench.config import parse_strategy, split_specs

    assert parse_strategy("self_training") == ("self_training", {})
    assert parse_strategy("self_training[weighting=calibrated, rounds=2]") == (
        "self_training",
        {"weighting": "calibrated", "rounds": 2},
    )
    assert split_specs("supervised,self_training[rounds=2,threshold=0.9],contrastive") == [
        "supervised",
        "self_training[rounds=2,threshold=0.9]",
        "contrastive",
    ]
    for bad in ("self_training[rounds=2", "[rounds=2]", "self_training[rounds]"):
        with pytest.raises(ValueError, match="param=value|NAME"):
            parse_strategy(bad)
    config = tiny_config(
        strategies=["self_training", "self_training[rounds=3]"],
        params={"epochs": 2, "self_training": {"rounds": 1, "confidence_threshold": 0.9}},
    ).validate()
    assert config.strategy_params("self_training")["rounds"] == 1
    variant = config.strategy_params("self_training[rounds=3]")
    assert (
        variant["rounds"] == 3 and variant["confidence_threshold"] == 0.9 and variant["epochs"] == 2
    )
    with pytest.raises(ValueError, match=r"\['roundz'\] are not parameters of self_training"):
        tiny_config(strategies=["self_training[roundz=3]"]).validate()


@pytest.mark.parametrize("spec", ["labeled:0", "labeled:1.5", "holdout:0.1", "labeled:x"])
def test_bad_validation_settings_fail_before_training(spec):
    with pytest.raises(ValueError, match="validation"):
        tiny_config(validation=spec).validate()


def test_labeled_validation_variants_and_calibration_in_the_rows(tmp_path):
    config = tiny_config(
        strategies=["supervised", "self_training[weighting=calibrated]"],
        filters=["none"],
        validation="labeled:0.2",
    )
    rows = run(config, tmp_path, verbose=0, report=True)
    assert [row["strategy"] for row in rows] == [
        "supervised",
        "self_training[weighting=calibrated]",
    ]
    for row in rows:
        # 5 labels per class, one of each held out for validation
        assert row["validation"] == "labeled:0.2" and row["n_validation"] == 10
        assert row["n_labeled"] == 40
        calibration = row["calibration"]
        assert calibration["method"] == "validation" and calibration["temperature"] > 0
        assert calibration["before"]["accuracy"] == calibration["after"]["accuracy"]
        assert calibration["before"]["accuracy"] == pytest.approx(row["metrics"]["accuracy"])
    assert rows[1]["params"]["weighting"] == "calibrated"
    assert rows[1]["rounds"][0]["temperature"] is not None
    report = (tmp_path / "report.md").read_text()
    assert "self_training[weighting=calibrated]" in report and "**Calibration**" in report
    assert list((tmp_path / "plots").glob("reliability_*.png"))
    # per-class F1 of the best strategy and of the supervised baseline
    assert "| class | F1, " in report and len(list((tmp_path / "plots").glob("per_class_*"))) >= 1


def test_a_consistency_method_selects_its_epoch_on_the_validation_split(tmp_path):
    config = tiny_config(
        strategies=["fixmatch[steps=6, mu=2, epochs=3, select_best_epoch=true]"],
        filters=["none"],
        validation="labeled:0.2",
    )
    (row,) = run(config, tmp_path, verbose=0, report=False)
    curve = row["history"]["consistency"]["val_accuracy"]
    assert row["params"]["select_best_epoch"] is True
    assert row["best_epoch"] == {
        "epoch": int(np.argmax(curve)) + 1,
        "val_accuracy": pytest.approx(max(curve)),
    }


def test_dataset_validation_needs_a_validation_split(tmp_path):
    config = tiny_config(strategies=["supervised"], filters=["none"], validation="dataset")
    with pytest.raises(ValueError, match="digits has no validation split"):
        run(config, tmp_path, verbose=0, report=False)


def _write_faces(folder: Path) -> Path:
    """An image folder with train, val and test splits: 3 classes of 32x32 grey images, each class
    a brightness."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, count in (("train", 16), ("val", 4), ("test", 4)):
        for label in range(3):
            (folder / split / f"c{label}").mkdir(parents=True)
            for index in range(count):
                pixels = rng.integers(0, 60, size=(32, 32), dtype=np.uint8) + 90 * label
                Image.fromarray(pixels.astype(np.uint8)).save(
                    folder / split / f"c{label}" / f"{index}.png"
                )
    return folder


def test_validation_per_data_set_and_auto(tmp_path, monkeypatch):
    # one grid over a data set with a validation split and one without: "auto" and a dict give
    # each its own validation data, where one setting for both would fail or waste the split
    monkeypatch.setenv("SEMISUP_CACHE_DIR", str(tmp_path / "cache"))
    faces = str(_write_faces(tmp_path / "faces"))
    grid = {"datasets": ["digits", faces], "strategies": ["supervised"], "filters": ["none"]}
    rows = run(tiny_config(**grid, validation="auto"), tmp_path / "auto", report=False)
    assert [(row["validation"], row["n_validation"]) for row in rows] == [("none", 0), ("val", 12)]
    config = tiny_config(**grid, validation={faces: "dataset", "digits": "labeled:0.2"})
    assert config.validate().validation_for("digits") == "labeled:0.2"
    rows = run(config, tmp_path / "dict", report=False)
    assert [(row["validation"], row["n_validation"]) for row in rows] == [
        ("labeled:0.2", 10),
        ("val", 12),
    ]
    # a data set left out of the dict gets none; "dataset" for one without the split fails
    # before anything trains
    assert tiny_config(**grid, validation={faces: "dataset"}).validation_for("digits") == "none"
    with pytest.raises(ValueError, match="digits has no validation split"):
        run(tiny_config(**grid, validation={"digits": "dataset"}), tmp_path / "bad")
    assert not (tmp_path / "bad" / "results.jsonl").exists()


@pytest.mark.parametrize(
    ("validation", "message"),
    [
        ({"fer2013": "dataset"}, r"validation names \['fer2013'\], which are not data sets"),
        ({"digits": "labeled:2"}, r"validation for 'digits': validation 'labeled:2' must be"),
    ],
)
def test_bad_per_data_set_validation_fails_before_training(validation, message):
    with pytest.raises(ValueError, match=message):
        tiny_config(validation=validation).validate()


def test_per_data_set_validation_on_the_command_line():
    from semisup.cli import _validation_override

    assert _validation_override("dataset") == "dataset"
    assert _validation_override(None) is None
    assert _validation_override("fer2013=dataset, cifar10-jpeg=labeled:0.1") == {
        "fer2013": "dataset",
        "cifar10-jpeg": "labeled:0.1",
    }
    with pytest.raises(ValueError, match="NAME=VALUE pairs"):
        _validation_override("fer2013=dataset,labeled:0.1")
    with pytest.raises(ValueError, match="names 'fer2013' twice"):
        _validation_override("fer2013=dataset,fer2013=none")


def test_hold_out_is_stratified_and_leaves_a_label_per_class():
    from semisup.bench.runner import hold_out_labeled

    y = np.array([0] * 10 + [1] * 2 + [2] * 1 + [-1] * 5)
    held = hold_out_labeled(y, 0.3, seed=0)
    assert sorted(np.bincount(y[held], minlength=3)) == [0, 1, 3]
    assert np.array_equal(held, hold_out_labeled(y, 0.3, seed=0))


def test_time_limit_cuts_training_and_consistency_methods_record_their_length(tmp_path):
    config = tiny_config(
        strategies=["supervised", "fixmatch[steps=4, mu=2, epochs=2]"],
        filters=["none"],
        params={"epochs": 40, "batch_size": 16},
        time_limit_s=0.5,
    )
    rows = run(config, tmp_path, verbose=0, report=True)
    supervised, fixmatch = rows
    assert supervised["stopped_by_time_limit"] and supervised["time_limit_s"] == 0.5
    assert len(supervised["history"]["classifier"]["loss"]) < 40
    assert supervised["training_length"] is None
    assert fixmatch["training_length"]["unit"] == "steps"
    assert fixmatch["training_length"]["steps"] == 4
    assert list((tmp_path / "plots").glob("accuracy_vs_time_*.png"))
    with pytest.raises(ValueError, match="time_limit_s must be a positive number"):
        tiny_config(time_limit_s=0).validate()
    with pytest.raises(ValueError, match="checkpoint_every_s must be a non-negative number"):
        tiny_config(checkpoint_every_s=-1).validate()


def test_accuracy_vs_time_plot_returns_its_numbers(tmp_path):
    from semisup.evaluation.plots import plot_accuracy_vs_time

    numbers = plot_accuracy_vs_time(
        ["a", "b"], [10.0, 20.0], [0.5, 0.6], tmp_path / "t.png", accuracy_std=[0.01, None]
    )
    assert numbers["seconds"] == [10.0, 20.0] and numbers["accuracy_std"] == [0.01, None]
    assert not numbers["log_x"] and (tmp_path / "t.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="positive"):
        plot_accuracy_vs_time(["a"], [0.0], [0.5], tmp_path / "u.png")


def test_the_filter_builds_the_cells_encoder_unless_filter_params_name_one(tmp_path, monkeypatch):
    from semisup import encoders
    from semisup.filters import deep_svdd

    def tiny_encoder(input_shape):
        import keras

        inputs = keras.Input(shape=input_shape)
        features = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(inputs)
        return keras.Model(inputs, features)

    monkeypatch.setitem(encoders.REGISTRY, "tiny_test_encoder", None)  # removed after the test
    encoders.register("tiny_test_encoder", tiny_encoder, overwrite=True)
    built = []
    original = deep_svdd.build_bias_free_network

    def spy(encoder, input_shape):
        built.append(encoder)
        return original(encoder, input_shape)

    monkeypatch.setattr(deep_svdd, "build_bias_free_network", spy)
    grid = {"strategies": ["self_training"], "filters": ["deep_svdd:0.3"]}
    (row,) = run(
        tiny_config(**grid, encoder="tiny_test_encoder"), tmp_path / "a", verbose=0, report=False
    )
    assert built == ["tiny_test_encoder"]
    assert row["encoder"] == row["filter_params"]["encoder"] == "tiny_test_encoder"

    built.clear()  # a user's filter encoder wins
    explicit = tiny_config(
        **grid, encoder="tiny_test_encoder", filter_params={"epochs": 1, "encoder": "conv4"}
    )
    (row,) = run(explicit, tmp_path / "b", verbose=0, report=False)
    assert built == ["conv4"] and row["filter_params"]["encoder"] == "conv4"


def test_the_preset_help_describes_every_preset():
    from semisup.bench.config import PRESETS
    from semisup.cli import build_parser

    bench = build_parser()._subparsers._group_actions[0].choices["bench"]
    (preset,) = [action for action in bench._actions if action.dest == "preset"]
    for name in PRESETS:
        assert re.search(rf"\b{name}( \(default\))?:", preset.help), name
