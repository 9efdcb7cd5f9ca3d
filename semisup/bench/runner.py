"""Run a benchmark grid cell by cell into an append-only JSON Lines store that resumes.

Layout of a run folder:

    results.jsonl         one row per finished cell (see SCHEMA.md), appended and fsync'ed
    config.json           the grid of the latest invocation that started (one refused before
                          its first cell leaves it as it was)
    splits/               the label split of each (data set, budget, seed), as .npz indices
    predictions/<cell>.npz  each finished cell's class probabilities on every non-training split
                          (float16, with the true labels), for later analysis such as calibration
    checkpoints/<cell>/   training state of the cell in progress, saved every `checkpoint_every_s`
                          seconds and at each phase's end (deleted when done)
    report.md, plots/     written by `semisup bench report` (and at the end of `semisup bench`)

Re-running the same command skips finished cells, resumes a cell that was killed from its last
checkpoint, and ignores (with a warning, keeping a copy) a last line torn by a kill.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import time
import warnings
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from semisup._atomic import atomic_path
from semisup.bench.config import (
    BenchConfig,
    parse_budget,
    parse_filter,
    parse_strategy,
    parse_validation,
    strategy_class,
    strategy_key,
)

RESULTS_FILE = "results.jsonl"
# where `run(compilation_cache=True)` keeps JAX's compiled programs, under the data cache folder
COMPILATION_CACHE_FOLDER = "jax-compilation"
# where `--jobs N` workers note the cells that ran out of memory beside the others (`_defer`)
DEFERRED_FOLDER = "deferred"
# Extra test sets reported beside the main test split, for comparison with published numbers.
EXTRA_EVALUATIONS = {"fer2013": {"PublicTest+PrivateTest": ("PublicTest", "PrivateTest")}}


def tta_evaluation_name(test_split: str, entry: str) -> str:
    """The `extra_evaluations` key of the test split scored with the test-time augmentation
    `entry` of the grid's `test_time_augmentation` (e.g. "hflip+shift:2")."""
    return f"{test_split}, TTA {entry}"


def _tta_setting(config) -> list[str] | None:
    """The grid's test-time augmentation as a row stores it."""
    return list(config.test_time_augmentation) if config.test_time_augmentation else None


CELL_KEYS = ("dataset", "strategy", "filter", "budget", "seed", "encoder")


def cell_id(cell: dict) -> str:
    """`dataset|strategy|filter|budget|seed|encoder`: the key that makes a re-run skip a cell."""
    return "|".join(str(cell[key]) for key in CELL_KEYS)


def expand_grid(config: BenchConfig) -> list[dict]:
    """Every cell of the grid, in run order (data set, encoder, budget, seed, strategy, filter);
    strategies that ignore the pool get no filter."""
    cells = []
    for dataset, encoder in itertools.product(config.datasets, config.encoder_names()):
        for budget, seed, strategy in itertools.product(
            config.budgets, config.seeds, config.strategies
        ):
            uses_pool = strategy_class(strategy).uses_unlabeled
            for filter_spec in config.filters:
                if filter_spec != "none" and (not uses_pool or budget == "all"):
                    continue  # nothing to filter: the same cell as without the filter
                cells.append(
                    {
                        "dataset": dataset,
                        "strategy": strategy,
                        "filter": filter_spec,
                        "budget": budget,
                        "seed": seed,
                        "encoder": encoder,
                    }
                )
    for cell in cells:
        cell["cell_id"] = cell_id(cell)
    return cells


def adopt_spellings(config: BenchConfig, rows: list[dict]) -> tuple[BenchConfig, dict[str, str]]:
    """The grid with each strategy spelled as the run folder's rows spell the same strategy and
    parameters, else as the grid names it first.

    A strategy's spec is part of each cell's key, so `fixmatch[mu=1,steps=9]` typed where the
    folder's rows say `fixmatch[mu=1, steps=9]` (spaces, the parameters' order) would run
    finished cells again and report the two spellings as two strategies. Per-spec `params`
    move with the spelling.

    Returns:
        The grid (the same object where nothing changed) and {spelling given: spelling used}.

    Raises:
        ValueError: `params` give two spellings of one strategy different parameters.
    """
    spellings: dict[tuple[str, str], str] = {}
    for row in rows:
        key = strategy_key(row.get("strategy"))
        if key is not None:
            spellings.setdefault(key, row["strategy"])
    respelled: dict[str, str] = {}
    strategies: list[str] = []
    for name in config.strategies:
        key = strategy_key(name)
        spelled = name if key is None else spellings.setdefault(key, name)
        if spelled != name:
            respelled[name] = spelled
        if spelled not in strategies:
            strategies.append(spelled)
    if not respelled:
        return config, {}
    params = dict(config.params)
    for old, new in respelled.items():
        if isinstance(params.get(old), dict):
            moved = params.pop(old)
            if isinstance(params.get(new), dict) and params[new] != moved:
                raise ValueError(
                    f"params give {old!r} {moved} and {new!r} {params[new]}: two spellings of "
                    "one strategy (the same name and parameters) with other settings. Give "
                    "them under one spelling, or name the setting in the spec to make a "
                    "variant of its own."
                )
            params[new] = moved
    return replace(config, strategies=strategies, params=params), respelled


