"""Smoke tests of the scripts under benchmarks/ (they run on the GPU machine; here on tiny data)."""

import hashlib
import importlib.util
import io
import json
import os
import random
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_step_breakdown_runs_a_strategy_and_writes_a_json_line(tmp_path, capsys):
    script = load_script("step_breakdown")
    out = tmp_path / "breakdown.jsonl"
    results = script.main(
        [
            "--lengths",
            "short",
            "--strategies",
            "supervised",
            "--encoder",
            "conv4",
            "--epochs",
            "2",
            "--n-images",
            "300",
            "--checkpoints",
            "--out",
            str(out),
        ]
    )
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["strategy"] == "supervised" == results[0]["strategy"]
    assert row["params"]["steps_per_execution"] == 32  # the seed preset's
    assert row["params"]["epochs"] == 2
    assert row["lengths"] == {"mode": "short", "source": "--epochs", "phase_epochs": {"epochs": 2}}
    assert row["checkpoints"] is True and row["checkpoint_every_s"] == 60.0  # the harness's
    assert row["one_time_s"] == 0.0  # one measured epoch: no later epoch start to compare with
    assert row["n_images"] == 300 and 0 < row["n_labeled"] < 300
    assert row["provenance"]["backend"]
    (phase,) = row["phases"]
    assert phase["phase"] == "classifier"
    assert phase["calls_measured"] >= 1  # the second epoch's call(s); the first is skipped
    assert phase["steps_measured"] == phase["steps_per_epoch"]
    assert 0 <= row["outside_fraction"] <= 1
    assert row["inside_s"] > 0
    assert "supervised" in capsys.readouterr().out


def test_step_breakdown_keeps_the_presets_epoch_lengths():
    script = load_script("step_breakdown")
    from semisup.bench import BenchConfig

    seed = BenchConfig.from_sources(preset="seed")
    args = script.parse_args(["--epochs", "4"])
    assert args.lengths == "preset"
    params, lengths = script.strategy_params("two_step_autoencoder", seed, args)
    assert "epochs" not in params  # the class defaults, seed 001's
    assert lengths == {
        "mode": "preset",
        "source": "preset seed",
        "phase_epochs": {"epochs": 100, "pretrain_epochs": 50},
    }
    # the seed preset runs no consistency strategy: the ssl preset's 1000 steps an epoch,
    # at most --epochs of them
    params, lengths = script.strategy_params("fixmatch", seed, args)
    assert (params["steps"], params["epochs"], params["images"]) == (4000, 4, None)
    assert params["encoder"] == "conv4" and params["steps_per_execution"] == 32
    assert lengths["source"] == "preset ssl (preset seed sets none)"
    assert (lengths["preset_steps"], lengths["preset_epochs"]) == (30000, 30)
    assert (lengths["steps_per_epoch"], lengths["epochs"]) == (1000, 4)
    ssl = BenchConfig.from_sources(preset="ssl")
    params, lengths = script.strategy_params("mean_teacher", ssl, script.parse_args([]))
    assert (params["steps"], params["epochs"]) == (5000, 5)  # the default cap: 5 epochs
    assert lengths["source"] == "preset ssl" and params["encoder"] == "wrn28_2"
    # --lengths short: the old shortened runs
    short = script.parse_args(["--lengths", "short"])
    params, lengths = script.strategy_params("fixmatch", seed, short)
    assert (params["steps"], params["epochs"]) == (384, 6) and lengths["mode"] == "short"
    params, _ = script.strategy_params("self_training", seed, short)
    assert (params["epochs"], params["rounds"]) == (3, 1)
    with pytest.raises(SystemExit):
        script.parse_args(["--steps", "64"])  # a short-only option with preset lengths


def test_step_breakdown_reports_a_one_time_gap_apart():
    script = load_script("step_breakdown")
    # [epoch, first step, steps, inside s, outside s]: epoch 0 is skipped; the first measured
    # epoch start waits 0.2 s, the later ones 0.004 s
    calls = [[0, 0, 32, 2.0, None], [0, 32, 14, 1.0, 1e-5]]
    for epoch in range(1, 4):
        gap = 0.2 if epoch == 1 else 0.004
        calls += [[epoch, 0, 32, 0.04, gap], [epoch, 32, 14, 0.02, 1e-5]]
    phase = script.summarize_phase(
        "classifier", {"epochs": 4, "steps_per_epoch": 46, "calls": calls}
    )
    assert phase["calls_measured"] == 6 and phase["steps_measured"] == 3 * 46
    assert phase["one_time_s"] == pytest.approx(0.196)
    assert phase["outside_s"] == pytest.approx(0.208 + 3e-5)
    recurring = 0.012 + 3e-5
    assert phase["outside_fraction"] == pytest.approx(recurring / (0.18 + recurring))
    assert phase["outside_fraction_with_one_time"] == pytest.approx(
        phase["outside_s"] / (0.18 + phase["outside_s"])
    )
    assert script.at_epoch_starts(phase) == "100% of it"


@pytest.mark.parametrize(
    "config", sorted((Path(__file__).parent.parent / "benchmarks" / "configs").glob("*.toml"))
)
def test_every_committed_benchmark_config_is_valid(config):
    from semisup.bench import BenchConfig

    BenchConfig.from_sources(config_file=config).validate()


