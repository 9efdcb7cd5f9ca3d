# The device calls of the second 2026-12-04 session, one H200 (commit fdf9e6b), one right after
# another. Staging first: python benchmarks/stage_data.py cifar10-jpeg --data-dir ../shared/data --with .whl
#   call 1, carry .stage1:          bash .stage1/copy.sh
#   call 2, carry .stage2:          bash .stage2/copy.sh
#   call 3, carry .stage3 and .whl, timeout 600 s:
bash .stage3/restore.sh && SEMISUP_COMMIT=fdf9e6b SEED=2 DATASETS=cifar10-jpeg \
  bash benchmarks/device_ssl_targets.sh && bash benchmarks/device_follow.sh 560 1
#   call 4 (FixMatch seed 2 finished at 1,100 s of its grid):
bash benchmarks/device_follow.sh 580 1
#   calls 5 and 6, with the device time that was left: the supervised fit (seeds 1, 2) and
#   pseudo-label (seed 2) of ../../ssl-compare-cifar10-jpeg/device/queue-2026-12-04b.sh
# then, here:
#   semisup bench merge --force results/fixmatch-wrn28_2-20min-cifar10-jpeg ssl-fixmatch-cifar10-jpeg-seed2
#   semisup bench report results/fixmatch-wrn28_2-20min-cifar10-jpeg
