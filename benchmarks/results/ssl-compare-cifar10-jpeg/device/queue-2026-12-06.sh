# The device calls of the 2026-12-06 session, for the benchmarks README's first queued line: the
# four cells of queue-2026-12-05c.sh. Stop 24's checkpoints were not on this development machine
# any more (a new checkout, without /work/.device or /work/notes), so all four would start over.
# Staging: python benchmarks/stage_data.py cifar10-jpeg --data-dir ../shared/data --with .whl
#   -> 3 calls (.stage1, .stage2, .stage3 with .whl)
bash .stage1/copy.sh && nvidia-smi --query-gpu=name --format=csv,noheader   # first call
# That first call was refused ("no device machine could be started right now", each followed
# by a hold-off of ~9 min for the kind) at 02:30, 02:41, 03:09, 03:22, 03:36, 03:48 and
# 04:01 UTC (six more calls inside hold-offs were answered at once, 15 s each); the refused
# starts cost ~170-180 s each: 1,288 s of the session's 1,800 s of device time were gone
# before a machine came. It got an H100 at 04:14 with 512 s left,
# too little for the floor's two 100,000-step cells, so only Mean Teacher and the Pi-model
# seed 2 ran (commit dfe4b38; the training code is 4fdafee's):
bash .stage2/copy.sh                                                          # call 2
bash .stage3/restore.sh && source benchmarks/_device_env.sh && decode_datasets cifar10-jpeg \
  && SEMISUP_COMMIT=dfe4b38 bash benchmarks/device_grid.sh ssl-compare-cifar10-jpeg-seed2-mt-pi \
     --config benchmarks/configs/ssl_compare_cifar10-jpeg.toml --seeds 2 --jobs 2 \
     --strategies mean_teacher,pi_model \
  && bash benchmarks/device_follow.sh 425 1                                   # call 3, timeout 465 s
# Both finished in that call (the grid 309 s, wall 318.6 s): Mean Teacher 0.8558 (282.6 s of
# fit, 9.63 s per 1,000-step epoch), the Pi-model 0.8502 (286.8 s). Log:
# ssl-compare-cifar10-jpeg-seed2-mt-pi.log, grid: config-seed2-mt-pi.json, timing-2026-12-06.txt.
# Merged: semisup bench merge --force results/ssl-compare-cifar10-jpeg <run folder>, then
# semisup bench report results/ssl-compare-cifar10-jpeg.