def run_device_script(tmp_path, name: str, env: dict) -> list[str]:
    """Run benchmarks/NAME with stand-ins for the machine's environment and for device_grid.sh
    (which print what they were asked to do); the lines device_grid.sh printed."""
    import os
    import shutil
    import subprocess

    scripts = tmp_path / "benchmarks"
    scripts.mkdir(parents=True)
    shutil.copy(BENCHMARKS / name, scripts / name)
    (scripts / "configs").symlink_to(BENCHMARKS / "configs")
    (scripts / "_device_env.sh").write_text('decode_datasets() { echo "decode $*"; }\n')
    (scripts / "device_grid.sh").write_text('echo "grid GPU=$CUDA_VISIBLE_DEVICES $*"\n')
    # the throughput measurement: a rate per encoder, 20 steps/s for every encoder but wrn28_8,
    # and FixMatch 1.5 times as fast as the other methods
    (scripts / "consistency_throughput.py").write_text(
        "import argparse, json\n"
        "parser = argparse.ArgumentParser()\n"
        "for flag in ('--strategy', '--encoder', '--dataset', '--data-dir', '--steps',\n"
        "             '--epoch-steps', '--steps-per-execution', '--precision', '--out'):\n"
        "    parser.add_argument(flag)\n"
        "args = parser.parse_args()\n"
        "rate = 7.4 if args.encoder == 'wrn28_8' else 20.0\n"
        "rate *= 1.5 if args.strategy == 'fixmatch' else 1.0\n"
        "with open(args.out, 'a') as out:\n"
        "    out.write(json.dumps({'args': vars(args), 'steps_per_second': rate}) + '\\n')\n"
    )
    result = subprocess.run(
        ["bash", f"benchmarks/{name}"],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    for log in sorted(tmp_path.glob("runs/gpu*.log")):  # scripts that queue in the background
        lines += log.read_text().splitlines()
    return [line for line in lines if line.startswith("grid ")]


def config_of(line: str) -> Path:
    return BENCHMARKS.parent / line.split("--config ")[1].split()[0]


def test_the_target_script_puts_each_data_set_on_its_gpu_and_names_existing_configs(tmp_path):
    both = run_device_script(tmp_path / "a", "device_ssl_targets.sh", {"SEED": "1"})
    assert both == [
        "grid GPU=0 ssl-fixmatch-cifar10-jpeg-seed1 "
        "--config benchmarks/configs/ssl_fixmatch_cifar10-jpeg.toml --seeds 1",
        "grid GPU=1 ssl-fixmatch-fer2013-seed1 "
        "--config benchmarks/configs/ssl_fixmatch_fer2013.toml --seeds 1",
    ]
    # one data set on the second GPU, another method: the queue's side-by-side runs
    side = run_device_script(
        tmp_path / "b",
        "device_ssl_targets.sh",
        {"SEED": "0", "METHOD": "freematch", "DATASETS": "fer2013", "FIRST_GPU": "1"},
    )
    assert side == [
        "grid GPU=1 ssl-freematch-fer2013-seed0 "
        "--config benchmarks/configs/ssl_freematch_fer2013.toml --seeds 0"
    ]
    assert all(config_of(line).is_file() for line in both + side)


def test_the_comparison_script_names_existing_configs(tmp_path):
    lines = run_device_script(
        tmp_path, "device_ssl_compare.sh", {"CIFAR_ARGS": "--strategies mean_teacher"}
    )
    assert [line.split()[1] for line in lines] == ["GPU=0", "GPU=1"]
    assert lines[0].endswith("--seeds 0 --strategies mean_teacher")
    assert all(config_of(line).is_file() for line in lines)


def test_the_wide_encoder_script_sizes_each_run_by_its_measured_rate(tmp_path):
    lines = run_device_script(
        tmp_path, "device_fer_wide.sh", {"RUNS": str(tmp_path / "runs"), "WAIT": "1"}
    )
    # 90 % of the measured rate over 1,000 s, in whole thousands of steps
    assert sorted(lines) == [
        "grid GPU=0 fer-freematch-wrn28-8-seed0 "
        "--config benchmarks/configs/ssl_freematch_fer2013.toml --encoder wrn28_8 --seeds 0 "
        "--set steps=6000",
        "grid GPU=1 fer-freematch-wide-resnet-widen-factor-4-seed0 "
        "--config benchmarks/configs/ssl_freematch_fer2013.toml "
        "--encoder wide_resnet[widen_factor=4] --seeds 0 --set steps=18000",
    ]
    assert all(config_of(line).is_file() for line in lines)
    chosen = (tmp_path / "runs" / "fer_wide_steps.txt").read_text().splitlines()
    assert sorted(chosen) == [
        "fer-freematch-wide-resnet-widen-factor-4-seed0: 18000 steps",
        "fer-freematch-wrn28-8-seed0: 6000 steps",
    ]


def test_the_wide_encoder_script_reads_the_rate_of_its_own_method(tmp_path):
    # RUNS inside the scripts' folder, where run_device_script reads the background logs
    runs = tmp_path / "runs"
    common = {"RUNS": str(runs), "WAIT": "1", "ENCODERS": "wrn28_8"}
    run_device_script(tmp_path, "device_fer_wide.sh", common)
    # a second method on the other GPU, with the same encoder's FreeMatch rate already there
    (runs / "gpu0.log").unlink()
    shutil.rmtree(tmp_path / "benchmarks")
    (line,) = run_device_script(
        tmp_path,
        "device_fer_wide.sh",
        {**common, "METHOD": "fixmatch", "FIRST_GPU": "1", "EXTRA": "--tta hflip,hflip+shift:2"},
    )
    # FixMatch's own rate, 11.1 steps/s: 9,990 steps in 1,000 s at 90 %, not FreeMatch's 6,000
    assert line == (
        "grid GPU=1 fer-fixmatch-wrn28-8-seed0 "
        "--config benchmarks/configs/ssl_fixmatch_fer2013.toml --encoder wrn28_8 --seeds 0 "
        "--set steps=9000 --tta hflip,hflip+shift:2"
    )
    assert config_of(line).is_file()


def test_the_labeled_strong_script_runs_its_three_cells_side_by_side(tmp_path):
    lines = run_device_script(tmp_path, "device_fer_labeled_strong.sh", {"SEED": "2"})
    assert [line.split()[:3] for line in lines] == [
        ["grid", "GPU=0", "fer-strong-supervised-all-seed2"],
        ["grid", "GPU=0", "fer-strong-supervised-seed2"],
        ["grid", "GPU=0", "fer-strong-freematch-seed2"],
    ]
    assert "--budgets all" in lines[0] and "--budgets seed" in lines[1]
    assert all("labeled_augmentation=strong" in line for line in lines)
    assert all("--seeds 2 --set steps=26000" in line for line in lines)
    assert config_of(lines[2]).is_file()


def test_the_labeled_strong_config_is_what_the_target_script_runs(tmp_path):
    lines = run_device_script(
        tmp_path,
        "device_ssl_targets.sh",
        {"SEED": "0", "METHOD": "freematch_labeled_strong", "DATASETS": "fer2013"},
    )
    assert len(lines) == 1 and config_of(lines[0]).is_file()


def test_the_deep_svdd_objectives_script_plants_grey_images_and_scores_both_objectives(
    monkeypatch,
):
    import types

    import numpy as np

    script = load_script("deep_svdd_objectives")
    rng = np.random.default_rng(0)
    colour = rng.integers(0, 256, size=(12, 32, 32, 3), dtype=np.uint8)
    monkeypatch.setattr(
        script, "load", lambda name, data_dir=None: types.SimpleNamespace(x_test=colour)
    )
    planted = script.planted_images(None, 5, (28, 28, 1))
    assert planted.shape == (5, 28, 28, 1) and planted.dtype == np.uint8
    # a flat colour image becomes its luma, whatever the size
    colour[:] = (200, 100, 50)
    flat = script.planted_images(None, 2, (28, 28, 1))
    assert np.all(flat == round(0.299 * 200 + 0.587 * 100 + 0.114 * 50))

    labeled = rng.integers(100, 140, size=(40, 28, 28, 1), dtype=np.uint8)
    pool = np.concatenate([labeled[:20], planted])
    mask = np.r_[np.zeros(20, bool), np.ones(5, bool)]
    for objective in ("one-class", "soft-boundary"):
        row = script.score(objective, 0, 0.1, 2, labeled, pool, mask)
        assert row["removed_of_labeled"] == pytest.approx(0.1, abs=0.03)
        for key in ("removed_of_pool", "planted_recall", "planted_precision"):
            assert 0 <= row[key] <= 1
        assert 0 <= row["auroc_face_vs_planted"] <= 1
        assert (row["final_radius"] is None) == (objective == "one-class")


def _follow(tmp_path, *arguments, **environment):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    env = dict(os.environ, RUNS_DIR=str(tmp_path / "runs"), OUT=str(out))
    # JAX's compilation cache folder: the test's own, never one of this machine's
    env["COMPILATION_CACHE_DIR"] = str(tmp_path / "jax-compilation")
    env.update(environment)
    return subprocess.run(
        ["bash", str(BENCHMARKS / "device_follow.sh"), *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_device_follow_packs_the_runs_and_says_whether_they_are_done(tmp_path):
    runs = tmp_path / "runs"
    (runs / "grid-a" / "checkpoints").mkdir(parents=True)
    (runs / "grid-a" / "results.jsonl").write_text("{}\n")
    (runs / "grid-a" / "checkpoints" / "state.npz").write_bytes(b"x")
    (runs / "grid-a.log").write_text("bench:  10%|#  | 1/10\rbench: 100%|###| 10/10\nlast line\n")
    (runs / "timing.txt").write_text("grid-a (...): 12 s, exit 0\n")

    done = _follow(tmp_path, "0", "1")
    assert done.returncode == 0, done.stderr
    assert "done: 1 run(s) finished" in done.stdout
    assert "bench: 100%|###| 10/10" in done.stdout and "last line" in done.stdout
    assert "bench:  10%" not in done.stdout  # only the last state of a progress bar
    with tarfile.open(tmp_path / "out" / "runs.tgz") as packed:
        names = packed.getnames()
    assert "./grid-a/results.jsonl" in names and "./timing.txt" in names
    assert not any("checkpoints" in name for name in names)
    assert not list((tmp_path / "out").glob("checkpoints.tgz.part*"))  # done: none to resume

    # a second grid not finished yet: exit 3, and the finished one still comes back
    waiting = _follow(tmp_path, "0", "2")
    assert waiting.returncode == 3
    assert "still running" in waiting.stdout

    # while a run goes on, its checkpoints come back beside runs.tgz, in parts of <= 15 MiB
    out = tmp_path / "out"
    assert [path.name for path in out.glob("checkpoints.tgz.part*")] == ["checkpoints.tgz.part00"]
    with tarfile.open(out / "checkpoints.tgz.part00") as packed:
        assert "./grid-a/checkpoints/state.npz" in packed.getnames()
    with tarfile.open(out / "runs.tgz") as packed:
        assert not any("checkpoints" in name for name in packed.getnames())

    for path in out.glob("checkpoints.tgz.part*"):
        path.unlink()
    assert _follow(tmp_path, "0", "2", CHECKPOINTS="0").returncode == 3
    assert not list(out.glob("checkpoints.tgz.part*"))
    assert _follow(tmp_path, "0", "1", CHECKPOINTS="1").returncode == 0
    assert [path.name for path in out.glob("checkpoints.tgz.part*")] == ["checkpoints.tgz.part00"]


@pytest.mark.skipif(shutil.which("pgrep") is None, reason="needs pgrep (procps)")
def test_device_follow_waits_for_a_grid_still_running_whatever_the_count(tmp_path):
    runs = tmp_path / "runs"
    (runs / "grid-a").mkdir(parents=True)
    (runs / "timing.txt").write_text("grid-a (...): 12 s, exit 0\n")
    # a second grid started after the first finished: its process is what says it runs
    command = f"python3 -m semisup.cli bench --run-dir {runs}/grid-b --preset seed"
    grid = subprocess.Popen(["bash", "-c", f'exec -a "{command}" sleep 60'])
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            found = subprocess.run(
                ["pgrep", "-f", "--", f"--run-dir {runs}/grid-b"], stdout=subprocess.DEVNULL
            )
            if found.returncode == 0:
                break
            time.sleep(0.1)
        result = _follow(tmp_path, "0", "1")
        assert result.returncode == 3, result.stdout + result.stderr
        assert "still running" in result.stdout
    finally:
        grid.kill()
        grid.wait()
    assert _follow(tmp_path, "0", "1").returncode == 0


def test_device_follow_brings_back_the_longest_running_cells_that_fit(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "timing.txt").write_text("")
    started = {"grid-a/old": 100, "grid-a/new": 300, "grid-b/middle": 200, "grid-b/unclaimed": None}
    for cell, when in started.items():
        run, name = cell.split("/")
        folder = runs / run / "checkpoints" / name / "consistency"
        folder.mkdir(parents=True)
        (folder / "weights.h5").write_bytes(random.Random(name).randbytes(400 << 10))
        if when is not None:  # a worker of `--jobs` claimed the cell at this time
            (runs / run / "claims").mkdir(exist_ok=True)
            (runs / run / "claims" / name).touch()
            os.utime(runs / run / "claims" / name, (when, when))

    # room (1 MiB of files, less runs.tgz) for two of the four cells: the two that started first
    # come back, whole
    result = _follow(tmp_path, "0", "1", CALL_FILES_MIB="1")
    assert result.returncode == 3, result.stderr
    parts = sorted((tmp_path / "out").glob("checkpoints.tgz.part*"))
    with tarfile.open(fileobj=io.BytesIO(b"".join(p.read_bytes() for p in parts))) as packed:
        files = sorted(name for name in packed.getnames() if name.endswith(".h5"))
    assert files == [
        "./grid-a/checkpoints/old/consistency/weights.h5",
        "./grid-b/checkpoints/middle/consistency/weights.h5",
    ]
    assert "not brought back" in result.stdout
    assert "grid-a/checkpoints/new" in result.stdout
    assert "grid-b/checkpoints/unclaimed" in result.stdout
    # and how to carry them past the session, where the returned files are lost
    assert "benchmarks/keep_checkpoints.py" in result.stdout

    # room for none: nothing comes back, and it says which
    result = _follow(tmp_path, "0", "1", CALL_FILES_MIB="0")
    assert result.returncode == 3
    assert not list((tmp_path / "out").glob("checkpoints.tgz.part*"))
    assert "keep_checkpoints" not in result.stdout
    assert "grid-a/checkpoints/old" in result.stdout

    def brought_back(**environment):
        result = _follow(tmp_path, "0", "1", **environment)
        assert result.returncode == 3, result.stderr
        parts = sorted((tmp_path / "out").glob("checkpoints.tgz.part*"))
        packed = b"".join(p.read_bytes() for p in parts)
        assert len(packed) + (tmp_path / "out" / "runs.tgz").stat().st_size <= 1 << 20
        if not packed:
            return []
        with tarfile.open(fileobj=io.BytesIO(packed)) as archive:
            return sorted(n.split("/")[3] for n in archive.getnames() if n.endswith(".h5"))

    # by default the room is what the call's files (1 MiB here) leave beside runs.tgz: two cells
    # of 400 KiB beside a small runs.tgz, one beside a runs.tgz of 300 KiB
    assert brought_back(CALL_FILES_MIB="1") == ["middle", "old"]
    (runs / "grid-a" / "results.jsonl").write_bytes(random.Random(1).randbytes(300 << 10))
    assert brought_back(CALL_FILES_MIB="1") == ["old"]


def test_device_follow_leaves_out_the_last_cell_when_the_archive_overshoots(tmp_path):
    # cells whose bytes fit the room but whose archive (tar's headers on incompressible
    # weights) does not: the cell that started last stays behind, the other comes back
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "timing.txt").write_text("")
    (runs / "grid").mkdir()
    (runs / "grid" / "results.jsonl").write_text("{}\n")
    assert _follow(tmp_path, "0", "1", CHECKPOINTS="0").returncode == 3
    runs_bytes = (tmp_path / "out" / "runs.tgz").stat().st_size
    room = (1 << 20) - runs_bytes - (64 << 10)
    for index, name in enumerate(["first", "second"]):
        folder = runs / "grid" / "checkpoints" / name
        folder.mkdir(parents=True)
        size = room // 2 - 100  # the two together 200 bytes under the room
        (folder / "weights.h5").write_bytes(random.Random(name).randbytes(size))
        (runs / "grid" / "claims").mkdir(exist_ok=True)
        (runs / "grid" / "claims" / name).touch()
        os.utime(runs / "grid" / "claims" / name, (100 + index, 100 + index))
    result = _follow(tmp_path, "0", "1", CALL_FILES_MIB="1")
    assert result.returncode == 3, result.stderr
    assert "over the room; the last started left out" in result.stdout
    parts = sorted((tmp_path / "out").glob("checkpoints.tgz.part*"))
    assert parts
    with tarfile.open(fileobj=io.BytesIO(b"".join(p.read_bytes() for p in parts))) as packed:
        files = [name for name in packed.getnames() if name.endswith(".h5")]
    assert files == ["./grid/checkpoints/first/weights.h5"]
    assert "not brought back" in result.stdout and "grid/checkpoints/second" in result.stdout


def test_device_follow_brings_back_the_compilation_cache_in_the_room_the_checkpoints_leave(
    tmp_path,
):
    runs = tmp_path / "runs"
    (runs / "grid" / "checkpoints" / "cell").mkdir(parents=True)
    (runs / "grid" / "checkpoints" / "cell" / "weights.h5").write_bytes(
        random.Random(0).randbytes(300 << 10)
    )
    (runs / "timing.txt").write_text("")
    cache = tmp_path / "jax-compilation"
    cache.mkdir()
    programs = {f"jit_train_step-{n}-cache": random.Random(n).randbytes(200 << 10) for n in (1, 2)}
    for name, data in programs.items():
        (cache / name).write_bytes(data)
    out = tmp_path / "out"

    def cache_back():
        parts = sorted(out.glob("compilation-cache.tgz.part*"))
        if not parts:
            return {}
        with tarfile.open(fileobj=io.BytesIO(b"".join(p.read_bytes() for p in parts))) as packed:
            return {
                Path(member.name).name: packed.extractfile(member).read()
                for member in packed.getmembers()
                if member.isfile()
            }

    # runs going on, room for the checkpoint and the cache: both come back, the cache whole
    result = _follow(tmp_path, "0", "1", CALL_FILES_MIB="1")
    assert result.returncode == 3, result.stderr
    assert list(out.glob("checkpoints.tgz.part*"))
    assert cache_back() == programs

    # room for the checkpoint alone: the checkpoint comes back, the cache is named as left out,
    # and no part of an earlier call's cache stays in $OUT
    (cache / "jit_eval-3-cache").write_bytes(random.Random(3).randbytes(300 << 10))
    result = _follow(tmp_path, "0", "1", CALL_FILES_MIB="1")
    assert result.returncode == 3, result.stderr
    assert list(out.glob("checkpoints.tgz.part*"))
    assert cache_back() == {}
    assert "compilation cache not brought back" in result.stdout
    (cache / "jit_eval-3-cache").unlink()

    # left behind on request, when the runs are done, and where there is no cache
    assert _follow(tmp_path, "0", "1", CALL_FILES_MIB="1", CACHE_BACK="0").returncode == 3
    assert cache_back() == {}
    (runs / "timing.txt").write_text("grid (...): 12 s, exit 0\n")
    assert _follow(tmp_path, "0", "1", CALL_FILES_MIB="1").returncode == 0
    assert cache_back() == {}
    (runs / "timing.txt").write_text("")
    shutil.rmtree(cache)
    result = _follow(tmp_path, "0", "1", CALL_FILES_MIB="1")
    assert result.returncode == 3 and cache_back() == {}
    assert "compilation cache" not in result.stdout


def test_stage_data_splits_the_zips_over_calls_that_fit_and_restores_them(tmp_path):
    script = load_script("stage_data")
    rng = random.Random(0)
    data = tmp_path / "data" / "toy"
    data.mkdir(parents=True)
    originals = {"train.zip": rng.randbytes(5000), "test.zip": rng.randbytes(1200)}
    for name, content in originals.items():
        (data / name).write_bytes(content)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "code.py").write_bytes(b"x" * 700)
    (repo / ".gitignore").write_text("/.stage*/\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    (repo / ".stage9").mkdir()  # an earlier staging's folder is removed
    tree = script.tree_bytes(repo)
    assert tree == 700 + len("/.stage*/\n")  # untracked, not ignored files count; .stage* not

    staged = script.stage(["toy"], tmp_path / "data", repo, margin=0, limit=tree + 2048)
    assert [folder.name for folder in staged] == [".stage1", ".stage2", ".stage3", ".stage4"]
    assert not (repo / ".stage9").exists()
    for folder in staged:
        parts = [path for path in folder.iterdir() if not path.name.endswith(".sh")]
        assert sum(path.stat().st_size for path in parts) <= 2048
    assert [(folder / "restore.sh").exists() for folder in staged] == [False] * 3 + [True]

    # on the machine: each call's copy, the last one's restore; the zips come back whole
    env = dict(os.environ, STAGE_ROOT=str(tmp_path / "stage"), DATA_ROOT=str(tmp_path / "out"))
    for folder in staged[:-1]:
        subprocess.run(["bash", str(folder / "copy.sh")], env=env, check=True)
    done = subprocess.run(["bash", str(staged[-1] / "restore.sh")], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    for name, content in originals.items():
        assert (tmp_path / "out" / "toy" / name).read_bytes() == content

    # a part lost between calls (the machine went back) fails the checksum, loudly (test.zip
    # sorts first and fills .stage1 with the first 848 bytes of train.zip)
    (tmp_path / "stage" / "toy__train.zip.000000000848").unlink()
    lost = subprocess.run(["bash", str(staged[-1] / "restore.sh")], env=env, capture_output=True)
    assert lost.returncode != 0 and b"FAILED" in lost.stdout + lost.stderr

    # the wheels ride with the last call; where its folder has no room for them, one more call
    again = script.stage(
        ["toy"], tmp_path / "data", repo, margin=0, limit=tree + 2048, last_call_extra=2048 - 10
    )
    assert len(again) == 5
    assert sorted(p.name for p in again[-1].iterdir()) == ["copy.sh", "restore.sh"]
    assert "cp " not in (again[-1] / "copy.sh").read_text()  # it only joins the parts


def test_stage_data_brings_run_folders_and_their_checkpoints_back_to_resume(tmp_path, capsys):
    script = load_script("stage_data")
    runs = tmp_path / "runs"
    (runs / "grid-a" / "checkpoints" / "cell").mkdir(parents=True)
    (runs / "grid-a" / "results.jsonl").write_text("{}\n")
    state = random.Random(1).randbytes(3000)
    (runs / "grid-a" / "checkpoints" / "cell" / "state.h5").write_bytes(state)
    (runs / "timing.txt").write_text("")
    back = tmp_path / "back"  # what device_follow.sh returned, checkpoints split in parts
    back.mkdir()
    subprocess.run(
        ["tar", "czf", str(back / "runs.tgz"), "--exclude=checkpoints", "-C", str(runs), "."],
        check=True,
    )
    subprocess.run(
        ["tar", "czf", str(tmp_path / "whole.tgz"), "-C", str(runs), "./grid-a/checkpoints"],
        check=True,
    )
    whole = (tmp_path / "whole.tgz").read_bytes()
    cut = len(whole) // 2
    (back / "checkpoints.tgz.part00").write_bytes(whole[:cut])
    (back / "checkpoints.tgz.part01").write_bytes(whole[cut:])
    cache = tmp_path / "jax-compilation"  # JAX's compiled programs, in one part
    cache.mkdir()
    program = random.Random(2).randbytes(2000)
    (cache / "jit_train_step-1-cache").write_bytes(program)
    subprocess.run(
        ["tar", "czf", str(back / "compilation-cache.tgz.part00"), "-C", str(cache), "."],
        check=True,
    )

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".gitignore").write_text("/.stage*/\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    parts = [back / "checkpoints.tgz.part01", back / "runs.tgz", back / "checkpoints.tgz.part00"]
    parts.append(back / "compilation-cache.tgz.part00")
    argv = ["--repo", str(repo), "--margin-mib", "0", "--runs", *map(str, parts)]
    assert script.main(argv) == 0, capsys.readouterr().err
    staged = sorted(repo.glob(".stage*"))
    assert len(staged) == 1

    machine = tmp_path / "machine"
    env = dict(os.environ, STAGE_ROOT=str(machine / "stage"), RUNS_ROOT=str(machine / "runs"))
    env["SEMISUP_CACHE_DIR"] = str(machine / "cache")
    done = subprocess.run(["bash", str(staged[0] / "restore.sh")], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    for name in ("grid-a/results.jsonl", "grid-a/checkpoints/cell/state.h5", "timing.txt"):
        assert (machine / "runs" / name).read_bytes() == (runs / name).read_bytes()
    # the compiled programs go to the grid's default cache folder, not among the runs
    restored = machine / "cache" / "jax-compilation" / "jit_train_step-1-cache"
    assert restored.read_bytes() == program
    assert not list((machine / "runs").rglob("*-cache"))

    # a missing part, or a file that is not an archive, is an error before anything is staged
    assert script.main([*argv[:-4], str(back / "checkpoints.tgz.part01")]) == 2
    assert "the parts of checkpoints.tgz are [1]" in capsys.readouterr().err
    (back / "notes.txt").write_text("not a tar")
    assert script.main([*argv[:4], "--runs", str(back / "notes.txt")]) == 2
    assert "is not a tar archive" in capsys.readouterr().err
    assert script.main(argv[:4]) == 2
    assert "nothing to stage" in capsys.readouterr().err


def test_stage_data_says_what_is_wrong(tmp_path, capsys):
    script = load_script("stage_data")
    assert script.main(["nope", "--data-dir", str(tmp_path), "--repo", str(tmp_path)]) == 2
    assert "no data set 'nope'" in capsys.readouterr().err
    (tmp_path / "data" / "toy").mkdir(parents=True)
    (tmp_path / "data" / "toy" / "train.zip").write_bytes(b"zip")
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    arguments = ["toy", "--data-dir", str(tmp_path / "data"), "--repo", str(repo)]
    assert script.main(arguments) == 2  # the parts would travel as part of the tree
    assert "git does not ignore .stage1/" in capsys.readouterr().err
    assert not (repo / ".stage1").exists()
    # a folder for the last call that a fresh checkout lacks, or that is empty
    (repo / ".git" / "info" / "exclude").write_text("/.stage*/\n/.whl/\n")
    assert script.main([*arguments, "--with", ".whl"]) == 2
    error = capsys.readouterr().err
    assert "--with .whl: no files under" in error and "DEVICE.md" in error
    (repo / ".whl").mkdir()
    assert script.main([*arguments, "--with", ".whl"]) == 2
    assert not (repo / ".stage1").exists()
    (repo / ".whl" / "keras.whl").write_bytes(b"wheel")
    assert script.main([*arguments, "--with", ".whl"]) == 0
    assert "'.whl'" in capsys.readouterr().out and (repo / ".stage1").is_dir()


@pytest.mark.backend
def test_encoder_flops_counts_the_convolutions_per_image(tmp_path):
    import keras

    if keras.backend.backend() != "jax":
        pytest.skip("XLA's cost analysis needs the JAX backend (CI runs this under JAX)")
    from semisup import encoders

    script = load_script("encoder_flops")
    shape = (32, 32, 1)
    # the convolutions' multiply-adds, counted from the layers (two operations each)
    encoder = encoders.get("conv4").build(shape)
    convolutions = 0
    for layer in encoder._flatten_layers():
        if isinstance(layer, keras.layers.Conv2D):
            height, width, _ = layer.output.shape[1:]
            convolutions += 2 * height * width * int(np.prod(layer.kernel.shape))
    out = tmp_path / "flops.jsonl"
    rows = script.main(
        ["--encoders", "conv4", "--shapes", "32x32x1", "--batch", "2", "--out", str(out)]
    )
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["encoder"] == "conv4" == rows[0]["encoder"] and row["input_shape"] == [32, 32, 1]
    assert row["params"] == encoder.count_params() and row["batch"] == 2
    # per image, whatever the batch: the convolutions and a little for batch norm and pooling
    assert 1.0 <= row["inference_flops_per_image"] / convolutions < 1.1
    # a training step adds the backward pass: about twice the forward again
    assert 2.5 < row["training_flops_per_image"] / row["inference_flops_per_image"] < 4
    # memory traffic: at least the input image read and the output maps written, in float32;
    # a training step reads and writes more than the forward pass alone
    least = 4 * (np.prod(shape) + np.prod(encoder.output_shape[1:]))
    assert least < row["inference_bytes_per_image"] < row["training_bytes_per_image"]
    assert row["provenance"]["backend"] == "jax"
    with pytest.raises(SystemExit):
        script.main(["--shapes", "48x48"])


@pytest.mark.backend
def test_step_memory_records_the_plan_of_every_program_a_fit_compiles(tmp_path):
    import keras

    if keras.backend.backend() != "jax":
        pytest.skip("the memory plan is XLA's as JAX compiles it (CI runs this under JAX)")
    import keras.src.backend.jax.trainer as jax_trainer

    script = load_script("step_memory")
    out = tmp_path / "memory.jsonl"
    jit = jax_trainer.jit
    arguments = ["--encoders", "conv4", "--strategies", "two_step_autoencoder", "--n", "160"]
    arguments += ["--images", "cifar", "--labeled", "140"]  # the smaller images: a quicker test
    assert script.main([*arguments, "--out", str(out)]) == 0
    assert jax_trainer.jit is jit  # put back
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    programs = [row["program"] for row in rows]
    # each phase's step, for the full batch of 128 and the last one (160 - 128 images; 140 - 128)
    assert (
        programs
        == ["autoencoder.train_step"] * 2 + ["twostepautoencoder_classifier.train_step"] * 2
    )
    autoencoder_full, autoencoder_last, classifier_full, _ = rows
    assert autoencoder_full["temp_bytes"] > autoencoder_last["temp_bytes"] > 0
    # the classifier trains a head on the frozen encoder: far less to keep for the backward pass
    assert classifier_full["temp_bytes"] < autoencoder_full["temp_bytes"] / 2
    for row in rows:
        assert row["peak_bytes"] == (
            row["temp_bytes"] + row["argument_bytes"] + row["output_bytes"] - row["alias_bytes"]
        )
        assert row["params"]["epochs"] == 1 and row["params"]["pretrain_epochs"] == 1
        assert row["encoder"] == "conv4" and row["image_shape"] == [32, 32, 3]
        assert row["provenance"]["backend"] == "jax"


def _checkpoint_parts(tmp_path, back, cut_in=2):
    """A run folder with two cells' checkpoints, packed as device_follow.sh packs them."""
    runs = tmp_path / "runs"
    cells = {"a1": {"autoencoder": 50, "classifier": 16}, "b2": {"joint": 53}}
    for cell, phases in cells.items():
        for phase, epoch in phases.items():
            folder = runs / "grid-a" / "checkpoints" / cell / phase
            folder.mkdir(parents=True)
            (folder / "training_metadata.json").write_text(json.dumps({"epoch": epoch}))
            (folder / "model.weights.h5").write_bytes(random.Random(epoch).randbytes(4000))
    whole = tmp_path / "whole.tgz"
    subprocess.run(["tar", "czf", str(whole), "-C", str(runs), "./grid-a/checkpoints"], check=True)
    data = whole.read_bytes()
    back.mkdir()
    size = -(-len(data) // cut_in)
    for index in range(cut_in):
        (back / f"checkpoints.tgz.part{index:02d}").write_bytes(
            data[index * size : (index + 1) * size]
        )
    return data


def test_keep_checkpoints_checks_copies_and_lists_the_cells(tmp_path, capsys):
    script = load_script("keep_checkpoints")
    back = tmp_path / "device-6"
    data = _checkpoint_parts(tmp_path, back)
    (back / "checkpoints.tgz.part01.tmp").write_text("a copy in progress, not a part")
    into = tmp_path / "results" / "device" / "resume"
    assert script.main([str(back), "--into", str(into)]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "grid-a/checkpoints/a1: autoencoder 50, classifier 16" in out
    assert "grid-a/checkpoints/b2: joint 53" in out
    kept = sorted(into.glob("checkpoints.tgz.part*"))
    assert [p.name for p in kept] == ["checkpoints.tgz.part00", "checkpoints.tgz.part01"]
    assert b"".join(p.read_bytes() for p in kept) == data
    readme = (into / "README.md").read_text()
    assert "| grid-a | `a1` | autoencoder 50, classifier 16 |" in readme
    assert hashlib.sha256(kept[1].read_bytes()).hexdigest() in readme
    assert f"mv {into.as_posix()} /tmp/resume" in readme
    assert "--runs /tmp/resume/checkpoints.tgz.part*" in readme

    # what it kept stages as it came: stage_data.py joins the parts and checks the whole
    stage = load_script("stage_data")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".gitignore").write_text("/.stage*/\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    assert stage.main(["--repo", str(repo), "--runs", *map(str, kept)]) == 0

    # parts already kept there are not overwritten
    assert script.main([str(back), "--into", str(into)]) == 2
    assert "already holds checkpoints.tgz parts" in capsys.readouterr().err


def test_keep_checkpoints_refuses_a_torn_missing_or_heavy_archive(tmp_path, capsys):
    script = load_script("keep_checkpoints")
    back = tmp_path / "device-6"
    _checkpoint_parts(tmp_path, back, cut_in=3)
    into = tmp_path / "resume"
    last = back / "checkpoints.tgz.part02"
    whole_last = last.read_bytes()
    last.write_bytes(whole_last[: len(whole_last) // 2])  # torn: a copy cut short
    assert script.main([str(back), "--into", str(into)]) == 2
    assert "do not make a whole checkpoints.tgz" in capsys.readouterr().err
    last.write_bytes(whole_last)
    (back / "checkpoints.tgz.part01").unlink()  # missing
    assert script.main([str(back), "--into", str(into)]) == 2
    assert "the parts of checkpoints.tgz are [0, 2]" in capsys.readouterr().err
    assert script.main([str(tmp_path), "--into", str(into)]) == 2
    assert "no checkpoints.tgz.partNN under" in capsys.readouterr().err
    assert not into.exists()  # nothing kept on any error

    (tmp_path / "h").mkdir()
    heavy = tmp_path / "h" / "device-7"
    _checkpoint_parts(tmp_path / "h", heavy)
    assert script.main([str(heavy), "--into", str(into), "--max-mib", "0.001"]) == 2
    assert "more than --max-mib 0.001" in capsys.readouterr().err
    assert script.main([str(heavy), "--into", str(into)]) == 0
