"""What a benchmark run covers: a grid of data sets x strategies x filters x label budgets x seeds.

A grid comes from a preset (`demo`, `seed`, `ssl`), a TOML file, or both with command-line
overrides; `BenchConfig.validate()` checks every name before any training starts.

TOML example (every key optional; a preset fills the rest):

    preset = "seed"
    datasets = ["fer2013"]
    strategies = ["supervised", "self_training", "self_training[weighting=calibrated]",
                  "mypackage.strategies:MyStrategy"]
    filters = ["none", "deep_svdd:0.1"]
    budgets = ["seed", "k:25"]
    seeds = [0, 1, 2]
    encoder = "conv4"        # or a list, e.g. ["conv4", "wrn28_2"]: every cell per encoder
    validation = "dataset"   # or "none" (default), "labeled:0.1", "auto", or per data set:
                             # validation = {fer2013 = "dataset", "cifar10-jpeg" = "labeled:0.1"}
    monitor_every = 5        # test accuracy every 5 epochs of each phase (default: off)
    monitor_unlabeled = 5000 # and pseudo-label quality on 5,000 unlabeled images (default: off)
    checkpoint_every_s = 60  # seconds between a cell's checkpoints (0: every epoch)
    test_time_augmentation = ["hflip", "hflip+shift:2"]  # also score the test split twice:
                             # averaged over each image and its mirror; and over 10 views

    [params]                 # every strategy that has the parameter
    epochs = 100

    [params.self_training]   # one strategy only
    rounds = 3

    [filter_params]
    epochs = 50
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from semisup._specs import parse_spec, parse_value, split_specs  # noqa: F401 (re-exported)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Seed 001's strategies, in the order the report lists them.
SEED_STRATEGIES = (
    "supervised",
    "self_training",
    "two_step_autoencoder",
    "one_step_autoencoder",
    "contrastive",
)

PRESETS: dict[str, dict] = {
    # The README's first command: seed 001's five strategies with and without the filter on the
    # embedded digits, short enough for a laptop CPU (a few minutes on 2 cores).
    "demo": {
        "datasets": ["digits"],
        "strategies": list(SEED_STRATEGIES),
        "filters": ["none", "deep_svdd:0.1"],
        "budgets": ["seed"],
        "seeds": [0],
        "encoder": "conv4",
        "params": {
            "epochs": 15,
            "batch_size": 64,
            "self_training": {"rounds": 1},
            "two_step_autoencoder": {"pretrain_epochs": 10, "head": "linear"},
            "contrastive": {
                "pretrain_epochs": 10,
                "pretrain_batch_size": 128,
                "projector_units": [128, 128],
            },
        },
        "filter_params": {"epochs": 10},
    },
    # Seed 001's protocol: the strategies' defaults are its hyper-parameters (100 epochs, batch
    # 128, Adam 1e-3; self-training 0.8 / 3 rounds; autoencoder 50 epochs; ...).
    "seed": {
        "datasets": ["fer2013", "cifar10-jpeg"],
        "strategies": list(SEED_STRATEGIES),
        "filters": ["none", "deep_svdd:0.1"],
        "budgets": ["seed"],
        "seeds": [0, 1, 2],
        "encoder": "conv4",
        # not a learning hyper-parameter: the same updates, fewer returns to Python per epoch
        "params": {"steps_per_execution": 32},
        "filter_params": {},
    },
    # Issue 6's comparison at equal compute: the consistency methods against the supervised
    # baseline on WRN-28-2, each cell capped at 20 minutes of training (a GPU job).
    "ssl": {
        "datasets": ["fer2013", "cifar10-jpeg"],
        "strategies": [
            "supervised",
            "fixmatch",
            "freematch",
            "mean_teacher",
            "pseudo_label",
            "pi_model",
        ],
        "filters": ["none"],
        "budgets": ["seed"],
        "seeds": [0, 1, 2],
        "encoder": "wrn28_2",
        "time_limit_s": 1200,
        # test accuracy after each of the 30 epochs: the report plots it against training time
        "monitor_every": 1,
        # and the pseudo-labels' quality on 5,000 unlabeled images at the same epochs
        "monitor_unlabeled": 5000,
        "params": {
            "steps_per_execution": 32,
            "fixmatch": {"steps": 30000, "epochs": 30},
            "freematch": {"steps": 30000, "epochs": 30},
            "mean_teacher": {"steps": 30000, "epochs": 30},
            "pseudo_label": {"steps": 30000, "epochs": 30},
            "pi_model": {"steps": 30000, "epochs": 30},
        },
        "filter_params": {},
    },
}

GRID_KEYS = ("datasets", "strategies", "filters", "budgets", "seeds")


@dataclass
class BenchConfig:
    """A benchmark grid. Build it with `BenchConfig.from_sources(...)`, then `validate()`."""

    datasets: list[str] = field(default_factory=list)
    strategies: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=lambda: ["none"])
    budgets: list[str] = field(default_factory=lambda: ["seed"])
    seeds: list[int] = field(default_factory=lambda: [0])
    # one registered encoder (spec), or a list of them: the grid runs every cell with each
    encoder: str | list[str] = "conv4"
    params: dict = field(default_factory=dict)
    filter_params: dict = field(default_factory=dict)
    preset: str | None = None
    data_dir: str | None = None
    # what fit() gets as validation_data: "none"; "dataset" (the data set's validation split,
    # e.g. FER2013's PublicTest); "labeled:F" (a stratified fraction F of the labeled images,
    # held out of training, the same for every strategy of a seed); "auto" (the data set's
    # validation split where it has one, else none). Or a dict of these per data set of the
    # grid (`{"fer2013": "dataset", "cifar10-jpeg": "labeled:0.1"}`); those not named: "none"
    validation: str | dict[str, str] = "none"
    # a wall-clock cap on each cell's training (seconds, over all its phases); None: no cap
    time_limit_s: float | None = None
    # record test accuracy against training time every N epochs of each training phase (the
    # row's `test_curve`, drawn in the report's accuracy-against-time plot); None: off
    monitor_every: int | None = None
    # with monitor_every, also score a fixed random sample of this many images of the unlabeled
    # pool against their hidden labels at each monitored epoch (the row's `unlabeled_curve`:
    # accuracy there, share of pseudo-labels kept and how many are right); None: off
    monitor_unlabeled: int | None = None
    # seconds between a training cell's checkpoints (it saves at the end of the first epoch that
    # ends this long after its last save, and at each phase's end); 0: every epoch, which with
    # sub-second epochs costs a large share of the training time. A killed cell resumes from
    # its last checkpoint.
    checkpoint_every_s: float = 60.0
    # also score the test split with test-time augmentation, once per entry: the predictions
    # averaged over the views an entry names (semisup.evaluation.tta: "hflip", "shift:K", or
    # several joined by "+"). The row's `extra_evaluations` gets "<test split>, TTA <entry>";
    # the plain metrics stay as they are. None: off
    test_time_augmentation: list[str] | None = None

    @classmethod
    def from_sources(
        cls, preset: str | None = None, config_file=None, overrides: dict | None = None
    ) -> BenchConfig:
        """Preset, then the TOML file (which may name its own preset), then `overrides`.

        A `.json` file is read as a run folder's `config.json` (the grid that folder ran, or
        the union grid `semisup bench merge` wrote): re-running it in that folder runs the
        cells it does not hold yet."""
        values: dict = {}
        file_values: dict = {}
        if config_file is not None:
            path = Path(config_file)
            if not path.is_file():
                raise FileNotFoundError(f"Benchmark config {path} does not exist.")
            if path.suffix == ".json":  # a run folder's config.json: the grid it ran
                try:
                    file_values = json.loads(path.read_text())
                except ValueError as error:
                    raise ValueError(f"{path} is not valid JSON: {error}") from None
                if not isinstance(file_values, dict):
                    raise ValueError(f"{path} holds no grid (a JSON object of its settings)")
            else:
                try:
                    file_values = tomllib.loads(path.read_text())
                except tomllib.TOMLDecodeError as error:
                    raise ValueError(f"{path} is not valid TOML: {error}") from None
            unknown = set(file_values) - set(cls.__dataclass_fields__)
            if unknown:
                raise ValueError(
                    f"{path}: unknown key(s) {sorted(unknown)}; valid keys: "
                    f"{sorted(cls.__dataclass_fields__)}."
                )
        preset = preset or file_values.get("preset")
        if preset is not None:
            if preset not in PRESETS:
                raise ValueError(f"Unknown preset {preset!r}; valid presets: {sorted(PRESETS)}.")
            values.update(copy.deepcopy(PRESETS[preset]))
            values["preset"] = preset
        file_params = file_values.pop("params", None)
        values.update(file_values)
        if file_params is not None:
            values["params"] = merge_params(values.get("params", {}), file_params)
        for key, value in (overrides or {}).items():
            if value is None:
                continue
            if key == "params":
                values["params"] = merge_params(values.get("params", {}), value)
            else:
                values[key] = value
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)

    def validate(self) -> BenchConfig:
        """Check every name and parameter before any training; raise listing the valid ones."""
        from semisup import encoders, filters
        from semisup.data import DATASETS

        for key in GRID_KEYS:
            value = getattr(self, key)
            if not isinstance(value, list) or not value:
                raise ValueError(f"{key} must be a non-empty list, got {value!r}.")
        for name in self.datasets:
            if name not in DATASETS and not os.path.exists(name):
                raise ValueError(
                    f"Unknown data set {name!r}; valid names: {list(DATASETS)}, or a path to an "
                    "image folder/zip."
                )
        for name in self.strategies:
            strategy_class(name)
        for name in self.encoder_names():
            encoders.get(name)
        for spec in self.filters:
            parse_filter(spec)
            if spec != "none":
                filters.get(spec.partition(":")[0])
        for spec in self.budgets:
            parse_budget(spec)
        if isinstance(self.validation, dict):
            unknown = sorted(set(self.validation) - set(self.datasets))
            if unknown:
                raise ValueError(
                    f"validation names {unknown}, which are not data sets of the grid "
                    f"{self.datasets}; give one value per data set of the grid."
                )
            for name, spec in self.validation.items():
                try:
                    parse_validation(spec)
                except ValueError as error:
                    raise ValueError(f"validation for {name!r}: {error}") from None
        else:
            parse_validation(self.validation)
        limit = self.time_limit_s
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0
        ):
            raise ValueError(f"time_limit_s must be a positive number of seconds, got {limit!r}.")
        every = self.monitor_every
        if every is not None and (
            isinstance(every, bool) or not isinstance(every, int) or every < 1
        ):
            raise ValueError(
                f"monitor_every must be a positive integer number of epochs (test accuracy every "
                f"N epochs of each training phase), or None to turn monitoring off; got {every!r}."
            )
        sample = self.monitor_unlabeled
        if sample is not None:
            if isinstance(sample, bool) or not isinstance(sample, int) or sample < 1:
                raise ValueError(
                    f"monitor_unlabeled must be a positive integer number of unlabeled images to "
                    f"score at each monitored epoch, or None to turn it off; got {sample!r}."
                )
            if every is None:
                raise ValueError(
                    f"monitor_unlabeled={sample} scores the unlabeled pool at the monitored "
                    "epochs, but monitor_every is not set: set monitor_every (e.g. 1) as well, "
                    "or drop monitor_unlabeled."
                )
        every_s = self.checkpoint_every_s
        if isinstance(every_s, bool) or not isinstance(every_s, (int, float)) or not every_s >= 0:
            raise ValueError(
                f"checkpoint_every_s must be a non-negative number of seconds between a cell's "
                f"checkpoints (0: every epoch), got {every_s!r}."
            )
        if self.test_time_augmentation is not None:
            from semisup.evaluation.tta import parse_transforms

            entries = self.test_time_augmentation
            if not isinstance(entries, list) or not entries:
                raise ValueError(
                    "test_time_augmentation must be a non-empty list, one entry per scoring: a "
                    "transform or several joined by '+', e.g. ['hflip'] or ['hflip', "
                    f"'hflip+shift:2']; got {entries!r}."
                )
            for entry in entries:
                if not isinstance(entry, str):
                    raise ValueError(
                        f"test_time_augmentation: each entry is a string such as 'hflip' or "
                        f"'hflip+shift:2', got {entry!r}."
                    )
                try:
                    parse_transforms(entry)
                except ValueError as error:
                    raise ValueError(f"test_time_augmentation entry {entry!r}: {error}") from None
            if len(set(entries)) < len(entries):
                raise ValueError(
                    f"test_time_augmentation lists an entry twice: {entries}; give each once."
                )
        for seed in self.seeds:
            if not isinstance(seed, int) or isinstance(seed, bool):
                raise ValueError(f"seeds must be integers, got {seed!r}.")
        # every parameter must exist on at least one strategy (global) or on the named one
        names = {name: strategy_class(name) for name in self.strategies}
        known = {name: set(cls().get_params(deep=False)) for name, cls in names.items()}
        in_grid = set(known)
        for name in self.strategies:
            unknown = set(parse_strategy(name)[1]) - known[name]
            if unknown:
                raise ValueError(
                    f"Strategy {name!r}: {sorted(unknown)} are not parameters of "
                    f"{parse_strategy(name)[0]}; valid: {sorted(known[name])}."
                )
        for key, value in self.params.items():
            if isinstance(value, dict):
                # a preset's settings for a strategy left out of this grid are fine
                if key not in known:
                    known[key] = set(strategy_class(key)().get_params(deep=False))
                unknown = set(value) - known[key]
                if unknown:
                    raise ValueError(
                        f"params.{key}: {sorted(unknown)} are not parameters of {key}; valid: "
                        f"{sorted(known[key])}."
                    )
            elif not any(key in known[name] for name in in_grid):
                raise ValueError(
                    f"params: {key!r} is a parameter of none of the strategies {sorted(names)}."
                )
        # the values too, as each strategy checks them at fit(): a grid fails here, before any
        # cell trains, rather than at its first cell of a misconfigured strategy
        for name, cls in names.items():
            strategy = cls().set_params(**self.strategy_params(name))
            try:
                strategy._check_parameters()
            except (ValueError, TypeError) as error:
                raise type(error)(f"Strategy {name!r}: {error}") from None
        filter_known = set(filters.DeepSVDDFilter().get_params(deep=False))
        unknown = set(self.filter_params) - filter_known
        if unknown:
            raise ValueError(
                f"filter_params: {sorted(unknown)} are not DeepSVDDFilter parameters; valid: "
                f"{sorted(filter_known)}."
            )
        return self

    def encoder_names(self) -> list[str]:
        """The grid's encoders: `encoder` as a list (one name or spec, or several).

        Raises:
            ValueError: `encoder` is neither a non-empty string nor a non-empty list of distinct
                non-empty strings.
        """
        names = [self.encoder] if isinstance(self.encoder, str) else self.encoder
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(name, str) and name.strip() for name in names)
        ):
            raise ValueError(
                "encoder must be a registered encoder's name or spec (e.g. 'wrn28_2' or "
                "'wide_resnet[widen_factor=4]'), or a non-empty list of them to run the grid "
                f"with each; got {self.encoder!r}."
            )
        if len(set(names)) < len(names):
            raise ValueError(f"encoder lists an encoder twice: {names}; give each once.")
        return list(names)

    def validation_for(self, dataset: str) -> str:
        """The `validation` setting of one data set of the grid (named as in `datasets`)."""
        if isinstance(self.validation, dict):
            return self.validation.get(dataset, "none")
        return self.validation

    def strategy_params(self, name: str) -> dict:
        """The parameters that apply to strategy `name`: global ones it has, then those of its
        base name, then those given for the whole spec, then the spec's own `[key=value]`s."""
        base, inline = parse_strategy(name)
        known = set(strategy_class(name)().get_params(deep=False))
        chosen = {k: v for k, v in self.params.items() if not isinstance(v, dict) and k in known}
        for key in dict.fromkeys((base, name)):
            if isinstance(self.params.get(key), dict):
                chosen.update(self.params[key])
        chosen.update(inline)
        return {k: tuple(v) if isinstance(v, list) else v for k, v in chosen.items()}


