#!/usr/bin/env bash
# Issue 6's FER2013 target (>= 0.65 on PrivateTest): does training the LABELED images on the
# strong view (`labeled_augmentation="strong"`: flip, shift, RandAugment, Cutout) instead of the
# weak one lift the encoder's floor, its ceiling and FreeMatch? Seed $SEED (default 0), WRN-28-2,
# bfloat16, $STEPS optimizer steps each (default 26,000: the length of the weak-view runs they are
# compared with in benchmarks/README.md, "FER2013: the candidates for 0.65"):
#
#   fer-strong-supervised-all  FixMatch without its unlabeled term (unlabeled_weight=0, mu=1) on
#                              EVERY label (budget `all`): the ceiling (weak view: 0.6941)
#   fer-strong-supervised      the same on the seed split's 5,824 labels: the floor (0.5698)
#   fer-strong-freematch       FreeMatch (configs/ssl_freematch_fer2013.toml) (0.6361)
#
# With SHARED=1 (default) the three run side by side on one GPU ($GPU, default 0): their
# accuracies are those of their step counts, but their wall times are shared and say nothing of
# a run alone (FreeMatch alone: ~530 s for 26,000 steps on one H200). SHARED=0 queues them one
# after another. Training is capped at $LIMIT seconds (default 1500).
#
#   SEMISUP_COMMIT=<hash> SEED=0 bash benchmarks/device_fer_labeled_strong.sh
#
# Run folders: /root/runs/<name>-seed<SEED>; logs beside them; wall times in
# /root/runs/timing.txt (3 lines when done). Re-running resumes.
# Expects the data under /root/data/fer2013/ and Keras's wheels in .whl/ (benchmarks/README.md).
set -euo pipefail
seed=${SEED:-0}
steps=${STEPS:-26000}
limit=${LIMIT:-1500}
source "$(dirname "$0")/_device_env.sh"
mkdir -p /root/runs
decode_datasets fer2013

grid=benchmarks/device_grid.sh
common="--seeds $seed --set steps=$steps --time-limit $limit"
supervised="fixmatch[unlabeled_weight=0,mu=1,labeled_augmentation=strong]"
runs=(
  "fer-strong-supervised-all-seed$seed --preset ssl --dataset fer2013 --budgets all \
    --strategies '$supervised' --set precision=mixed_bfloat16 $common"
  "fer-strong-supervised-seed$seed --preset ssl --dataset fer2013 --budgets seed \
    --strategies '$supervised' --set precision=mixed_bfloat16 $common"
  "fer-strong-freematch-seed$seed --config benchmarks/configs/ssl_freematch_fer2013.toml \
    --strategies 'freematch[labeled_augmentation=strong]' $common"
)
export CUDA_VISIBLE_DEVICES=${GPU:-0}
if [ "${SHARED:-1}" = 1 ]; then
  for run in "${runs[@]}"; do eval "bash $grid $run"; done
else
  queue=""
  for run in "${runs[@]}"; do queue+="SEMISUP_FOREGROUND=1 bash $grid $run
"; done
  setsid nohup bash -c "$queue" >/root/runs/queue.log 2>&1 &
  echo "started the queue: /root/runs/queue.log"
fi
