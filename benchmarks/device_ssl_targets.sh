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
# METHOD=freematch runs FreeMatch's configs (ssl_freematch_<data set>.toml) instead of FixMatch's;
# DATASETS="fer2013" runs one data set only (on GPU 0, or on GPU $FIRST_GPU), so two calls can
# run different methods or seeds side by side, e.g. FixMatch's CIFAR seed 1 beside FreeMatch's
# FER2013 seed 0:
#   SEED=1 DATASETS=cifar10-jpeg bash benchmarks/device_ssl_targets.sh
#   SEED=0 METHOD=freematch DATASETS=fer2013 FIRST_GPU=1 bash benchmarks/device_ssl_targets.sh
# The configs run in bfloat16 with step counts that fill ~18 of the 20 minutes (one seed per GPU
# per session; SEED=0,1 runs two seeds one after the other on each GPU, which only fits with
# shorter runs). Extra `semisup bench` arguments for both runs go in $EXTRA.
# Expects the data under /root/data/<name>/ and Keras's wheels in .whl/ (benchmarks/README.md).
set -euo pipefail
seed=${SEED:-0}
source "$(dirname "$0")/_device_env.sh"
# decode the data sets once, before the runs start
decode_datasets ${DATASETS:-fer2013 cifar10-jpeg}
method=${METHOD:-fixmatch}
gpu=${FIRST_GPU:-0}
for dataset in ${DATASETS:-cifar10-jpeg fer2013}; do
  CUDA_VISIBLE_DEVICES=$gpu bash benchmarks/device_grid.sh "ssl-$method-$dataset-seed$seed" \
    --config "benchmarks/configs/ssl_${method}_$dataset.toml" --seeds "$seed" ${EXTRA:-}
  gpu=$((gpu + 1))
done
