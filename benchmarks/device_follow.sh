#!/usr/bin/env bash
# Follow background runs on the lent GPU machine for one device call, then bring them back.
#
#   bash benchmarks/device_follow.sh SECONDS [RUNS_EXPECTED]
#
# Waits until /root/runs/timing.txt has RUNS_EXPECTED lines (one per finished grid; default 1)
# and no grid is still running under /root/runs, or SECONDS have passed, prints the end of every
# log and the timings, and packs /root/runs (run folders, logs, timing.txt) into $OUT/runs.tgz, so
# every call brings back what has finished so far. While runs are still going, the cells'
# checkpoints (saved every minute) come back too, as $OUT/checkpoints.tgz.part00, part01, ... of
# at most 15 MiB each (under the 16 MiB a returned file may have), so that a machine
# lost between calls (given back, or its time up) costs each run only what it trained since its
# last save before the last call ended: stage the parts with runs.tgz (`stage_data.py ... --runs
# runs.tgz checkpoints.tgz.part*`, which joins them) and start the same grids again, which resume.
# A WRN-28-2 cell's checkpoint is 17-23 MiB: whole cells come back, as many as fit in what a
# call's 64 MiB of returned files (CALL_FILES_MIB) leave beside runs.tgz, less 64 KiB for the
# archive's own bytes, the cells that started first (by their claim under --jobs) first; the
# others are named.
# CHECKPOINTS=0 never packs them, CHECKPOINTS=1 always. With them, in the room they leave, comes
# JAX's compilation cache folder (/root/cache/jax-compilation, the grid's default), whole or not
# at all, as $OUT/compilation-cache.tgz.partNN: staged with the rest, the resumed cells read their
# compiled programs back instead of compiling them again. CACHE_BACK=0 leaves it behind;
# COMPILATION_CACHE_DIR names another folder (tests).
# Make the next call right away: the machine is given back ~30 s after a call ends, and the runs
# with it (a 2026-12-04 session lost a started run that way). Give SECONDS ~20 s less than the
# call's timeout_s. Exit status 0 when the runs are done, 3 when they are still running.
set -uo pipefail
seconds=${1:?usage: device_follow.sh SECONDS [RUNS_EXPECTED]}
expected=${2:-1}
runs=${RUNS_DIR:-/root/runs}
# a grid still running under $runs (device_grid.sh's `semisup.cli bench --run-dir $runs/NAME`)
# keeps the runs unfinished whatever RUNS_EXPECTED says: with 1 after a second grid was started
# on a warm machine, the call returned at once and left it unwatched (2026-12-07)
running() { pgrep -f "semisup[.]cli bench .*--run-dir $runs/" >/dev/null 2>&1; }
finished() {
  [ -f "$runs/timing.txt" ] && [ "$(wc -l <"$runs/timing.txt")" -ge "$expected" ] && ! running
}
# steady_copy FROM TO PATH...: copy the PATHs under FROM into the empty folder TO, as a copy
# equal to them after it was made, so that nothing written meanwhile (a checkpoint's save, once a
# minute, ~0.1 s; a compiled program JAX writes in place) comes back torn; tried again if it was
steady_copy() {
  local from=$1 to=$2 path same
  shift 2
  for _ in 1 2 3; do
    rm -rf "${to:?}"/*
    (cd "$from" && cp -a --parents "$@" "$to"/)
    same=1
    for path in "$@"; do
      diff -rq "$from/$path" "$to/$path" >/dev/null || same=0
    done
    [ "$same" = 1 ] && return
    sleep 2
  done
}
end=$((SECONDS + seconds))
until finished || [ "$SECONDS" -ge "$end" ]; do
  sleep 5
done
for log in "$runs"/*.log; do
  [ -f "$log" ] || continue
  # progress bars rewrite one line with carriage returns: keep the last state of each line
  echo "== $log"
  tail -c 4000 "$log" | sed 's/.*\r//' | grep -v '^\s*$' | tail -n 4
done
echo "== timing"
cat "$runs/timing.txt" 2>/dev/null
if [ -n "${OUT:-}" ] && [ -d "$runs" ]; then
  tar czf "$OUT/runs.tgz" --exclude=checkpoints -C "$runs" . && ls -l "$OUT/runs.tgz"
  pack=${CHECKPOINTS:-auto}
  [ "$pack" = auto ] && { finished && pack=0 || pack=1; }
  # every cell in progress, the longest-running first (its claim's age; cells without a
  # claim, of a grid run without --jobs, after them), with its size in bytes
  cells=$(cd "$runs" && python3 - <<'PY'
import glob, os
rows = []
for cell in glob.glob("*/checkpoints/*"):
    run, _, name = cell.split("/")
    claim = os.path.join(run, "claims", name)
    started = os.path.getmtime(claim) if os.path.exists(claim) else float("inf")
    walked = [os.path.join(d, f) for d, _, files in os.walk(cell) for f in files]
    size = sum(os.path.getsize(f) for f in walked) if os.path.isdir(cell) else os.path.getsize(cell)
    rows.append((started, cell, size))
for started, cell, size in sorted(rows):
    print(size, "./" + cell)
PY
)
  # a call returns at most 8 files of 16 MiB, 64 MiB together: room for runs.tgz beside them
  runs_bytes=$(stat -c %s "$OUT/runs.tgz" 2>/dev/null || echo 0)
  limit=$(((${CALL_FILES_MIB:-64} << 20) - runs_bytes - (64 << 10)))
  rm -f "$OUT"/checkpoints.tgz.part* "$OUT"/compilation-cache.tgz.part*
  if [ "$pack" = 1 ] && [ -n "$cells" ]; then
    # Whole cells, as many as fit (gzip barely shrinks weights: their size is the bound)
    held="" total=0 left=""
    while read -r size cell; do
      if [ $((total + size)) -le "$limit" ]; then
        held="$held $cell" total=$((total + size))
      else
        left="$left $cell"
      fi
    done <<<"$cells"
    packed=${TMPDIR:-/tmp}/checkpoints.tgz
    snapshot=$(mktemp -d)
    # shellcheck disable=SC2086  # one cell a word, no spaces in run names
    [ -z "$held" ] || steady_copy "$runs" "$snapshot" $held
    # The archive can be a little larger than the cells (tar's headers; gzip does not shrink
    # weights), or a save can land between the sizing and the copy: then the cell that started
    # last is left out and the rest packed again, rather than none (2026-12-07: four ResNet v2
    # cells of 61 MiB packed to 64 MiB, and none came back).
    while [ -n "$held" ]; do
      # shellcheck disable=SC2086
      tar czf "$packed" -C "$snapshot" $held
      [ "$(stat -c %s "$packed")" -le "$limit" ] && break
      echo "checkpoints of$held: $(($(stat -c %s "$packed") >> 10)) KiB packed, over the room;" \
        "the last started left out"
      last=${held##* }
      held=${held% *}
      left=" $last$left"
    done
    if [ -n "$held" ]; then
      split -b 15M -d "$packed" "$OUT/checkpoints.tgz.part" && ls -l "$OUT"/checkpoints.tgz.part*
      # the returned files do not outlast the session: only the repository reaches the next one
      echo "to resume these cells in a later session, keep the parts in the repository after" \
        "the session's last call: benchmarks/keep_checkpoints.py (benchmarks/README.md)"
    fi
    rm -rf "$snapshot"
    [ -z "$left" ] || echo "checkpoints not brought back (over the $((limit >> 10)) KiB a call's" \
      "files leave beside runs.tgz; the cells that started first go first):$left"
    rm -f "$packed"
  fi
  # JAX's compiled programs (the grid's default compilation cache folder), in the room the
  # checkpoints leave: staged with them (stage_data.py --runs), a resumed cell on a machine of
  # the same kind reads its programs instead of compiling them again (DenseNet-BC's two
  # training programs took ~100 s of each fit on an H100). Whole or not at all; checkpoints first.
  cache=${COMPILATION_CACHE_DIR:-${SEMISUP_CACHE_DIR:-/root/cache}/jax-compilation}
  if [ "$pack" = 1 ] && [ "${CACHE_BACK:-1}" = 1 ] && [ -n "$(ls -A "$cache" 2>/dev/null)" ]; then
    used=$(cat "$OUT"/checkpoints.tgz.part* 2>/dev/null | wc -c)
    packed=${TMPDIR:-/tmp}/compilation-cache.tgz
    snapshot=$(mktemp -d)
    steady_copy "$(dirname "$cache")" "$snapshot" "$(basename "$cache")"
    tar czf "$packed" -C "$snapshot/$(basename "$cache")" .
    bytes=$(stat -c %s "$packed")
    if [ $((used + bytes)) -le "$limit" ]; then
      split -b 15M -d "$packed" "$OUT/compilation-cache.tgz.part" &&
        ls -l "$OUT"/compilation-cache.tgz.part*
    else
      echo "compilation cache not brought back: $((bytes >> 10)) KiB packed, over the" \
        "$(((limit - used) >> 10)) KiB the checkpoints leave"
    fi
    rm -rf "$snapshot" "$packed"
  fi
fi
if finished; then
  echo "done: $expected run(s) finished"
else
  echo "still running: make the next call now"
  exit 3
fi
