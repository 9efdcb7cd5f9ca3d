"""Benchmark harness: a grid of data sets x strategies x filters x label budgets x seeds.

Example:
    >>> from semisup.bench import BenchConfig, run
    >>> config = BenchConfig.from_sources(preset="demo", overrides={"strategies": ["supervised"]})
    >>> rows = run(config, "runs/demo", verbose=0)      # doctest: +SKIP
"""

from semisup.bench.config import PRESETS, BenchConfig
from semisup.bench.runner import GridPlan, expand_grid, plan, read_results, run

__all__ = ["PRESETS", "BenchConfig", "GridPlan", "expand_grid", "plan", "read_results", "run"]
