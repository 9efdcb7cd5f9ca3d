"""Keep the checkpoints of unfinished cells in the repository, for a later session to resume them.

Only what is committed on `main` reaches the next session's checkout: the files a device call
brought back (`/work/.device/N`) and any copy of them outside the repository are gone by then.
For a cell that cannot finish inside one session's device time, keep the last call's
`checkpoints.tgz.partNN` (device_follow.sh's) in the run's results folder and commit them:

    python benchmarks/keep_checkpoints.py /work/.device/6 \
        --into benchmarks/results/seed-preset-encoders-fer2013-partial/device/resume

The parts are joined and the archive read to its end first, so that a missing or torn part is
an error here and not on the next machine; then they are copied, and README.md beside them
records where they came from, each part's SHA-256, and each cell's saved phases with the epochs
they hold (the phase names tell the strategy: `autoencoder` then `classifier` the two-step
autoencoder, `pretrain` then `classifier` the contrastive one, `joint` the one-step, `round0`,
`round1`, ... self-training, `classifier` alone the supervised fit; `semisup bench ...
--dry-run` on the unpacked run folder names the cells).

A device call carries the whole working tree within its 64 MiB, so the next session first moves
the parts out of it (`mv INTO /tmp/resume`; `git checkout -- INTO` puts them back), stages them
with the data (`stage_data.py DATA ... --runs /tmp/resume/checkpoints.tgz.part*`, a call or two
more) and runs the same grid command, which resumes the cells. Their removal (`git rm -r INTO`)
is committed only with what replaces them: the merged cells, or newer parts kept by this script.

Every part stays in the repository's history for good, so this is for cells that need it:
`--max-mib` (default 40) refuses more than that in one go.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

from semisup.bench.runner import saved_epochs
from semisup.data._cache import sha256_file

MIB = 1 << 20
ARCHIVE = "checkpoints.tgz"


def _stage_data():
    # stage_data.py's joining of NAME.partNN files, by path: this script runs as a file, not from
    # a package
    path = Path(__file__).resolve().with_name("stage_data.py")
    spec = importlib.util.spec_from_file_location("stage_data", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_cells(archive: Path, scratch: Path) -> list[tuple[str, str, list[tuple[str, int | None]]]]:
    """(run, cell folder, saved phases with their epochs) for every cell in a checkpoints archive,
    after reading the whole archive (a torn one raises `tarfile.TarError` or `EOFError`)."""
    with tarfile.open(archive, "r:gz") as tar:
        members = tar.getmembers()  # reads to the end: a truncated gzip stream raises here
        wanted = [m for m in members if m.isfile() and m.name.endswith("training_metadata.json")]
        tar.extractall(scratch, members=wanted, filter="data")
    cells = []
    for checkpoints in sorted(scratch.glob("**/checkpoints")):
        run = checkpoints.parent.relative_to(scratch).as_posix()
        for cell in sorted(p for p in checkpoints.iterdir() if p.is_dir()):
            cells.append((run, cell.name, saved_epochs(cell)))
    return cells


def _phases(phases: list[tuple[str, int | None]]) -> str:
    return ", ".join(f"{name} {'?' if epoch is None else epoch}" for name, epoch in phases)


def _readme(source: Path, into: Path, parts: list[Path], total: int, cells) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Checkpoints kept for a later session",
        "",
        f"The parts of `{ARCHIVE}` that `benchmarks/device_follow.sh` brought back in "
        f"`{source}`, kept on {now} by `benchmarks/keep_checkpoints.py`: {len(parts)} "
        f"part(s), {total / MIB:.1f} MiB.",
        "",
        "| part | bytes | SHA-256 |",
        "|---|---|---|",
    ]
    lines += [f"| {p.name} | {p.stat().st_size} | `{sha256_file(p)}` |" for p in parts]
    lines += ["", "| run | cell folder | phases saved (epochs done) |", "|---|---|---|"]
    for run, cell, phases in cells:
        lines.append(f"| {run} | `{cell}` | {_phases(phases) or 'none'} |")
    lines += [
        "",
        "To resume these cells, move the parts out of the working tree (a device call carries "
        "the whole tree within its 64 MiB), stage them with the data and run the same grid "
        'command again (benchmarks/README.md, "Carrying an unfinished cell to the next '
        'session"):',
        "",
        "```",
        f"mv {into.as_posix()} /tmp/resume    # git checkout -- {into.as_posix()} puts it back",
        "python benchmarks/stage_data.py DATA --data-dir ../shared/data --with .whl \\",
        f"  --runs /tmp/resume/{ARCHIVE}.part*",
        "```",
        "",
        f"Commit their removal (`git rm -r {into.as_posix()}`) only with what replaces them: "
        "the merged cells, or newer parts kept by `benchmarks/keep_checkpoints.py`.",
        "",
    ]
    return "\n".join(lines)


def keep(source: Path, into: Path, max_mib: float = 40.0) -> list:
    """Check the parts under `source`, copy them into `into` with a README.md; the cells found."""
    stage_data = _stage_data()
    # NAME.partNN as stage_data.py joins them (a stray checkpoints.tgz.part01.tmp is no part)
    parts = sorted(p for p in source.glob(f"{ARCHIVE}.part*") if stage_data._PART.match(p.name))
    if not parts:
        raise FileNotFoundError(
            f"no {ARCHIVE}.partNN under {source}: give the folder of the device call that brought "
            "them back (device_follow.sh packs them while cells are still training)"
        )
    if into.is_dir() and any(into.glob(f"{ARCHIVE}.part*")):
        raise FileExistsError(
            f"{into} already holds {ARCHIVE} parts: `git rm -r {into}` those first (once their "
            "cells are merged, or when these newer ones replace them)"
        )
    total = sum(part.stat().st_size for part in parts)
    if total > max_mib * MIB:
        raise ValueError(
            f"the parts weigh {total / MIB:.1f} MiB, more than --max-mib {max_mib:g}: every byte "
            "kept stays in the repository's history; raise --max-mib if these cells need it"
        )
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        (archive,) = stage_data.join_parts(parts, scratch)
        try:
            cells = read_cells(archive, scratch / "unpacked")
        except (tarfile.TarError, EOFError, OSError) as error:
            raise ValueError(
                f"the {len(parts)} part(s) under {source} do not make a whole {ARCHIVE} "
                f"({error}): a part is missing or torn; keep a later call's parts instead"
            ) from error
    if not cells:
        raise ValueError(f"{ARCHIVE} under {source} holds no cell's checkpoint folder")
    into.mkdir(parents=True, exist_ok=True)
    for part in parts:
        shutil.copy2(part, into / part.name)
    kept = [into / part.name for part in parts]
    (into / "README.md").write_text(_readme(source, into, kept, total, cells))
    return cells


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="the device call's folder (/work/.device/N)")
    parser.add_argument(
        "--into", type=Path, required=True, help="where to keep them: RESULTS/device/resume"
    )
    parser.add_argument(
        "--max-mib", type=float, default=40.0, help="refuse parts weighing more (default 40)"
    )
    args = parser.parse_args(argv)
    try:
        cells = keep(args.source, args.into, args.max_mib)
    except (OSError, ValueError) as error:
        print(f"keep_checkpoints: {error}", file=sys.stderr)
        return 2
    for run, cell, phases in cells:
        print(f"{run}/checkpoints/{cell}: {_phases(phases) or 'no phase saved'}")
    print(f"kept in {args.into}; commit it with the run's queue record")
    return 0


if __name__ == "__main__":
    sys.exit(main())