def merge_params(base: dict, new: dict) -> dict:
    """`new` laid over `base`: a global value in `new` also replaces `base`'s per-strategy values
    of that parameter, and `new`'s per-strategy values beat its own global ones."""
    merged = copy.deepcopy(base)
    for name, setting in new.items():
        if not isinstance(setting, dict):
            for per_strategy in merged.values():
                if isinstance(per_strategy, dict):
                    per_strategy.pop(name, None)
            merged[name] = setting
    for name, setting in new.items():
        if isinstance(setting, dict):
            merged[name] = {**merged.get(name, {}), **setting}
    return merged


def parse_strategy(spec: str) -> tuple[str, dict]:
    """A strategy spec: a name, optionally with parameters of this variant in brackets.

    `"self_training[weighting=calibrated, rounds=2]"` -> `("self_training", {"weighting":
    "calibrated", "rounds": 2})`. The whole spec names the variant in the grid and its results.
    """
    return parse_spec(spec, "Strategy", "self_training[weighting=calibrated]")


def strategy_key(spec) -> tuple[str, str] | None:
    """What a strategy spec means, whatever its spelling: (name, its parameters as sorted JSON),
    so `"fixmatch[mu=1,steps=9]"` and `"fixmatch[steps=9, mu=1]"` have one key; None for a text
    that is not a spec."""
    try:
        base, params = parse_strategy(spec)
    except ValueError:
        return None
    return base, json.dumps(params, sort_keys=True)


