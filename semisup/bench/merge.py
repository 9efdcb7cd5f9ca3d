"""Combine run folders of one grid, run separately (one seed per GPU session, say), into one.

    semisup bench merge runs/fixmatch runs/fixmatch-seed0 runs/fixmatch-seed1 runs/fixmatch-seed2
    semisup bench report runs/fixmatch

The merged folder is a run folder like any other (see `runner.py`): its `results.jsonl` holds the
rows of every input, and the files those rows name (`predictions_file`, `split_file`) are copied
beside it, so `semisup bench report` shows the seeds together (mean +- std over seeds). Transient
parts of an input (`claims/`, `checkpoints/`), earlier reports and set-aside results files are
not copied.

A cell (`cell_id`, the key that makes a re-run skip a cell) found in two inputs is kept once when
its rows are identical, and is an error naming the cell and both folders when they differ: which
one is right is the user's choice, never a silent one. The same holds for a file the rows name.
Nothing is written before every input has been checked, and nothing in the output folder is
deleted or overwritten, except `config.json` (the grid, rewritten by every run anyway).

Rows of grids that named one strategy alike but ran it differently (FixMatch's 10- and 20-minute
runs, both `fixmatch`) cannot share a folder under one name. `rename={"fixmatch":
"fixmatch[steps=100000]"}` (`--rename` on the command line) gives the rows taken from the input
folders a more specific name of the same strategy: every parameter the new name states must be
what the row's `params` recorded, so a name never claims what did not run. Such a row gets the
cell id of its new name, its predictions file moves to that id's file name, and it records
`renamed_from` (the old strategy name and cell id). Rows already in the output folder are never
renamed.

A strategy spelled two ways (`fixmatch[mu=1,steps=9]` on one command line, `fixmatch[mu=1,
steps=9]` on another: the same strategy and parameters) would otherwise be two strategies in the
report. A row taken from an input whose strategy parses to the same name and parameters as one
met before (the output folder's rows first, then the inputs in order) gets that first spelling,
as a rename would give it (new cell id and predictions file name, `renamed_from`), and the
summary says so.

Example:
    >>> from semisup.bench.merge import merge_runs
    >>> summary = merge_runs("runs/merged", ["runs/seed0", "runs/seed1"])  # doctest: +SKIP
    >>> print(summary.line())  # doctest: +SKIP
    merged 10 rows into runs/merged: 5 from runs/seed0, 5 from runs/seed1; 0 duplicates dropped
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from semisup._atomic import atomic_path
from semisup.bench.config import GRID_KEYS, parse_strategy, strategy_key
from semisup.bench.report import load_rows
from semisup.bench.runner import CELL_KEYS, RESULTS_FILE, cell_id, predictions_file, read_results

# Keys of a row that name a file of its run folder, relative to that folder.
ARTIFACT_KEYS = ("predictions_file", "split_file")
# Keys of config.json in which the merged runs may differ: the grid's dimensions (GRID_KEYS),
# whose union is the merged grid (a grid over the union: its cells that no input ran are what
# re-running the merged config.json in the merged folder would run)
_CONFIG_UNION_KEYS = GRID_KEYS
_CONFIG_UNION_KEY = "seeds"  # the one every grid has
# ...and the encoder (one name, or a list of them: the union, a list where there are several)
_CONFIG_ENCODER_KEY = "encoder"
# ...and one that only says where the data were on the machine that ran it.
_CONFIG_IGNORED_KEYS = ("data_dir",)


@dataclass
class MergeSummary:
    """What `merge_runs` did.

    Attributes:
        out_dir: the merged run folder.
        rows_from: per input folder (in the order given), the rows taken from it.
        already_there: rows the output folder held before (`force`), all kept.
        duplicates: rows identical to one already taken (from an earlier input), kept once.
        files_copied: files (predictions, splits) copied into the output folder.
        config_note: why `config.json` was not written, or None when it was.
        renamed: rows renamed (`rename`), per old strategy name.
        respelled: rows given the spelling met first of the same strategy and parameters, per
            spelling they had: {old spelling: (the spelling they got, rows)}.
    """

    out_dir: Path
    rows_from: dict[str, int] = field(default_factory=dict)
    already_there: int = 0
    duplicates: int = 0
    files_copied: int = 0
    config_note: str | None = None
    renamed: dict[str, int] = field(default_factory=dict)
    respelled: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return self.already_there + sum(self.rows_from.values())

    def line(self) -> str:
        """One line: the rows merged from each folder and the duplicates dropped."""
        parts = ", ".join(f"{count} from {folder}" for folder, count in self.rows_from.items())
        before = f" ({self.already_there} already there)" if self.already_there else ""
        renamed = "".join(
            f"; {_count(count, 'row')} of {old} renamed" for old, count in self.renamed.items()
        ) + "".join(
            f"; {_count(count, 'row')} of {old} respelled {new} (the same strategy and parameters)"
            for old, (new, count) in self.respelled.items()
        )
        return (
            f"merged {_count(self.n_rows, 'row')} into {self.out_dir}{before}: {parts}; "
            f"{_count(self.duplicates, 'identical duplicate')} dropped{renamed}"
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _check_run_folder(folder: Path) -> None:
    if not folder.exists():
        raise FileNotFoundError(f"{folder} does not exist: expected a run folder of semisup bench.")
    if not folder.is_dir():
        raise NotADirectoryError(
            f"{folder} is a file, not a run folder of semisup bench (a folder holding "
            f"{RESULTS_FILE})."
        )
    if not (folder / RESULTS_FILE).is_file():
        raise FileNotFoundError(
            f"{folder} is not a run folder: it has no {RESULTS_FILE} (the rows `semisup bench "
            "--run-dir` writes, one per finished cell)."
        )


def _differing_keys(first: dict, second: dict) -> str:
    keys = sorted(
        key
        for key in set(first) | set(second)
        if json.dumps(first.get(key), sort_keys=True) != json.dumps(second.get(key), sort_keys=True)
    )
    return ", ".join(keys[:6]) + (", ..." if len(keys) > 6 else "")


def _conflict(what: str, first: Path, second: Path, out_dir: Path, detail: str = "") -> ValueError:
    if out_dir.resolve() in (first.resolve(), second.resolve()):
        advice = (
            f"merge into a new folder instead, leaving out the one of {first} and {second} you "
            "do not want"
        )
    else:
        advice = f"leave {first} or {second} out of the command and merge again"
    return ValueError(
        f"{what} differs between {first} and {second}{detail}; the merge keeps only one of them "
        f"and will not choose: {advice}. Nothing was written."
    )


def _artifact_path(folder: Path, row: dict, key: str) -> str | None:
    name = row.get(key)
    if not name:
        return None
    relative = PurePosixPath(str(name))
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(
            f"{folder / RESULTS_FILE}: cell {row['cell_id']!r} names {key} {name!r}, which is "
            "not inside its run folder."
        )
    return str(relative)


def _same_file(first: Path, second: Path) -> bool:
    return filecmp.cmp(first, second, shallow=False)


def _checked_renames(rename) -> dict[str, tuple[str, dict]]:
    """`rename` (old strategy name -> new) checked: old -> (new, the parameters the new states)."""
    checked: dict[str, tuple[str, dict]] = {}
    for old, new in dict(rename or {}).items():
        for name in (old, new):
            if not isinstance(name, str) or not name or "|" in name:
                raise ValueError(
                    f"rename {old!r} -> {new!r}: a strategy name must be a non-empty string "
                    "without '|' (the separator of a cell id)."
                )
        old_base, _ = parse_strategy(old)
        new_base, new_params = parse_strategy(new)
        if new_base != old_base or not new_params or new == old:
            raise ValueError(
                f"rename {old!r} -> {new!r}: the new name must be a spec of the same strategy "
                f"that states the parameters setting these runs apart, "
                f"{old_base}[param=value, ...], e.g. {old_base}[steps=100000]; each must be "
                "what the rows' params recorded."
            )
        checked[old] = (new, new_params)
    return checked


def _same_value(recorded, stated) -> bool:
    numbers = (int, float)
    if (
        isinstance(recorded, numbers)
        and isinstance(stated, numbers)
        and not isinstance(recorded, bool)
        and not isinstance(stated, bool)
    ):
        return recorded == stated
    return json.dumps(recorded, sort_keys=True) == json.dumps(stated, sort_keys=True)


def _renamed_row(folder: Path, row: dict, old: str, new: str, stated: dict) -> dict:
    """The row under its new strategy name and cell id, after checking that the parameters the
    new name states are the ones the row recorded."""
    recorded = row.get("params") if isinstance(row.get("params"), dict) else {}
    wrong = [
        f"{key}={json.dumps(recorded[key]) if key in recorded else '(not recorded)'}"
        for key, value in stated.items()
        if key not in recorded or not _same_value(recorded[key], value)
    ]
    if wrong:
        raise ValueError(
            f"{folder / RESULTS_FILE}: cell {row['cell_id']!r} cannot be named {new!r}: its "
            f"params record {', '.join(wrong)}. A new name states only what ran. Nothing was "
            "written."
        )
    missing = [key for key in CELL_KEYS if key not in row]
    if missing:
        raise ValueError(
            f"{folder / RESULTS_FILE}: cell {row['cell_id']!r} lacks {', '.join(missing)}, so "
            "it cannot get a new cell id. Nothing was written."
        )
    renamed = dict(row, strategy=new)
    renamed["cell_id"] = cell_id(renamed)
    renamed["renamed_from"] = {"strategy": old, "cell_id": row["cell_id"]}
    if row.get("predictions_file"):
        renamed["predictions_file"] = predictions_file(renamed["cell_id"])
    return renamed


def _merged_config(folders: list[Path]) -> tuple[dict | None, str | None]:
    """The grid of the merged folder: the inputs' `config.json` with the union of each of their
    grid dimensions (data sets, strategies, filters, budgets, seeds) and of their encoders, or
    (None, why not) when one has none or they differ in anything else."""
    configs = []
    for folder in folders:
        path = folder / "config.json"
        try:
            config = json.loads(path.read_text())
        except (OSError, ValueError):
            return None, f"{path} is missing or unreadable"
        if not isinstance(config, dict) or not isinstance(config.get(_CONFIG_UNION_KEY), list):
            return None, f"{path} is not a grid of semisup bench"
        configs.append(config)
    merged = dict(configs[0])
    unions: dict[str, list] = {key: [] for key in _CONFIG_UNION_KEYS if key in merged}
    encoders: list = []
    ignored = (*_CONFIG_UNION_KEYS, _CONFIG_ENCODER_KEY, *_CONFIG_IGNORED_KEYS)
    for folder, config in zip(folders, configs):
        differing = sorted(
            key
            for key in set(config) | set(merged)
            if key not in ignored and config.get(key) != merged.get(key)
        )
        if differing:
            return None, (
                f"the grids of {folders[0]} and {folder} differ in {', '.join(differing)}, "
                "not only in their data sets, strategies, filters, budgets, seeds or encoders"
            )
        for key, union in unions.items():
            values = config.get(key)
            if not isinstance(values, list):
                return None, f"{folder / 'config.json'} has no list of {key}"
            union += [value for value in values if value not in union]
        encoder = config.get(_CONFIG_ENCODER_KEY)
        encoders += [
            name
            for name in (encoder if isinstance(encoder, list) else [encoder])
            if name not in encoders
        ]
    merged.update(unions)  # in the order the inputs first name them
    merged[_CONFIG_UNION_KEY] = sorted(
        unions[_CONFIG_UNION_KEY],
        key=lambda seed: (0, seed, "") if isinstance(seed, int) else (1, 0, str(seed)),
    )
    if _CONFIG_ENCODER_KEY in merged:
        merged[_CONFIG_ENCODER_KEY] = encoders[0] if len(encoders) == 1 else encoders
    return merged, None


def merge_runs(out_dir, run_dirs, force: bool = False, rename=None) -> MergeSummary:
    """Merge the run folders `run_dirs` of one grid into the run folder `out_dir`.

    Args:
        out_dir: the merged run folder (created if needed). It must not hold a `results.jsonl`
            yet, unless `force`.
        run_dirs: run folders written by `semisup bench` (each holding `results.jsonl`), e.g.
            one per seed. They are only read.
        force: `out_dir` may already be a run folder (an earlier merge, or one of the runs):
            its rows count as a first input and the new ones are appended; nothing there is
            deleted or overwritten.
        rename: {old strategy name: new name} for the rows taken from `run_dirs`, e.g.
            `{"fixmatch": "fixmatch[steps=100000]"}`: the new name is a spec of the same
            strategy whose every parameter must be what the row's `params` recorded. A renamed
            row gets its new name's cell id and predictions file name and records
            `renamed_from`; no `config.json` is written then (the rows are not one grid's).
            A row of an input whose strategy is another spelling of one met before (the same
            strategy and parameters) gets the first spelling the same way, with or without
            `rename`.

    Returns:
        A `MergeSummary` (`summary.line()` is the one-line account).

    Raises:
        FileNotFoundError, NotADirectoryError: an input is not a run folder (no results.jsonl).
        FileExistsError: `out_dir` holds a results.jsonl and `force` is False.
        ValueError: a cell (or a file its row names) differs between two inputs, naming both;
            a rename is not a spec of the same strategy, states a parameter a row did not
            record, or matches no row of `run_dirs`; or a results file is damaged (as
            `semisup.bench.report.load_rows`). Nothing is written then.

    Warns:
        UserWarning: an input has a cell in progress (`checkpoints/`, left out), or a row names
            a file its folder lacks. `ResultsFileWarning`: as `load_rows` (a torn last line is
            left out).
    """
    out_dir = Path(out_dir)
    folders = [Path(folder) for folder in run_dirs]
    renames = _checked_renames(rename)
    if not folders:
        raise ValueError("Nothing to merge: name at least one run folder.")
    for folder in folders:
        _check_run_folder(folder)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} is a file; the merged run folder must be a folder.")
    out_results = out_dir / RESULTS_FILE
    if out_results.exists():
        if not force:
            raise FileExistsError(
                f"{out_dir} already holds {RESULTS_FILE}. Merge into a new folder, or pass "
                "--force to add the runs to it (its rows are kept; nothing in it is deleted)."
            )
        read_results(out_results)  # a last line torn by a kill is set aside, as a run would
        folders.insert(0, out_dir)
    unique: dict[Path, Path] = {}
    for folder in folders:
        unique.setdefault(folder.resolve(), folder)
    folders = list(unique.values())
    out_key = out_dir.resolve()

    # ---- check everything before writing anything
    kept: dict[str, tuple[dict, str, Path]] = {}  # cell_id -> (row, canonical JSON, folder)
    holders: dict[str, list[Path]] = {}  # cell_id -> folders holding that very row
    # (cell_id of a renamed row, input folder) -> the predictions file it had there
    sources: dict[tuple[str, Path], str] = {}
    input_strategies: set[str] = set()
    spellings: dict[tuple[str, str], str] = {}  # what a strategy name means -> first spelling
    summary = MergeSummary(out_dir)
    for folder in folders:
        for transient in ("checkpoints", "claims"):
            path = folder / transient
            if folder.resolve() != out_key and path.is_dir() and any(path.iterdir()):
                warnings.warn(
                    f"{folder} has a cell in progress ({transient}/ is not empty): it was killed "
                    "or is still running; only its finished cells are merged.",
                    stacklevel=2,
                )
                break
        taken = 0
        for row in load_rows(folder):
            if folder.resolve() != out_key:
                input_strategies.add(str(row.get("strategy")))
                old = row.get("strategy")
                new, stated = renames.get(old, (old, {}))
                key = strategy_key(new)
                spelled = new if key is None else spellings.setdefault(key, new)
                if spelled != old:
                    source = _artifact_path(folder, row, "predictions_file")
                    row = _renamed_row(folder, row, old, spelled, stated)
                    if source is not None:
                        sources[row["cell_id"], folder] = source
                    if old in renames:
                        summary.renamed[old] = summary.renamed.get(old, 0) + 1
                    if spelled != new:
                        count = summary.respelled.get(new, (spelled, 0))[1]
                        summary.respelled[new] = (spelled, count + 1)
            elif (key := strategy_key(row.get("strategy"))) is not None:
                spellings.setdefault(key, row["strategy"])
            cell = str(row["cell_id"])
            canonical = json.dumps(row, sort_keys=True)
            if cell in kept:
                first_row, first_canonical, first_folder = kept[cell]
                if canonical != first_canonical:
                    raise _conflict(
                        f"cell {cell!r}",
                        first_folder,
                        folder,
                        out_dir,
                        f" (in {_differing_keys(first_row, row)})",
                    )
                summary.duplicates += 1
                holders[cell].append(folder)
                continue
            kept[cell] = (row, canonical, folder)
            holders[cell] = [folder]
            taken += 1
        if folder.resolve() == out_key:
            summary.already_there = taken
        else:
            summary.rows_from[str(folder)] = taken

    unmatched = [old for old in renames if old not in summary.renamed]
    if unmatched:
        raise ValueError(
            f"rename: no row of {', '.join(str(f) for f in folders if f.resolve() != out_key)} "
            f"has the strategy {', '.join(map(repr, unmatched))}; theirs are "
            f"{', '.join(sorted(input_strategies))}. Nothing was written."
        )

    copies: dict[str, tuple[Path, Path]] = {}  # relative path -> (file to copy, its folder)
    for cell, (row, _, _) in kept.items():
        for key in ARTIFACT_KEYS:
            name = _artifact_path(holders[cell][0], row, key)  # the same row in every holder
            if name is None:
                continue
            # a renamed row's predictions are copied from the file they were written to
            source_of = {
                folder: sources.get((cell, folder), name) if key == "predictions_file" else name
                for folder in holders[cell]
            }
            present = [folder for folder in holders[cell] if (folder / source_of[folder]).is_file()]
            if not present:
                warnings.warn(
                    f"{holders[cell][0]}: cell {cell!r} names {source_of[holders[cell][0]]}, "
                    "which is missing there; the merged folder lacks it too (the report leaves "
                    "out what needs it).",
                    stacklevel=2,
                )
            for folder in present:
                path = folder / source_of[folder]
                source, source_folder = copies.setdefault(name, (path, folder))
                if source_folder != folder and not _same_file(source, path):
                    raise _conflict(name, source_folder, folder, out_dir)
    for name, (source, folder) in list(copies.items()):
        target = out_dir / name
        if folder.resolve() == out_key:
            del copies[name]  # already there
        elif target.exists():
            if not target.is_file() or not _same_file(source, target):
                raise _conflict(name, out_dir, folder, out_dir)
            del copies[name]
    if summary.renamed:
        config, summary.config_note = (
            None,
            ("strategies were renamed (--rename): the merged rows are not the cells of one grid"),
        )
    elif summary.respelled:
        config, summary.config_note = (
            None,
            "strategies were respelled: the inputs' grids name them otherwise than the rows",
        )
    else:
        config, summary.config_note = _merged_config(folders)
    if config is None and (out_dir / "config.json").is_file():
        summary.config_note += (
            f"; {out_dir / 'config.json'} is left as it was, the grid of the rows it was "
            "written with, not of all the merged rows"
        )

    # ---- write: the files first, so a row never names a file that is not there yet
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, (source, _) in copies.items():
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as temporary:
            shutil.copy2(source, temporary)
    summary.files_copied = len(copies)
    if config is not None:
        text = json.dumps(config, indent=2) + "\n"
        with atomic_path(out_dir / "config.json") as temporary:
            temporary.write_text(text)
    new_rows = "".join(
        json.dumps(row) + "\n" for row, _, folder in kept.values() if folder.resolve() != out_key
    )
    if out_results.exists():
        with open(out_results, "a") as handle:  # appended, as the runner appends its rows
            handle.write(new_rows)
            handle.flush()
            os.fsync(handle.fileno())
    else:
        with atomic_path(out_results) as temporary:
            temporary.write_text(new_rows)
    return summary


__all__ = ["MergeSummary", "merge_runs"]
