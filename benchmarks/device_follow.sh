#!/usr/bin/env bash
# Follow background runs on the lent GPU machine for one device call, then bring them back.
#
#   bash benchmarks/device_follow.sh SECONDS [RUNS_EXPECTED]
#
# Waits until /root/runs/timing.txt has RUNS_EXPECTED lines (one per finished grid; default 1)
# or SECONDS have passed, prints the end of every log and the timings, and packs /root/runs
# (run folders, logs, timing.txt) into $OUT/runs.tgz, so every call brings back what has finished
# so far. Checkpoints are left out (a WRN-28-2 checkpoint with its optimizer and weight average
# nears the 16 MB a returned file may have) unless CHECKPOINTS=1: set it on the last call before
# the machine's 30 minutes are up, to resume an unfinished run in a later session.
# Make the next call right away: the machine is given back ~30 s after a call ends, and the runs
# with it (a 2026-12-04 session lost a started run that way). Give SECONDS ~20 s less than the
# call's timeout_s. Exit status 0 when the runs are done, 3 when they are still running.
set -uo pipefail
seconds=${1:?usage: device_follow.sh SECONDS [RUNS_EXPECTED]}
expected=${2:-1}
runs=${RUNS_DIR:-/root/runs}
finished() { [ -f "$runs/timing.txt" ] && [ "$(wc -l <"$runs/timing.txt")" -ge "$expected" ]; }
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
  exclude=(--exclude=checkpoints)
  [ "${CHECKPOINTS:-0}" = 1 ] && exclude=()
  tar czf "$OUT/runs.tgz" "${exclude[@]}" -C "$runs" . && ls -l "$OUT/runs.tgz"
fi
if finished; then
  echo "done: $expected run(s) finished"
else
  echo "still running: make the next call now"
  exit 3
fi