def read_results(path: Path, repair: bool = True) -> list[dict]:
    """The finished rows of a results file, repairing a last line torn by a kill.

    A torn last line is moved to `<name>.torn-<time>` beside the file (so nothing is lost) and cut
    from the file, with a warning; an unreadable line elsewhere is an error. With
    `repair=False` (a worker reading while others write) a torn last line is only left out.
    """
    if not path.exists():
        return []
    data = path.read_bytes()
    lines = data.split(b"\n")
    rows, valid_bytes = [], 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            valid_bytes += len(line) + 1
            continue
        is_last = number == len(lines) or all(not rest.strip() for rest in lines[number:])
        # a row is finished only once its newline is written: an unterminated last line is torn
        # even when it happens to parse, or the next append would glue two rows together
        unterminated = number == len(lines)
        try:
            if unterminated:
                raise json.JSONDecodeError("no newline", "", 0)
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            if is_last and not repair:
                break
            if not is_last:
                raise ValueError(
                    f"{path}, line {number}, is not valid JSON and is not the last line; the "
                    "results file was edited or damaged. Fix or remove that line."
                ) from None
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
            torn = path.with_name(f"{path.name}.torn-{stamp}")
            torn.write_bytes(line)
            with open(path, "r+b") as handle:
                handle.truncate(valid_bytes)
            warnings.warn(
                f"{path}: the last line ({len(line)} bytes) was torn, probably by a kill; it "
                f"was moved to {torn.name} and its cell will run again.",
                stacklevel=2,
            )
            break
        valid_bytes += len(line) + 1
    return rows


