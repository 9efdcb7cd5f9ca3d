# The calls of the second 2026-12-04 session that ran this folder's cells, one H200, commit
# fdf9e6b, with the device time left after FixMatch's 20-minute seed 2 (the session's staging
# and first calls: ../../fixmatch-wrn28_2-20min-cifar10-jpeg/device/queue-2026-12-04b.sh).
SEMISUP_COMMIT=fdf9e6b SEMISUP_FOREGROUND=1 bash benchmarks/device_grid.sh ssl-compare-cifar10-jpeg-seed1-sup \
  --config benchmarks/configs/ssl_compare_cifar10-jpeg.toml --seeds 1 --strategies supervised
SEMISUP_COMMIT=fdf9e6b SEMISUP_FOREGROUND=1 bash benchmarks/device_grid.sh ssl-compare-cifar10-jpeg-seed2-sup-pl \
  --config benchmarks/configs/ssl_compare_cifar10-jpeg.toml --seeds 2 --strategies supervised,pseudo_label
# (each call ended with `bash benchmarks/device_follow.sh 5 9`, which packs /root/runs into $OUT)
# then, here, with the 20-minute FixMatch rows (--rename came with the commit after fdf9e6b):
#   semisup bench merge --force results/ssl-compare-cifar10-jpeg ssl-compare-cifar10-jpeg-seed1-sup ssl-compare-cifar10-jpeg-seed2-sup-pl
#   semisup bench merge --force results/ssl-compare-cifar10-jpeg results/fixmatch-wrn28_2-20min-cifar10-jpeg \
#       --rename 'fixmatch=fixmatch[steps=100000]'
#   semisup bench report results/ssl-compare-cifar10-jpeg
