#!/usr/bin/env bash
# The queued GPU runs for issues 5 and 6 on a two-GPU machine (nvidia-h200-x2), in the background,
# one queue per GPU (CUDA_VISIBLE_DEVICES), each queue's runs one after another:
#
#   GPU 0: self-training raw vs calibrated weighting, CIFAR-10 JPEG copy, 3 seeds (6 cells at once)
#          -> FixMatch, WRN-28-2, CIFAR-10 JPEG copy, seed 0, $CIFAR_STEPS steps (the length of
#             its cosine schedule; default 30,000), capped at $CIFAR_LIMIT seconds (default 780)
#   GPU 1: FixMatch throughput, 32 and then 1 step per compiled call
#          (benchmarks/consistency_throughput.py, alone on its GPU)
#          -> self-training raw vs calibrated weighting, FER2013, 3 seeds (6 cells at once)
#          -> FixMatch, WRN-28-2, FER2013, seed 0, $FER_STEPS steps (default 12,000), capped at
#             $FER_LIMIT seconds (default 600)
#
# Expects the data under /root/data/<name>/ and Keras's wheels in .whl/ (benchmarks/README.md).
# Logs: /root/runs/gpu0.log, gpu1.log and one per grid; wall times in /root/runs/timing.txt.
# Re-running resumes every grid (finished cells are skipped).
#
#   SEMISUP_COMMIT=<hash> bash benchmarks/device_session.sh
set -euo pipefail
source "$(dirname "$0")/_device_env.sh"
export SEMISUP_FOREGROUND=1
mkdir -p /root/runs
# decode the data sets once, before the queues start
decode_datasets fer2013 cifar10-jpeg

grid=benchmarks/device_grid.sh
CUDA_VISIBLE_DEVICES=0 setsid nohup bash -c "
  bash $grid st-cal-cifar10-jpeg --config benchmarks/configs/self_training_calibrated_cifar10-jpeg.toml --jobs 6
  bash $grid fixmatch-cifar10-jpeg --preset ssl --dataset cifar10-jpeg --strategies fixmatch --seeds 0 \
    --time-limit ${CIFAR_LIMIT:-780} --set steps=${CIFAR_STEPS:-30000}
" >/root/runs/gpu0.log 2>&1 &
CUDA_VISIBLE_DEVICES=1 setsid nohup bash -c "
  for s in 32 1; do
    start=\$(date +%s)
    python3 benchmarks/consistency_throughput.py --encoder wrn28_2 --steps 384 --epoch-steps 64 \
      --steps-per-execution \$s --out /root/runs/consistency_throughput.jsonl >/root/runs/throughput-spe\$s.log 2>&1
    echo \"throughput, \$s steps per call: \$((\$(date +%s) - start)) s\" >>/root/runs/timing.txt
  done
  bash $grid st-cal-fer2013 --config benchmarks/configs/self_training_calibrated_fer2013.toml --jobs 6
  bash $grid fixmatch-fer2013 --preset ssl --dataset fer2013 --strategies fixmatch --seeds 0 \
    --time-limit ${FER_LIMIT:-600} --set steps=${FER_STEPS:-12000}
" >/root/runs/gpu1.log 2>&1 &
echo "started: /root/runs/gpu0.log, /root/runs/gpu1.log"