def append_row(path: Path, row: dict) -> None:
    """Append one row as one locked write, flushed to disk before returning."""
    import fcntl

    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # parallel workers share the file
        try:
            handle.write(json.dumps(row) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _json_ready(params: dict) -> dict:
    ready = {}
    for key, value in params.items():
        if isinstance(value, (tuple, list)):
            value = list(value)
        try:
            json.dumps(value)
        except TypeError:
            value = repr(value)
        ready[key] = value
    return ready


def _make_split(dataset, budget: str, seed: int, run_dir: Path):
    from semisup.data import LabelSplit, per_class_split, seed_split

    kind, count = parse_budget(budget)
    path = run_dir / "splits" / f"{dataset.name}_{budget.replace(':', '')}_seed{seed}.npz"
    if path.exists():
        split = LabelSplit.load(path)
    else:
        n = len(dataset.y_train)
        if kind == "seed":
            split = seed_split(n)
        elif kind == "all":
            split = LabelSplit(np.arange(n), np.zeros(0, np.int64), n, "all")
        else:
            split = per_class_split(dataset.y_train, count, seed=seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        # workers of one grid may make the same split at once: each writes its own file and
        # renames it into place, so no worker ever reads a half-written one
        with atomic_path(path) as partial:
            split.save(partial)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return split, str(path.relative_to(run_dir)), digest


def _full_proba(model, x, n_classes, transforms=None):
    """Probabilities over every class of the data set (a class never labeled gets 0); with
    `transforms`, averaged over those test-time views of each image (semisup.evaluation.tta)."""
    if transforms:
        from semisup.evaluation.tta import tta_predict_proba

        proba = tta_predict_proba(model, x, transforms)
    else:
        proba = model.predict_proba(x)
    full = np.zeros((len(x), n_classes))
    full[:, model.classes_] = proba
    return full


def _evaluate(full, y):
    from sklearn.metrics import confusion_matrix, f1_score

    from semisup.evaluation import expected_calibration_error, negative_log_likelihood

    n_classes = full.shape[1]
    predicted = full.argmax(axis=1)
    metrics = {
        "accuracy": float((predicted == y).mean()),
        # averaged over the classes the test split has (a class absent there has no F1)
        "macro_f1": float(
            f1_score(y, predicted, average="macro", labels=np.unique(y), zero_division=0)
        ),
        "ece": expected_calibration_error(full, y),
        "nll": negative_log_likelihood(full, y),
    }
    matrix = confusion_matrix(y, predicted, labels=np.arange(n_classes))
    return metrics, matrix


def time_limit_callback(seconds: float, excluded=None, credited=None):
    """A Keras callback that ends training once `seconds` of wall time have passed since the
    first `fit()` it saw. One instance serves every phase of a strategy, so a phase that starts
    after the limit stops after its first step; its `stopped` attribute says whether it cut.

    `excluded`, a function of no arguments, gives seconds of that wall time that are not
    training and do not count (the test-accuracy monitor's evaluations); `credited`, likewise,
    seconds that count on top of it (the training an earlier, killed process did before this
    one resumed the cell: the strategy's `resumed_seconds_`)."""
    import keras  # here, not at import: the report needs no Keras

    class TimeLimit(keras.callbacks.Callback):
        # Not marked `async_safe`, although its batch hook reads no logs: under JAX, with Keras
        # 3.15.1, stopping mid-epoch from Keras's callback thread fails ("Array has been
        # deleted"). So Keras waits for the device after each compiled call of a time-limited
        # fit; with the `ssl` preset's 32-step calls of ~10 ms steps that costs little (the
        # harness's FixMatch ran at 92-95 steps/s against 96 in the throughput benchmark).

        def __init__(self):
            super().__init__()
            self.seconds = float(seconds)
            self.started = None
            self.stopped = False

        def on_train_begin(self, logs=None):
            if self.started is None:
                self.started = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            spent = time.perf_counter() - self.started - (excluded() if excluded else 0.0)
            spent += (credited() or 0.0) if credited else 0.0
            if spent > self.seconds:
                self.model.stop_training = True
                self.stopped = True

    return TimeLimit()


def _plain(value):
    """`value` with numpy scalars and tuples turned into JSON's types."""
    return json.loads(
        json.dumps(value, default=lambda o: o.item() if hasattr(o, "item") else repr(o))
    )


def hold_out_labeled(y_reduced: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Indices of a stratified `fraction` of the labeled images (y >= 0), at least one per class
    that has two or more, chosen by `seed` (the same for every strategy of that seed)."""
    rng = np.random.default_rng([seed, 7919])
    held = []
    for label in np.unique(y_reduced[y_reduced >= 0]):
        members = np.flatnonzero(y_reduced == label)
        if len(members) >= 2:
            count = min(max(1, round(fraction * len(members))), len(members) - 1)
            held.append(rng.choice(members, size=count, replace=False))
    return np.sort(np.concatenate(held)) if held else np.zeros(0, np.int64)


def _check_validation_split(dataset) -> None:
    if dataset.validation_split is None:
        raise ValueError(
            f"validation='dataset' but {dataset.name} has no validation split; use "
            "validation='labeled:0.1' (or 'none') for it."
        )


def _validation(spec: str, dataset, y_reduced: np.ndarray, seed: int):
    """(x_val, y_val, source, training rows) for the validation setting `spec`."""
    kind, fraction = parse_validation(spec)
    everything = np.arange(len(y_reduced))
    if kind == "auto":
        kind = "none" if dataset.validation_split is None else "dataset"
    if kind == "none":
        return None, None, "none", everything
    if kind == "dataset":
        _check_validation_split(dataset)
        return dataset.x_val, dataset.y_val, dataset.validation_split, everything
    held = hold_out_labeled(y_reduced, fraction, seed)
    if len(held) == 0:
        raise ValueError(
            f"validation={spec!r} holds out nothing: no class has two labeled "
            "images. Use validation='none'."
        )
    keep = np.setdiff1d(everything, held)
    return dataset.x_train[held], y_reduced[held], f"labeled:{fraction}", keep


def _calibration(probabilities: dict, dataset, y_val, proba_val) -> dict:
    """ECE, MCE and NLL on the test split before and after temperature scaling: the temperature
    is fitted on the validation data where there is some, else cross-fitted on the test split."""
    from semisup.evaluation import calibration_report, cross_fitted_calibration

    proba_test = probabilities[dataset.test_split]
    if proba_val is not None and len(proba_val):
        return calibration_report(proba_val, y_val, proba_test, dataset.y_test)
    return cross_fitted_calibration(proba_test, dataset.y_test)


def _unlabeled_sample(dataset, split, size: int | None, seed: int):
    """`(images, hidden labels)` of `size` images of the split's unlabeled pool, drawn at random
    (the same for every strategy of a seed; all of them when the pool is smaller), for the
    monitor; None when `size` is None or the pool is empty. Drawn before any filter runs."""
    from semisup.data._validation import images_to_float

    pool = np.asarray(split.unlabeled)
    if size is None or len(pool) == 0:
        return None
    if len(pool) > size:
        # a stream of its own, so that the sample never depends on anything else drawn
        pool = np.sort(np.random.default_rng([seed, 0x6D6F6E]).choice(pool, size, replace=False))
    images = images_to_float(dataset.x_train[pool], name="unlabeled images")
    return images, dataset.y_train[pool]


def run_cell(cell: dict, config: BenchConfig, dataset, run_dir: Path, verbose: int = 0) -> dict:
    """Fit one cell's strategy and return its result row (SCHEMA.md)."""
    from semisup import filters
    from semisup.provenance import provenance

    split, split_file, split_digest = _make_split(dataset, cell["budget"], cell["seed"], run_dir)
    y_reduced = split.apply(dataset.y_train)
    x_val, y_val, validation_source, train_rows = _validation(
        config.validation_for(cell["dataset"]), dataset, y_reduced, cell["seed"]
    )
    filter_name, nu = parse_filter(cell["filter"])
    unlabeled_filter = None
    if filter_name != "none":
        unlabeled_filter = filters.get(filter_name)(nu=nu, **config.filter_params)
    strategy = strategy_class(cell["strategy"])(
        encoder=cell["encoder"],
        unlabeled_filter=unlabeled_filter,
        random_state=cell["seed"],
        verbose=verbose,
    )
    strategy.set_params(**config.strategy_params(cell["strategy"]))
    monitor = None
    if config.monitor_every is not None:
        from semisup.bench.monitor import AccuracyMonitor
        from semisup.data._validation import images_to_float

        monitor = AccuracyMonitor(
            images_to_float(dataset.x_test, name="test images"),
            dataset.y_test,
            config.monitor_every,
            strategy=strategy,
            batch_size=strategy.prediction_batch_size,
            unlabeled=_unlabeled_sample(dataset, split, config.monitor_unlabeled, cell["seed"]),
        )
    time_limit = None
    if config.time_limit_s is not None:
        time_limit = time_limit_callback(
            config.time_limit_s,
            excluded=None if monitor is None else (lambda: monitor.seconds_spent),
            # a resumed cell's limit counts what the killed process trained (when logged)
            credited=lambda: getattr(strategy, "resumed_seconds_", 0.0),
        )
    added = [callback for callback in (time_limit, monitor) if callback is not None]
    if added:
        strategy.set_params(callbacks=[*(strategy.callbacks or []), *added])
    checkpoint_dir = cell_checkpoint_dir(run_dir, cell["cell_id"])
    strategy.enable_checkpoints(checkpoint_dir, every_s=config.checkpoint_every_s)

    x_fit, y_fit = dataset.x_train, y_reduced
    if len(train_rows) < len(y_reduced):
        x_fit, y_fit = dataset.x_train[train_rows], y_reduced[train_rows]
    started = time.perf_counter()
    if monitor is not None:
        monitor.start(started)  # the curve's seconds and fit_seconds share one clock
    strategy.fit(x_fit, y_fit, validation_data=None if x_val is None else (x_val, y_val))
    seconds = time.perf_counter() - started
    if monitor is not None:
        seconds -= monitor.seconds_spent  # evaluating the curve is not training
    # A cell resumed after a kill: its time counts the epochs the killed process ran too (their
    # logged wall time; that process's compilation and evaluation are not in it). None: the
    # checkpoint's epochs have no logged times, so this process's time is all that is known.
    resumed_seconds = getattr(strategy, "resumed_seconds_", 0.0)
    if resumed_seconds:
        seconds += resumed_seconds
        for curve in (monitor.curve, monitor.unlabeled_curve) if monitor is not None else ():
            for point in curve or ():
                point["seconds"] = round(point["seconds"] + resumed_seconds, 3)

    # every split but the training one, predicted once
    probabilities = {
        name: _full_proba(strategy, split.x, dataset.n_classes)
        for name, split in dataset.splits.items()
        if name != dataset.train_split
    }
    metrics, matrix = _evaluate(probabilities[dataset.test_split], dataset.y_test)
    extra = {}
    for name, split_names in EXTRA_EVALUATIONS.get(dataset.name, {}).items():
        proba = np.concatenate([probabilities[s] for s in split_names])
        y = np.concatenate([dataset.splits[s].y for s in split_names])
        extra[name] = _evaluate(proba, y)[0]
    for entry in config.test_time_augmentation or ():
        proba = _full_proba(strategy, dataset.x_test, dataset.n_classes, entry)
        extra[tta_evaluation_name(dataset.test_split, entry)] = _evaluate(proba, dataset.y_test)[0]
    predictions_file = _save_predictions(run_dir, cell, probabilities, dataset)
    if validation_source.startswith("labeled"):
        proba_val = _full_proba(strategy, x_val, dataset.n_classes)
    else:
        proba_val = probabilities.get(dataset.validation_split)
        y_val = dataset.y_val
    calibration = _calibration(probabilities, dataset, y_val, proba_val)

    rounds, precision = None, None
    if hasattr(strategy, "rounds_"):
        truth = dataset.y_train[split.unlabeled]
        if strategy.unlabeled_kept_ is not None:
            truth = truth[strategy.unlabeled_kept_]
        rounds = []
        for record, labels in zip(strategy.rounds_, strategy.pseudo_labels_per_round_):
            used = labels >= 0
            correct = labels[used] == truth[used]
            rounds.append({**record, "precision": float(correct.mean()) if used.any() else None})
        used = strategy.pseudo_labels_ >= 0
        if used.any():
            precision = float((strategy.pseudo_labels_[used] == truth[used]).mean())

    n_unlabeled = len(split.unlabeled)
    row = {
        **{k: cell[k] for k in ("cell_id", "dataset", "strategy", "filter", "budget", "seed")},
        "encoder": cell["encoder"],
        "nu": nu,
        "test_split": dataset.test_split,
        "class_names": list(dataset.class_names),
        "n_labeled": int(strategy.n_labeled_),
        "n_unlabeled": n_unlabeled,
        "n_unlabeled_removed": int(strategy.n_unlabeled_removed_),
        "fraction_removed": strategy.n_unlabeled_removed_ / n_unlabeled if n_unlabeled else 0.0,
        "params": _json_ready(strategy.get_params(deep=False)),
        "filter_params": (
            _json_ready(strategy.unlabeled_filter_.get_params(deep=False))
            if strategy.unlabeled_filter_ is not None
            else None
        ),
        "metrics": metrics,
        "calibration": calibration,
        "validation": validation_source,
        "n_validation": 0 if x_val is None else len(x_val),
        "extra_evaluations": extra,
        "test_time_augmentation": _tta_setting(config),
        "confusion_matrix": matrix.tolist(),
        "history": strategy.history_,
        "rounds": rounds,
        "pseudo_label_precision": precision,
        "collapse_report": getattr(strategy, "collapse_report_", None),
        "fit_seconds": round(seconds, 3),
        "time_limit_s": config.time_limit_s,
        "stopped_by_time_limit": bool(time_limit is not None and time_limit.stopped),
        "monitor_every": config.monitor_every,
        "test_curve": None if monitor is None else monitor.curve,
        "monitor_unlabeled": config.monitor_unlabeled,
        "unlabeled_curve": (
            None if monitor is None or monitor.unlabeled is None else monitor.unlabeled_curve
        ),
        "monitor_seconds": None if monitor is None else round(monitor.seconds_spent, 3),
        "training_length": _plain(getattr(strategy, "training_length_", None)),
        "best_epoch": _plain(getattr(strategy, "best_epoch_", None)),
        "images_seen": int(strategy.images_seen_),
        # images_seen_ counts a resumed cell's earlier epochs, so its time must count them too
        "images_per_second": (
            round(strategy.images_seen_ / seconds, 1)
            if seconds and resumed_seconds is not None
            else None
        ),
        "resumed_seconds": None if resumed_seconds is None else round(resumed_seconds, 3),
        "jit_compiled": strategy.jit_compiled_,
        "resumed_from_epoch": strategy.resumed_from_epoch_,
        "split_file": split_file,
        "split_sha256": split_digest,
        "predictions_file": predictions_file,
        "provenance": provenance(),
    }
    row["params"].pop("unlabeled_filter", None)
    row["params"].pop("callbacks", None)
    shutil.rmtree(checkpoint_dir, ignore_errors=True)
    return row


def cell_checkpoint_dir(run_dir, cell_id: str) -> Path:
    """Where a cell's training state is saved while it trains (removed once it is finished)."""
    return Path(run_dir) / "checkpoints" / hashlib.sha1(cell_id.encode()).hexdigest()


def saved_epochs(checkpoint_dir) -> list[tuple[str, int | None]]:
    """The phases a cell's checkpoint folder holds, in the order they were saved, each with the
    number of epochs it has done (None where its `training_metadata.json` cannot be read): what
    a run resumes. Empty where there is no such folder.

    Example:
        >>> saved_epochs("runs/nowhere/checkpoints/0")
        []
    """
    phases = []
    directory = Path(checkpoint_dir)
    if not directory.is_dir():
        return phases
    for phase in directory.iterdir():
        metadata = phase / "training_metadata.json"
        if not metadata.is_file():
            continue
        try:
            epoch = json.loads(metadata.read_text())["epoch"]
            epoch = epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else None
        except (OSError, ValueError, KeyError, TypeError):
            epoch = None
        phases.append((metadata.stat().st_mtime, phase.name, epoch))
    return [(name, epoch) for _, name, epoch in sorted(phases)]


def predictions_file(cell_id: str) -> str:
    """Where a run folder keeps a cell's predictions: `predictions/<16 hex digits of the SHA-1 of
    its cell_id>.npz`, relative to the folder."""
    return f"predictions/{hashlib.sha1(cell_id.encode()).hexdigest()[:16]}.npz"


def _save_predictions(run_dir: Path, cell: dict, probabilities: dict, dataset) -> str:
    """Write `predictions/<cell>.npz`: per split `proba_<split>` (float16) and `y_<split>`."""
    path = run_dir / predictions_file(cell["cell_id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {"cell_id": np.array(cell["cell_id"])}
    for split_name, proba in probabilities.items():
        arrays[f"proba_{split_name}"] = proba.astype(np.float16)
        arrays[f"y_{split_name}"] = dataset.splits[split_name].y.astype(np.int16)
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    return str(path.relative_to(run_dir))


def _claim(run_dir: Path, cell: dict) -> bool:
    """Take `cell` for this worker process; False when another worker already has it."""
    claims = run_dir / "claims"
    claims.mkdir(exist_ok=True)
    name = hashlib.sha1(cell["cell_id"].encode()).hexdigest()
    try:
        os.close(os.open(claims / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def is_out_of_memory(error: BaseException) -> bool:
    """Whether `error` (or an error it was raised from) says a device or the host ran out of
    memory: JAX's and XLA's RESOURCE_EXHAUSTED, TensorFlow's ResourceExhaustedError, PyTorch's
    OutOfMemoryError, Python's MemoryError."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        text = str(error)
        if (
            isinstance(error, MemoryError)
            or type(error).__name__ in ("ResourceExhaustedError", "OutOfMemoryError")
            or "RESOURCE_EXHAUSTED" in text
            or "out of memory" in text.lower().replace("_", " ")  # also CUDA_ERROR_OUT_OF_MEMORY
        ):
            return True
        error = error.__cause__ or error.__context__
    return False


def _defer(run_dir: Path, cell: dict, error: BaseException, prefix: str) -> None:
    """Note that `cell` ran out of memory beside the other workers: the run trains it alone
    once they finish (`run`). Its claim stays, so no other worker takes it meanwhile."""
    deferred = run_dir / DEFERRED_FOLDER
    deferred.mkdir(exist_ok=True)
    name = hashlib.sha1(cell["cell_id"].encode()).hexdigest()
    reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
    with atomic_path(deferred / name) as temporary:
        temporary.write_text(json.dumps({"cell_id": cell["cell_id"], "error": reason}) + "\n")
    print(
        f"{prefix}{cell['cell_id']}: out of memory beside the other workers ({reason}). This "
        "worker stops, giving its memory back; the cell trains again, alone, once the others "
        "finish (from its checkpoint, where it saved one).",
        flush=True,
    )


def _deferred_cells(run_dir: Path) -> list[dict]:
    """The cells workers set aside for running out of memory (`_defer`), with their errors."""
    folder = run_dir / DEFERRED_FOLDER
    if not folder.is_dir():
        return []
    return [json.loads(path.read_text()) for path in sorted(folder.iterdir())]


def _run_cells(
    cells,
    config,
    run_dir: Path,
    verbose: int,
    claim: bool,
    prefix: str = "",
    defer_out_of_memory: bool = False,
):
    """Run `cells` one after another, appending each finished row; return the new rows.

    With `defer_out_of_memory` (a worker beside others), a cell that runs out of memory is set
    aside for the run to train alone later (`_defer`) and this worker takes no further cell.
    """
    from semisup._progress import progress_label  # imports keras: merge and report do not
    from semisup.data import load

    results = run_dir / RESULTS_FILE
    datasets, rows = {}, []
    bar = tqdm(cells, desc=f"bench{prefix}", unit="cell", disable=not verbose or claim)
    for cell in bar:
        if claim and not _claim(run_dir, cell):
            continue
        bar.set_postfix_str(cell["cell_id"])
        if cell["dataset"] not in datasets:
            datasets[cell["dataset"]] = load(
                cell["dataset"], data_dir=config.data_dir, progress=bool(verbose)
            )
        # a worker's strategy bars share the log with the other workers': name the cell
        try:
            with progress_label(f"{prefix}{cell['cell_id']} " if claim else ""):
                row = run_cell(
                    cell, config, datasets[cell["dataset"]], run_dir, verbose=max(verbose - 1, 0)
                )
        except Exception as error:
            if not (defer_out_of_memory and is_out_of_memory(error)):
                raise
            _defer(run_dir, cell, error, prefix)
            break
        append_row(results, row)
        rows.append(row)
        if verbose:
            bar.write(
                f"{prefix}{cell['cell_id']}: accuracy {row['metrics']['accuracy']:.4f}, macro-F1 "
                f"{row['metrics']['macro_f1']:.4f}, removed {row['n_unlabeled_removed']}, "
                f"{row['fit_seconds']:.1f} s, {row['images_per_second'] or 0:,.0f} images/s"
            )
    return rows


@dataclass
class GridPlan:
    """What `run(config, run_dir)` would do, from `plan`: nothing trained, nothing written.

    Attributes:
        config: the grid.
        run_dir: the run folder.
        cells: every cell of the grid, in run order (`expand_grid`).
        finished: ids of the cells already in `run_dir`'s results, which a run skips (none
            with `force`).
        params: per strategy spec, the parameters the grid gives it (preset, grid file,
            `--set`, the spec's own); the strategy's defaults fill the rest.
        estimates: per pending cell id, the mean `fit_seconds` of the finished cells (other
            seeds or filters) of its strategy, data set, budget and encoder, where there are
            any: what that cell will take on the machine those ran on. Where there are none,
            from the finished cells of the same strategy with every parameter the same but its
            training length (`steps` or `images`), scaled by the ratio of the lengths.
        scaled: the ids of the estimates scaled from other training lengths.
        respelled: {strategy as given: as the grid runs it}, for strategies that `run_dir`'s
            rows (or the grid, earlier) spell otherwise (`adopt_spellings`).
    """

    config: BenchConfig
    run_dir: Path
    cells: list[dict]
    finished: set[str]
    params: dict[str, dict]
    estimates: dict[str, float] = field(default_factory=dict)
    scaled: set[str] = field(default_factory=set)
    respelled: dict[str, str] = field(default_factory=dict)

    @property
    def pending(self) -> list[dict]:
        """The cells a run would train, in order."""
        return [cell for cell in self.cells if cell["cell_id"] not in self.finished]

    def lines(self) -> list[str]:
        """The plan as text: the counts, the cells to run, each strategy's parameters."""
        results = self.run_dir / RESULTS_FILE
        done = len(self.cells) - len(self.pending)
        lines = [
            f"dry run: {len(self.cells)} cells, {done} already finished in {results} "
            f"(skipped), {len(self.pending)} to run; nothing is trained or written",
        ]
        lines += [
            f"  strategy {old!r} runs as {new!r}: the same strategy and parameters, spelled as "
            f"{results} (or the grid, earlier) spells it"
            for old, new in self.respelled.items()
        ]
        for cell in self.pending:
            saved = saved_epochs(cell_checkpoint_dir(self.run_dir, cell["cell_id"]))
            resumes = ", ".join(
                f"{phase} {'at an unreadable epoch' if epoch is None else f'after epoch {epoch}'}"
                for phase, epoch in saved
            )
            lines.append(
                f"  to run: {cell['cell_id']}"
                + (f" (resumes its checkpoint: {resumes})" if saved else "")
            )
        if self.estimates:
            total = sum(self.estimates.values())
            scaled = (
                f" ({len(self.scaled)} scaled from runs of the strategy at other training lengths)"
                if self.scaled
                else ""
            )
            lines.append(
                f"estimated from the finished cells of the same strategy, data set, budget and "
                f"encoder: {len(self.estimates)} of the {len(self.pending)} cells{scaled}, "
                f"~{total:,.0f} s of fit time one after another"
            )
        lines.append("parameters the grid gives each strategy (the rest are its defaults):")
        for name, params in self.params.items():
            shown = ", ".join(f"{key}={json.dumps(value)}" for key, value in params.items())
            lines.append(f"  {name}: {shown or '(none)'}")
        limit, every = self.config.time_limit_s, self.config.monitor_every
        lines.append(
            f"each cell: time limit {'none' if limit is None else f'{limit:g} s'}, "
            + (f"test accuracy every {every} epoch(s), " if every else "test accuracy at the end, ")
            + f"data from {self.config.data_dir or 'the default data folder'}"
        )
        return lines


def plan(config: BenchConfig, run_dir, force: bool = False) -> GridPlan:
    """What `run(config, run_dir, force=force)` would train, without training or writing.

    Checks what a run checks before its first cell (the grid, and that no finished cell of
    `run_dir` ran with other settings than this grid gives it), so a grid can be checked
    before it takes a GPU session. The data sets are not loaded.

    Raises:
        ValueError: as `run` would (an invalid grid; a finished cell with other settings).

    Example:
        >>> from semisup.bench import BenchConfig
        >>> grid = plan(BenchConfig.from_sources(preset="demo"), "runs/nowhere")
        >>> len(grid.cells), len(grid.pending), grid.params["self_training"]["rounds"]
        (9, 9, 1)
    """
    config.validate()
    run_dir = Path(run_dir)
    results = run_dir / RESULTS_FILE
    rows = [] if force else read_results(results, repair=False)
    config, respelled = adopt_spellings(config, rows)
    cells = expand_grid(config)
    _check_finished_settings(config, cells, rows, results)
    params = {
        strategy: _json_ready(config.strategy_params(strategy)) for strategy in config.strategies
    }
    finished = {str(row["cell_id"]) for row in rows}
    times: dict[tuple, list[float]] = {}
    for row in rows:
        if isinstance(row.get("fit_seconds"), (int, float)):
            key = tuple(str(row.get(name)) for name in _ESTIMATE_KEYS)
            times.setdefault(key, []).append(float(row["fit_seconds"]))
    estimates, scaled = {}, set()
    for cell in cells:
        if cell["cell_id"] in finished:
            continue
        same = times.get(tuple(str(cell.get(name)) for name in _ESTIMATE_KEYS))
        if same:
            estimates[cell["cell_id"]] = sum(same) / len(same)
            continue
        longer = _scaled_times(config, cell, rows)
        if longer:
            estimates[cell["cell_id"]] = sum(longer) / len(longer)
            scaled.add(cell["cell_id"])
    return GridPlan(config, run_dir, cells, finished, params, estimates, scaled, respelled)


# What makes a finished cell's fit time an estimate of a pending one's: all but the seed and
# the filter.
_ESTIMATE_KEYS = ("dataset", "strategy", "budget", "encoder")
# parameters that may differ between a finished cell and a pending one whose fit time it
# estimates scaled by training length (the length itself; the epochs it is cut into; the seed)
_LENGTH_FREE = {"steps", "images", "epochs", "random_state", "verbose", "callbacks"}


def _scaled_times(config: BenchConfig, cell: dict, rows: list[dict]) -> list[float]:
    """Fit times of finished cells that trained `cell`'s strategy with every parameter the same
    but its length (`steps` or `images`, the same one), each scaled to `cell`'s length."""
    strategy = strategy_class(cell["strategy"])(encoder=cell["encoder"])
    strategy.set_params(**config.strategy_params(cell["strategy"]))
    wanted = _json_ready(strategy.get_params(deep=False))
    unit = "steps" if wanted.get("steps") is not None else "images"
    length = wanted.get(unit)
    if not isinstance(length, (int, float)) or length <= 0:
        return []  # a strategy trained by epochs, or one without a length
    name = parse_strategy(cell["strategy"])[0]
    times = []
    for row in rows:
        recorded = row.get("training_length") or {}
        if (
            any(str(row.get(key)) != str(cell.get(key)) for key in ("dataset", "budget", "encoder"))
            or parse_strategy(str(row.get("strategy")))[0] != name
            or recorded.get("unit") != unit
            or not isinstance(recorded.get("value"), (int, float))
            or recorded["value"] <= 0
            or not isinstance(row.get("fit_seconds"), (int, float))
        ):
            continue
        others = row.get("params") or {}
        # a parameter the row does not record came after it, its default keeping the behaviour
        if all(
            key not in others or others[key] == value
            for key, value in wanted.items()
            if key not in _LENGTH_FREE and key != "unlabeled_filter"
        ):
            times.append(float(row["fit_seconds"]) * length / recorded["value"])
    return times


def run(
    config: BenchConfig,
    run_dir,
    force: bool = False,
    verbose: int = 1,
    report: bool = True,
    jobs: int = 1,
    compilation_cache: bool | str | os.PathLike | None = True,
) -> list[dict]:
    """Run every unfinished cell of `config` into `run_dir`; return all rows of the run folder.

    Args:
        config: the grid (validated here, before any training).
        run_dir: the run folder (created if needed).
        force: start over: the existing results file is kept as `results.jsonl.replaced-<time>`
            and every cell runs again.
        verbose: 0 silent; 1 a progress bar over cells and a summary line per cell; 2 also a
            progress bar per training phase.
        report: write `report.md` and its plots at the end.
        jobs: worker processes that take cells from the grid in turn. The seed's small networks
            and batches leave most of a large GPU idle, so several processes sharing it finish
            a grid several times sooner (under JAX each then allocates GPU memory as needed).
            A cell that runs out of memory beside the others is set aside and its worker stops
            (giving its memory back); when the workers finish, the cells left train one at a
            time in one worker, so a cell too large to share the GPU still runs.
        compilation_cache: under JAX, keep the programs XLA compiles in a folder that every
            cell, worker and later run reads before compiling (JAX's persistent compilation
            cache), so that a program compiles once: self-training's later rounds, the other
            seeds of a strategy and a resumed cell find theirs there. True: the folder JAX is
            already given (`$JAX_COMPILATION_CACHE_DIR`), else `jax-compilation` in the data
            cache folder (`semisup.data.default_cache_dir()`); a path: that folder; False or
            None: set none (a folder JAX is given otherwise still serves). It stays on for the
            rest of the process.
            No effect under the other backends. Rows record the folder in
            `provenance.compilation_cache`: their fit times leave out compilation the cache
            spared.
    """
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}.")
    config.validate()
    from semisup.data import load

    for name in config.datasets:  # before any training, not at the first cell of `name`
        if config.validation_for(name) == "dataset":
            _check_validation_split(load(name, data_dir=config.data_dir))
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    results = run_dir / RESULTS_FILE
    if force and results.exists():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        results.rename(results.with_name(f"{RESULTS_FILE}.replaced-{stamp}"))
        shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)
        shutil.rmtree(run_dir / "splits", ignore_errors=True)
    rows = read_results(results)  # sets a torn last line aside before the plan reads the rows
    grid = plan(config, run_dir)  # what --dry-run prints is what runs
    config = grid.config  # spelled as the folder's rows spell its strategies (adopt_spellings)
    with atomic_path(run_dir / "config.json") as temporary:
        temporary.write_text(json.dumps(config.to_dict(), indent=2) + "\n")
    pending = grid.pending
    if verbose:
        for old, new in grid.respelled.items():
            print(f"strategy {old!r} runs as {new!r}, the same strategy and parameters", flush=True)
        print(
            f"{len(grid.cells)} cells, {len(grid.cells) - len(pending)} already finished in "
            f"{results}",
            flush=True,
        )
    # claims (and cells set aside) of an earlier, killed run would block their cells
    shutil.rmtree(run_dir / "claims", ignore_errors=True)
    shutil.rmtree(run_dir / DEFERRED_FOLDER, ignore_errors=True)
    cache_dir = use_compilation_cache(compilation_cache)
    if jobs == 1 or len(pending) <= 1:
        rows += _run_cells(pending, config, run_dir, verbose, claim=False)
    else:
        _run_workers(run_dir, min(jobs, len(pending)), verbose, cache_dir, defer=True)
        deferred = _deferred_cells(run_dir)
        if deferred:
            # the memory a cell lacked beside the others may be there when it runs alone
            print(
                f"{len(deferred)} cell(s) ran out of memory beside the other workers: "
                + "; ".join(f"{entry['cell_id']} ({entry['error']})" for entry in deferred)
                + ". Training the cells left one at a time, in one worker.",
                flush=True,
            )
            shutil.rmtree(run_dir / "claims", ignore_errors=True)
            _run_workers(run_dir, 1, verbose, cache_dir, defer=False)
            shutil.rmtree(run_dir / DEFERRED_FOLDER, ignore_errors=True)
        rows = read_results(results)
    shutil.rmtree(run_dir / "claims", ignore_errors=True)
    if report and rows:
        from semisup.bench.report import write_report

        path = write_report(run_dir)
        if verbose:
            print(f"report: {path}", flush=True)
    return rows


def _unaffected_by_limit(row: dict, limit: float | None) -> bool:
    """Whether a finished cell would have trained the same under the time limit `limit`: its
    own limit did not stop it, and its whole fit took less than `limit` (or there is none), so
    `limit` would not have stopped it either."""
    seconds = row.get("fit_seconds")
    return (
        row.get("stopped_by_time_limit") is False
        and isinstance(seconds, (int, float))
        and (limit is None or seconds < limit)
    )


def _check_finished_settings(config: BenchConfig, cells: list, rows: list, results: Path) -> None:
    """Refuse to skip a finished cell that this grid would run with other settings.

    A cell's key holds its data set, strategy spec, filter, budget, seed and encoder, not the
    values given by `params` (`--set`) or `time_limit_s`: without this check a re-run with
    `--set steps=40` into a folder where the cell finished with `steps=20` would skip it as done
    and report the old numbers as if they were the new ones. Another time limit is no change
    for a cell that no limit stopped and that finished within the new one.
    """
    by_id = {row["cell_id"]: row for row in rows}
    for cell in cells:
        row = by_id.get(cell["cell_id"])
        if row is None:
            continue
        wanted = _json_ready(config.strategy_params(cell["strategy"]))
        stored = row.get("params") or {}
        changed = [
            f"{key}={stored[key]!r} there, {value!r} now"
            for key, value in wanted.items()
            if key in stored and stored[key] != value
        ]
        if (
            "time_limit_s" in row
            and row["time_limit_s"] != config.time_limit_s
            and not _unaffected_by_limit(row, config.time_limit_s)
        ):
            changed.append(
                f"time_limit_s={row['time_limit_s']!r} there, {config.time_limit_s!r} now"
            )
        # rows written before the option existed were scored without it
        tta_there, tta_now = row.get("test_time_augmentation"), _tta_setting(config)
        if tta_there != tta_now:
            changed.append(f"test_time_augmentation={tta_there!r} there, {tta_now!r} now")
        if changed:
            variant = ""
            if not changed[0].startswith(("time_limit_s=", "test_time_augmentation=")):
                name, parameter = parse_strategy(cell["strategy"])[0], changed[0].split("=")[0]
                variant = f"name the variant in the strategy, e.g. '{name}[{parameter}=...]', "
                variant += "which makes it a cell of its own; or "
            raise ValueError(
                f"Cell {cell['cell_id']!r} finished in {results} with other settings than this "
                f"grid gives it ({'; '.join(changed)}). A cell's key does not hold these "
                "values, so it would be skipped as finished and its old numbers reported as "
                f"new. Use another --run-dir; or {variant}--force to run the grid again (the "
                "old results are kept beside it)."
            )


def use_compilation_cache(setting: bool | str | os.PathLike | None) -> str | None:
    """Turn on JAX's persistent compilation cache as `run(compilation_cache=setting)` says;
    return its folder, or None where no cache is in use (another backend, or False/None and
    no folder given to JAX)."""
    if not (setting is None or isinstance(setting, (bool, str, os.PathLike))):
        raise ValueError(
            "compilation_cache must be True (the default folder), False or None (off), or a "
            f"folder, got {setting!r}."
        )
    import keras

    if keras.backend.backend() != "jax":
        return None
    import jax

    from semisup.provenance import compilation_cache_folder

    configured = compilation_cache_folder()
    if setting is None or setting is False:
        return configured
    if setting is True:
        if configured:
            return configured
        from semisup.data import default_cache_dir

        folder = default_cache_dir() / COMPILATION_CACHE_FOLDER
    else:
        folder = Path(setting).expanduser()
        if configured and Path(configured).expanduser().resolve() != folder.resolve():
            # JAX opens its cache once per process: the new folder would reach the workers
            # alone, and the rows would name a folder this process does not use
            raise ValueError(
                f"JAX already keeps its compiled programs in {configured!r} "
                "($JAX_COMPILATION_CACHE_DIR or jax.config), and a process has one cache "
                f"folder, not {str(folder)!r} as well. Use that one (compilation_cache=True, "
                "or no --compilation-cache), or unset it before the process starts."
            )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(
            f"Cannot create the compilation cache folder {str(folder)!r} ({error}). Give "
            "another folder, or turn the cache off (--compilation-cache off)."
        ) from error
    jax.config.update("jax_compilation_cache_dir", str(folder))
    return str(folder)


def _run_workers(
    run_dir: Path, jobs: int, verbose: int, cache_dir: str | None = None, defer: bool = False
) -> None:
    """Run `jobs` worker processes over `run_dir`'s unfinished cells and wait for them; with
    `defer`, a worker's cell that runs out of memory is set aside (`_defer`) and not an error."""
    import subprocess
    import sys

    environment = dict(os.environ)
    if cache_dir:  # each worker's JAX reads it at import
        environment["JAX_COMPILATION_CACHE_DIR"] = cache_dir
    # one process must not take most of the GPU's memory up front (JAX's default)
    environment.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # a module of its own, which the package does not import: `-m semisup.bench.runner` would
    # load this module twice (once as semisup.bench.runner through the package, once as
    # __main__), which runpy warns of in every worker
    command = [sys.executable, "-m", "semisup.bench._worker", str(run_dir), str(verbose)]
    flags = ["defer"] if defer else []
    workers = [
        subprocess.Popen([*command, str(index), *flags], env=environment) for index in range(jobs)
    ]
    failed = [index for index, worker in enumerate(workers) if worker.wait() != 0]
    if failed:
        raise RuntimeError(
            f"benchmark worker(s) {failed} failed (their errors are printed above); finished "
            f"cells are kept in {run_dir / RESULTS_FILE} and a re-run resumes the rest."
        )


def worker_main(arguments: list[str]) -> int:
    """A worker of `run(jobs=N)`: take unclaimed, unfinished cells until none is left.

    Run as `python -m semisup.bench._worker RUN_DIR VERBOSE INDEX [defer]`; with `defer`, a cell
    that runs out of memory is set aside for the run to train alone (`_defer`) and the worker
    stops.
    """
    run_dir, verbose, index = Path(arguments[0]), int(arguments[1]), arguments[2]
    defer = arguments[3:] == ["defer"]
    config = BenchConfig(**json.loads((run_dir / "config.json").read_text()))
    finished = {row["cell_id"] for row in read_results(run_dir / RESULTS_FILE, repair=False)}
    cells = [cell for cell in expand_grid(config) if cell["cell_id"] not in finished]
    _run_cells(
        cells,
        config,
        run_dir,
        verbose,
        claim=True,
        prefix=f"[worker {index}] ",
        defer_out_of_memory=defer,
    )
    return 0
