"""Pack data sets for the lent GPU machine into folders that each fit one device call.

A device call carries at most 64 MiB: the working tree (the committed results make it ~37 MB)
plus the folders named in `carry`. So a data set's zips are split into parts and spread over
numbered folders `.stage1/`, `.stage2/`, ... of the checkout (ignored by git), each small enough
to travel beside the tree, and the calls that carry them are printed:

    python benchmarks/stage_data.py cifar10-jpeg --data-dir ../shared/data --with .whl

Each call but the last copies its parts to /root/stage on the machine; the last also joins the
parts into /root/data/<data set>/<file> and checks every file's SHA-256 against the original's
(`bash .stageN/restore.sh`), so a part lost between calls (the machine goes back ~30 s after a
call) is an error there, not a corrupt zip. Make the calls one right after another. `--with`
names folders the last call carries too (Keras's wheels): a path a call carried stays on the
machine for the calls after it, so the last call can start the runs.

`--runs` stages run folders brought back by `device_follow.sh` to resume them on a new machine:
its `runs.tgz` and the parts of its `checkpoints.tgz` (`checkpoints.tgz.part00`, ... given in
any order, joined in theirs); the last call unpacks them into /root/runs after the checks, and
the same `device_grid.sh` commands then resume the unfinished cells from their checkpoints:

    python benchmarks/stage_data.py cifar10-jpeg --data-dir ../shared/data --with .whl \
        --runs /work/.device/4/*.tgz*     # runs.tgz and the parts: every archive of the call

The parts of `compilation-cache.tgz` (JAX's compiled programs, where the call had room for them)
unpack into the grid's default compilation cache folder, /root/cache/jax-compilation, so that the
resumed cells read their programs instead of compiling them again (on a machine of the same kind;
another kind's programs are not read, and compile as before). It has to be the folder they came
from: under another path JAX reads none of them (its keys hold compile options that name it).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from semisup.data._cache import sha256_file

MIB = 1 << 20
# what a call may carry, the working tree included
CALL_LIMIT = 64 * MIB
# room left for the code's own changes between staging and the calls
DEFAULT_MARGIN = 2 * MIB
# where the scripts put the parts and the joined files on the machine (overridable for tests)
_ROOTS = (
    "stage=${STAGE_ROOT:-/root/stage}; data=${DATA_ROOT:-/root/data}; runs=${RUNS_ROOT:-/root/runs}"
    "; cache=${SEMISUP_CACHE_DIR:-/root/cache}/jax-compilation"
)
# device_follow.sh's archive of JAX's compilation cache folder, unpacked there instead of the runs
COMPILATION_CACHE_ARCHIVE = "compilation-cache.tgz"
_PART = re.compile(r"^(?P<stem>.+)\.part(?P<number>\d+)$")


def tree_bytes(repo: Path) -> int:
    """Bytes of the files a device call sends: tracked and untracked files git does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout
    total = 0
    for name in listed.decode().split("\0"):
        path = repo / name
        if name and path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total


def plan(files: list[tuple[str, Path]], room: int) -> list[list[tuple[str, Path, int, int]]]:
    """Spread the files' bytes over folders of at most `room` bytes each.

    Args:
        files: (name on the machine, e.g. "fer2013/train.zip", local path), in order.
        room: bytes one folder may hold.

    Returns:
        per folder, its pieces: (name, path, offset, length), a file's pieces in order.
    """
    folders: list[list[tuple[str, Path, int, int]]] = [[]]
    free = room
    for name, path in files:
        size, offset = path.stat().st_size, 0
        while True:
            if free == 0:
                folders.append([])
                free = room
            length = min(free, size - offset)
            folders[-1].append((name, path, offset, length))
            offset += length
            free -= length
            if offset >= size:
                break
    return folders


