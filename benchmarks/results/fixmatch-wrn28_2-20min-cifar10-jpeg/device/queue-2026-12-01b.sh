# The commands of the 2026-12-01 (second) session, run in the background one after another on one
# H200 (SEMISUP_COMMIT set by the caller).
set -u
SEMISUP_FOREGROUND=1 SEED=1 DATASETS=cifar10-jpeg bash benchmarks/device_ssl_targets.sh
SEMISUP_FOREGROUND=1 bash benchmarks/device_grid.sh ssl-compare-cifar10-jpeg-seed0-rest \
  --config benchmarks/configs/ssl_compare_cifar10-jpeg.toml --seeds 0 \
  --strategies mean_teacher,pseudo_label,pi_model
