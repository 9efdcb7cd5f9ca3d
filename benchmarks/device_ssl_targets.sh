#!/usr/bin/env bash
# Issue 6's accuracy targets: FixMatch on WRN-28-2 with 20 minutes of training, one run per GPU
# of the two-GPU machine (nvidia-h200-x2), in the background:
#   GPU 0: the CIFAR-10 JPEG copy (benchmarks/configs/ssl_fixmatch_cifar10-jpeg.toml)
#   GPU 1: FER2013 (benchmarks/configs/ssl_fixmatch_fer2013.toml)
# for seed $SEED (default 0), into /root/runs/ssl-fixmatch-<data set>-seed<SEED>. One seed per
# session fits the 30 device-minutes; merge the seeds' run folders afterwards
# (`semisup bench merge OUT RUN-seed0 RUN-seed1 ...`) and run `semisup bench report OUT`.
#
#   SEMISUP_COMMIT=<hash> SEED=0 bash benchmarks/device_ssl_targets.sh
# Extra `semisup bench` arguments for both runs go in $EXTRA, e.g. EXTRA="--set precision=mixed_bfloat16".
# SEED may list several seeds (SEED=0,1): a GPU then runs them one after the other, which fits a
# session when each run is shorter than 20 minutes (in bfloat16, the configs' step counts take
# about half of it at the 96 steps/s measured for FixMatch on WRN-28-2).
# Expects the data under /root/data/<name>/ and Keras's wheels in .whl/ (benchmarks/README.md).
set -euo pipefail
seed=${SEED:-0}
source "$(dirname "$0")/_device_env.sh"
# decode the data sets once, before the runs start
decode_datasets fer2013 cifar10-jpeg
gpu=0
for dataset in cifar10-jpeg fer2013; do
  CUDA_VISIBLE_DEVICES=$gpu bash benchmarks/device_grid.sh "ssl-fixmatch-$dataset-seed$seed" \
    --config "benchmarks/configs/ssl_fixmatch_$dataset.toml" --seeds "$seed" ${EXTRA:-}
  gpu=$((gpu + 1))
done
