"""Smoke tests of the scripts under benchmarks/ (they run on the GPU machine; here on tiny data)."""

import importlib.util
import json
from pathlib import Path

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
            "--strategies",
            "supervised",
            "--encoder",
            "conv4",
            "--epochs",
            "2",
            "--n-images",
            "300",
            "--out",
            str(out),
        ]
    )
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["strategy"] == "supervised" == results[0]["strategy"]
    assert row["params"]["steps_per_execution"] == 32  # the seed preset's
    assert row["params"]["epochs"] == 2
    assert row["n_images"] == 300 and 0 < row["n_labeled"] < 300
    assert row["provenance"]["backend"]
    (phase,) = row["phases"]
    assert phase["phase"] == "classifier"
    assert phase["calls_measured"] >= 1  # the second epoch's call(s); the first is skipped
    assert phase["steps_measured"] == phase["steps_per_epoch"]
    assert 0 <= row["outside_fraction"] <= 1
    assert row["inside_s"] > 0
    assert "supervised" in capsys.readouterr().out
