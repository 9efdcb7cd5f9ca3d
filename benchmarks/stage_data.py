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
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from semisup.data._cache import sha256_file

MIB = 1 << 20
# what a call may carry, the working tree included
CALL_LIMIT = 64 * MIB
# room left for the code's own changes between staging and the calls
DEFAULT_MARGIN = 2 * MIB
# where the scripts put the parts and the joined files on the machine (overridable for tests)
_ROOTS = "stage=${STAGE_ROOT:-/root/stage}; data=${DATA_ROOT:-/root/data}"


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
) -> list[Path]:
    """Write the `.stageK/` folders into `repo` and return them (see the module's docstring).

    `last_call_extra`: bytes the last call carries besides its folder (the wheels, which it
    needs to start the runs; paths a call carried stay on the machine for the later calls)."""
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
        restore += [
            f'mkdir -p "$data/{Path(name).parent}"',
            f'cat "$stage/{flat}".* > "$data/{name}"',
            f'echo "{sha256_file(path)}  $data/{name}" | sha256sum -c -',
        ]
    (staged[-1] / "restore.sh").write_text("\n".join(restore) + "\n")
    return staged


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="+", help="data set folders under --data-dir")
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
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    carried_bytes = sum(
        path.stat().st_size
        for folder in args.carried
        for path in (repo / folder).rglob("*")
        if path.is_file()
    )
    try:
        staged = stage(
            args.datasets,
            args.data_dir,
            repo,
            margin=int(args.margin_mib * MIB),
            last_call_extra=carried_bytes,
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