def parse_validation(spec: str) -> tuple[str, float | None]:
    """`"none"`, `"dataset"`, `"auto"` or `"labeled:F"` with 0 < F < 1."""
    if spec in ("none", "dataset", "auto"):
        return spec, None
    kind, _, fraction = spec.partition(":") if isinstance(spec, str) else ("", "", "")
    try:
        value = float(fraction)
    except ValueError:
        value = None
    if kind != "labeled" or value is None or not 0 < value < 1:
        raise ValueError(
            f"validation {spec!r} must be 'none', 'dataset' (the data set's validation split), "
            "'auto' (that split where the data set has one, else none) or 'labeled:F' (a "
            "fraction 0 < F < 1 of the labeled images held out)."
        )
    return kind, value


def strategy_class(name: str):
    """A registered strategy, or `package.module:ClassName` (imported and registered); a
    `[param=value]` suffix (a variant) is ignored here."""
    from semisup import strategies

    name = parse_strategy(name)[0]
    if ":" in name:
        module_name, _, class_name = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise ValueError(
                f"Cannot import {module_name!r} for strategy {name!r}: {error}"
            ) from None
        cls = getattr(module, class_name, None)
        if cls is None:
            raise ValueError(f"Module {module_name!r} has no {class_name!r} (strategy {name!r}).")
        if name not in strategies.REGISTRY:
            strategies.register(name, cls)
        return cls
    return strategies.get(name)


def parse_filter(spec: str) -> tuple[str, float | None]:
    """`"none"` -> ("none", None); `"deep_svdd:0.1"` -> ("deep_svdd", 0.1)."""
    if spec == "none":
        return "none", None
    name, _, nu = spec.partition(":")
    try:
        value = float(nu)
    except ValueError:
        raise ValueError(
            f"Filter {spec!r} must be 'none' or NAME:NU such as 'deep_svdd:0.1'."
        ) from None
    if not 0 < value <= 1:
        raise ValueError(f"Filter {spec!r}: nu must be in (0, 1], got {value}.")
    return name, value


def parse_budget(spec: str) -> tuple[str, int | None]:
    """`"seed"` (seed 001's split), `"all"` (every label), or `"k:N"` (N labels per class)."""
    if spec in ("seed", "all"):
        return spec, None
    kind, _, count = spec.partition(":")
    if kind == "k" and count.isdigit() and int(count) > 0:
        return "k", int(count)
    raise ValueError(f"Label budget {spec!r} must be 'seed', 'all' or 'k:N' with N > 0.")