def stage(
    datasets: list[str],
    data_dir: Path,
    repo: Path,
    margin: int = DEFAULT_MARGIN,
    limit: int = CALL_LIMIT,
    last_call_extra: int = 0,
    runs: list[Path] = (),
) -> list[Path]:
    """Write the `.stageK/` folders into `repo` and return them (see the module's docstring).

    `last_call_extra`: bytes the last call carries besides its folder (the wheels, which it
    needs to start the runs; paths a call carried stay on the machine for the later calls).
    `runs`: tar archives of run folders (`device_follow.sh`'s), unpacked into /root/runs."""
    files = []
    for dataset in datasets:
        folder = data_dir / dataset
        if not folder.is_dir():
            raise FileNotFoundError(
                f"no data set {dataset!r} under {data_dir}: expected the folder {folder} "
                "(pass --data-dir, the folder that holds fer2013/ and cifar10-jpeg/)"
            )
        zips = sorted(folder.glob("*.zip"))
        if not zips:
            raise FileNotFoundError(f"{folder} holds no .zip file to stage")
        files += [(f"{dataset}/{path.name}", path) for path in zips]
    archives = []
    for path in runs:
        if not tarfile.is_tarfile(path):
            raise ValueError(
                f"{path} is not a tar archive: --runs takes device_follow.sh's runs.tgz and "
                "checkpoints.tgz (its parts joined, or all of them given)"
            )
        archives.append((f"runs/{path.name}", path))
    if not files and not archives:
        raise ValueError("nothing to stage: name a data set, or run archives with --runs")
    files += archives
    ignored = subprocess.run(["git", "check-ignore", "-q", ".stage1/"], cwd=repo).returncode == 0
    if not ignored:
        raise ValueError(
            f"git does not ignore .stage1/ in {repo}: the parts would travel with every call as "
            "part of the working tree; add the line /.stage*/ to .gitignore or .git/info/exclude"
        )
    for old in repo.glob(".stage[0-9]*"):
        shutil.rmtree(old)  # an earlier staging's folders would travel too, or mislead
    room = limit - tree_bytes(repo) - margin
    if room <= 0:
        raise ValueError(
            f"the working tree leaves no room in a call's {limit / MIB:.1f} MiB for data "
            "(it holds the tracked files and the untracked ones git does not ignore): remove "
            "large untracked files or ignore them, or lower --margin-mib"
        )
    folders = plan(files, room)
    if sum(piece[3] for piece in folders[-1]) + last_call_extra > room:
        folders.append([])  # the last call then carries the extra and joins the parts only
    staged = []
    for number, pieces in enumerate(folders, start=1):
        target = repo / f".stage{number}"
        target.mkdir()
        lines = ["set -euo pipefail", _ROOTS, 'mkdir -p "$stage"']
        if number == 1:  # parts of an earlier staging left on a warm machine would be joined in
            lines.insert(2, 'rm -rf "$stage"')
        for name, path, offset, length in pieces:
            part = f"{name.replace('/', '__')}.{offset:012d}"
            with open(path, "rb") as source, open(target / part, "wb") as sink:
                source.seek(offset)
                sink.write(source.read(length))
            lines.append(f'cp "$(dirname "$0")/{part}" "$stage/"')
        staged.append(target)
        (target / "copy.sh").write_text("\n".join(lines) + "\n")
    # the last folder joins the parts (in offset order: the names sort that way) and checks them
    restore = ["set -euo pipefail", _ROOTS, 'bash "$(dirname "$0")/copy.sh"']
    for name, path in files:
        flat = name.replace("/", "__")
        if (name, path) in archives:  # joined and checked in the stage, unpacked into the runs
            into = "$cache" if path.name == COMPILATION_CACHE_ARCHIVE else "$runs"
            restore += [
                f'cat "$stage/{flat}".* > "$stage/{flat}"',
                f'echo "{sha256_file(path)}  $stage/{flat}" | sha256sum -c -',
                f'mkdir -p "{into}"',
                f'tar xzf "$stage/{flat}" -C "{into}"',
            ]
            continue
        restore += [
            f'mkdir -p "$data/{Path(name).parent}"',
            f'cat "$stage/{flat}".* > "$data/{name}"',
            f'echo "{sha256_file(path)}  $data/{name}" | sha256sum -c -',
        ]
    (staged[-1] / "restore.sh").write_text("\n".join(restore) + "\n")
    return staged


def join_parts(paths: list[Path], folder: Path) -> list[Path]:
    """The archives among `paths`, each `NAME.partNN` group joined in order into `folder`/NAME."""
    whole, groups = [], {}
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"no file {path} to stage with --runs")
        match = _PART.match(path.name)
        if match is None:
            whole.append(path)
        else:
            groups.setdefault(match["stem"], []).append((int(match["number"]), path))
    for stem, parts in groups.items():
        numbers = sorted(number for number, _ in parts)
        if numbers != list(range(len(numbers))):
            raise FileNotFoundError(
                f"the parts of {stem} are {numbers}, not 0 to {len(numbers) - 1}: give every "
                f"{stem}.partNN file that device_follow.sh brought back in one call"
            )
        target = folder / stem
        with open(target, "wb") as sink:
            for _, path in sorted(parts):
                sink.write(path.read_bytes())
        whole.append(target)
    names = [path.name for path in whole]
    if len(set(names)) != len(names):
        raise ValueError(f"two --runs archives share a name ({sorted(names)}): give one of each")
    return whole


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="*", help="data set folders under --data-dir")
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--repo", type=Path, default=Path("."), help="the checkout (default .)")
    parser.add_argument(
        "--margin-mib",
        type=float,
        default=DEFAULT_MARGIN / MIB,
        help="room kept free in each call for changes to the tree (default 2)",
    )
    parser.add_argument(
        "--with",
        dest="carried",
        action="append",
        default=[],
        help="a folder the last call also carries (e.g. .whl, to start the runs); repeatable",
    )
    parser.add_argument(
        "--runs",
        nargs="+",
        action="extend",
        type=Path,
        default=[],
        metavar="ARCHIVE",
        help="device_follow.sh's runs.tgz, checkpoints.tgz.partNN and compilation-cache.tgz.partNN "
        "files, to unpack into /root/runs (and the compilation cache folder) and resume the grids",
    )
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    carried_bytes = 0
    for folder in args.carried:
        sizes = [path.stat().st_size for path in (repo / folder).rglob("*") if path.is_file()]
        if not sizes:
            # found on a fresh checkout: the plan's last call would carry nothing and fail on
            # the machine after the data calls had spent their device time
            hint = ""
            if Path(folder).name == ".whl":
                hint = " (download Keras's wheels into it as ../shared/docs/DEVICE.md says)"
            print(
                f"stage_data: --with {folder}: no files under {repo / folder}, so the last "
                f"call would carry nothing there{hint}",
                file=sys.stderr,
            )
            return 2
        carried_bytes += sum(sizes)
    try:
        with tempfile.TemporaryDirectory() as joined:
            staged = stage(
                args.datasets,
                args.data_dir,
                repo,
                margin=int(args.margin_mib * MIB),
                last_call_extra=carried_bytes,
                runs=join_parts(args.runs, Path(joined)),
            )
    except (FileNotFoundError, ValueError) as error:
        print(f"stage_data: {error}", file=sys.stderr)
        return 2
    print(f"{len(staged)} device calls, one right after another:")
    for number, folder in enumerate(staged, start=1):
        carry = [folder.name, *(args.carried if number == len(staged) else [])]
        script = "restore.sh" if number == len(staged) else "copy.sh"
        size = sum(path.stat().st_size for path in folder.iterdir()) / MIB
        print(f"  carry {carry}  command: bash {folder.name}/{script}   ({size:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
