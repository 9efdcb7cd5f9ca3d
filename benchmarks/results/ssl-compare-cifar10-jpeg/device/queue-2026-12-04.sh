# The commands of the 2026-12-04 session, run in the background on one H200 (SEMISUP_COMMIT
# set by the caller). The first start (FixMatch seed 2) was lost with its machine.
set -u
source benchmarks/_device_env.sh
decode_datasets cifar10-jpeg
SEMISUP_FOREGROUND=1 bash benchmarks/device_grid.sh ssl-compare-cifar10-jpeg-seed1-rest \
  --config benchmarks/configs/ssl_compare_cifar10-jpeg.toml --seeds 1 \
  --strategies mean_teacher,pseudo_label,pi_model
