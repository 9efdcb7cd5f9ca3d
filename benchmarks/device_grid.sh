#!/usr/bin/env bash
# Start one `semisup bench` grid in the background on the lent GPU machine (JAX backend).
#
#   SEMISUP_COMMIT=<hash> bash benchmarks/device_grid.sh RUN_NAME [semisup bench arguments...]
#
# e.g. bash benchmarks/device_grid.sh st-cal-fer \
#          --config benchmarks/configs/self_training_calibrated_fer2013.toml --jobs 6
# Expects the data under /root/data/<name>/ and Keras's wheels in .whl/ (benchmarks/README.md).
# The run folder is /root/runs/RUN_NAME (log: RUN_NAME.log, wall time appended to timing.txt);
# carrying an earlier copy of that folder back to /root/runs and re-running resumes it.
set -euo pipefail
name=$1
shift
# SEMISUP_FOREGROUND=1 runs the grid in the foreground (to queue several on one GPU:
# benchmarks/device_session.sh); CUDA_VISIBLE_DEVICES picks the GPU on a machine with several.
source "$(dirname "$0")/_device_env.sh"
mkdir -p /root/runs
command="start=\$(date +%s); python3 -m semisup.cli bench --data-dir /root/data --no-report -v \
  --run-dir /root/runs/$name $*; code=\$?; \
  echo \"$name ($*): \$((\$(date +%s) - start)) s, exit \$code\" >>/root/runs/timing.txt"
if [ "${SEMISUP_FOREGROUND:-0}" = 1 ]; then
  echo "running $name: log /root/runs/$name.log"
  bash -c "$command" >"/root/runs/$name.log" 2>&1
else
  setsid nohup bash -c "$command" >"/root/runs/$name.log" 2>&1 &
  echo "started $name: log /root/runs/$name.log"
fi
