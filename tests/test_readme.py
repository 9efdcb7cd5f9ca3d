"""The README's two commands are the ones CI and users run; keep them honest."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```(?:bash|sh)\n(.*?)\n```", text, flags=re.S)


def test_ci_runs_exactly_the_readme_test_command():
    commands = _readme_commands()
    assert len(commands) >= 2, "README must start with the main-job and the test command"
    test_command = commands[1].strip()
    assert "pytest" in test_command
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_readme_main_command_runs_the_benchmark_demo():
    assert _readme_commands()[0].strip().endswith("semisup bench")


def test_readme_says_which_strategies_the_demo_runs():
    from semisup.bench.config import PRESETS, SEED_STRATEGIES

    text = (ROOT / "README.md").read_text()
    intro = text[text.index("## Quick start") : text.index("```bash")]
    assert PRESETS["demo"]["strategies"] == list(SEED_STRATEGIES)
    assert "every strategy" not in intro and "seed 001's five strategies" in intro
    assert len(SEED_STRATEGIES) == 5


def test_strategies_doc_lists_every_registered_strategy():
    from semisup.strategies import REGISTRY

    text = (ROOT / "docs" / "strategies.md").read_text()
    paragraph = text[text.index("Registered names") :].split("\n\n")[0]
    listed = re.findall(r"`([a-z_0-9]+)`", paragraph.split(":", 1)[1].split(".")[0])
    # other tests in the same process register strategies of their own ("module:Class")
    built_in = [
        name for name, cls in REGISTRY.items() if cls.__module__.startswith("semisup.strategies")
    ]
    assert len(built_in) == 11 and listed == built_in
