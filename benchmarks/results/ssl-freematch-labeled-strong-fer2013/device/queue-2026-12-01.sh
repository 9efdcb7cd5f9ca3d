# The commands of the 2026-12-01 session (commit a80074c, SEMISUP_COMMIT=a80074c), run in the
# background one after another on one H200; the determinism runs (det-a, det-b, nondet) are in
# ../../determinism-fer2013/. Then floor seed 0 and FixMatch with the strong view, seed 0:
cfg=benchmarks/configs/ssl_freematch_labeled_strong_fer2013.toml
for S in 1 2; do
  SEMISUP_FOREGROUND=1 bash benchmarks/device_grid.sh floor-strong-fer2013-seed$S --config $cfg \
    --strategies 'fixmatch[unlabeled_weight=0,mu=1,labeled_augmentation=strong,select_best_epoch=true]' \
    --set precision=mixed_bfloat16 --set steps=26000 --seeds $S
done
SEMISUP_FOREGROUND=1 bash benchmarks/device_grid.sh floor-strong-fer2013-seed0 --config $cfg --strategies 'fixmatch[unlabeled_weight=0,mu=1,labeled_augmentation=strong,select_best_epoch=true]' --set precision=mixed_bfloat16 --set steps=26000 --seeds 0
SEMISUP_FOREGROUND=1 bash benchmarks/device_grid.sh fixmatch-strong-fer2013-seed0 --config $cfg --strategies 'fixmatch[labeled_augmentation=strong,select_best_epoch=true]' --set precision=mixed_bfloat16 --set steps=26000 --seeds 0
