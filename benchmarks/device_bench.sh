#!/usr/bin/env bash
# Run the harness's `seed` preset on the lent GPU machine (JAX backend), in the background.
#
# Expects FER2013 and the CIFAR-10 JPEG copy under /root/data/<name>/ (train.zip, test.zip) and
# Keras's wheels in .whl/ (benchmarks/README.md, "Running on the GPU"). Two grids run side by
# side, each in its own run folder under /root/runs and each with several worker processes that
# share the GPU (`semisup bench --jobs`):
#   - FER2013: seed 0 first, timed on its own as "one data set, one seed"; then seeds 1 and 2;
#   - the CIFAR-10 JPEG copy: the seeds in $CIFAR_SEEDS (default 0).
# Wall times go to /root/runs/timing.txt. Re-running the script resumes both grids (finished
# cells are skipped, a killed cell resumes from its last epoch).
#
#   SEMISUP_COMMIT=<hash> bash benchmarks/device_bench.sh
set -euo pipefail
source "$(dirname "$0")/_device_env.sh"
export runs=/root/runs CIFAR_SEEDS=${CIFAR_SEEDS:-0}
mkdir -p "$runs"
# decode the JPEGs once, before the workers start
decode_datasets fer2013 cifar10-jpeg

timed() {  # timed LABEL COMMAND...: append "LABEL seconds" to timing.txt
  local label=$1 start
  shift
  start=$(date +%s)
  "$@"
  echo "$label: $(($(date +%s) - start)) s" >>"$runs/timing.txt"
}
bench() {
  python3 -m semisup.cli bench --preset seed --data-dir /root/data --no-report -v "$@"
}
fer() {
  timed "fer2013 seed 0 (9 cells, --jobs 9)" \
    bench --dataset fer2013 --seeds 0 --jobs 9 --run-dir "$runs/seed-fer2013"
  timed "fer2013 seeds 0,1,2 (seed 0 already done, --jobs 9)" \
    bench --dataset fer2013 --seeds 0,1,2 --jobs 9 --run-dir "$runs/seed-fer2013"
}
cifar() {
  timed "cifar10-jpeg seeds $CIFAR_SEEDS (--jobs 6)" \
    bench --dataset cifar10-jpeg --seeds "$CIFAR_SEEDS" --jobs 6 \
    --run-dir "$runs/seed-cifar10-jpeg"
}
echo "start $(date -u +%FT%TZ) commit ${SEMISUP_COMMIT:-unknown}" >>"$runs/timing.txt"
setsid nohup bash -c "$(declare -f timed bench fer); fer" >"$runs/fer.log" 2>&1 &
setsid nohup bash -c "$(declare -f timed bench cifar); cifar" >"$runs/cifar.log" 2>&1 &
echo "started: logs in $runs/fer.log and $runs/cifar.log"
