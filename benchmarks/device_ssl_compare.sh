#!/usr/bin/env bash
# Issue 6's method comparison on WRN-28-2 (benchmarks/configs/ssl_compare_<data set>.toml: the
# supervised baseline, FixMatch without its unlabeled term, Mean Teacher, pseudo-label, Pi-model;
# bfloat16, `ssl` preset), one data set per GPU of the two-GPU machine (nvidia-h200-x2), in the
# background:
#   GPU 0: the CIFAR-10 JPEG copy, seeds $CIFAR_SEEDS (default 0)
#   GPU 1: FER2013, seeds $FER_SEEDS (default 0)
# into /root/runs/ssl-compare-<data set>-seed<SEEDS>; merge the sessions' run folders afterwards
# (`semisup bench merge OUT RUN...`) and report them with FixMatch's target runs.
#
#   SEMISUP_COMMIT=<hash> CIFAR_SEEDS=0 FER_SEEDS=0 bash benchmarks/device_ssl_compare.sh
# $CIFAR_ARGS and $FER_ARGS add `semisup bench` arguments to one data set's run, e.g.
# CIFAR_ARGS="--strategies mean_teacher,pseudo_label,pi_model" for the cells a session left.
# Expects the data under /root/data/<name>/ and Keras's wheels in .whl/ (benchmarks/README.md).
set -euo pipefail
source "$(dirname "$0")/_device_env.sh"
decode_datasets fer2013 cifar10-jpeg
CUDA_VISIBLE_DEVICES=0 bash benchmarks/device_grid.sh "ssl-compare-cifar10-jpeg-seed${CIFAR_SEEDS:-0}" \
  --config benchmarks/configs/ssl_compare_cifar10-jpeg.toml --seeds "${CIFAR_SEEDS:-0}" ${CIFAR_ARGS:-}
CUDA_VISIBLE_DEVICES=1 bash benchmarks/device_grid.sh "ssl-compare-fer2013-seed${FER_SEEDS:-0}" \
  --config benchmarks/configs/ssl_compare_fer2013.toml --seeds "${FER_SEEDS:-0}" ${FER_ARGS:-}
