#!/usr/bin/env bash
# Follow-up queues of benchmarks/device_session.sh (2026-11-30), started while its grids ran:
# once a GPU's self-training grid is done, FixMatch with a longer schedule than that script's
# (the throughput measured 49 steps/s, so 12,000 steps would have left the GPU idle), then on
# GPU 0 the throughput again with the step-time breakdown for 32 and 1 steps per call.
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false \
  PYTHONUNBUFFERED=1 SEMISUP_CACHE_DIR=/root/cache TF_CPP_MIN_LOG_LEVEL=3 SEMISUP_FOREGROUND=1
g=benchmarks/device_grid.sh
CUDA_VISIBLE_DEVICES=0 setsid nohup bash -c "
  until grep -q st-cal-cifar10-jpeg /root/runs/timing.txt; do sleep 5; done
  bash $g fixmatch-cifar10-jpeg --preset ssl --dataset cifar10-jpeg --strategies fixmatch --seeds 0 --time-limit 1000
  for s in 32 1; do
    python3 benchmarks/consistency_throughput.py --encoder wrn28_2 --steps 384 --epoch-steps 64 \
      --steps-per-execution \$s --out /root/runs/consistency_throughput.jsonl >/root/runs/throughput-spe\$s.log 2>&1
  done" >/root/runs/gpu0b.log 2>&1 &
CUDA_VISIBLE_DEVICES=1 setsid nohup bash -c "
  until grep -q st-cal-fer2013 /root/runs/timing.txt; do sleep 5; done
  bash $g fixmatch-fer2013 --preset ssl --dataset fer2013 --strategies fixmatch --seeds 0 --time-limit 1000 --set steps=20000
" >/root/runs/gpu1b.log 2>&1 &
echo started follow-up queues
