#!/usr/bin/env bash
# Launch benchmarks/run_strategies.py on the lent GPU machine (JAX backend), in the background.
#
# Expects the data under /root/data/<name>/ and Keras's wheels in .whl/ (see docs/DEVICE notes in
# benchmarks/README.md). The grid is split over parallel processes that share the GPU, since one
# small-batch process leaves most of an H100/H200 idle; each writes its own JSON Lines file under
# /root/results, which benchmarks/merge_results.py joins.
#
#   bash benchmarks/device_run_strategies.sh DATASET SEED [extra run_strategies.py args...]
set -euo pipefail
dataset=${1:-fer2013}
seed=${2:-0}
shift 2 || true
source "$(dirname "$0")/_device_env.sh"
mkdir -p /root/results
# warm the array cache once so the parallel processes do not all decode the JPEGs
decode_datasets "$dataset"
groups=(
  "self_training none"
  "self_training deep_svdd:0.1"
  "supervised,two_step_autoencoder,one_step_autoencoder,contrastive none"
  "two_step_autoencoder,one_step_autoencoder,contrastive deep_svdd:0.1"
)
for index in "${!groups[@]}"; do
  read -r names filter <<<"${groups[$index]}"
  setsid nohup python3 benchmarks/run_strategies.py --dataset "$dataset" --data-dir /root/data \
    --seed "$seed" --strategies "$names" --filters "$filter" \
    --out "/root/results/${dataset}_seed${seed}_part${index}.jsonl" "$@" \
    >"/root/results/${dataset}_seed${seed}_part${index}.log" 2>&1 &
done
echo "started ${#groups[@]} processes"
