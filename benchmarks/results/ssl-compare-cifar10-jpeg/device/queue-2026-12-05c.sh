# The device calls of the third 2026-12-05 session, one H100 (commit 4fdafee), one right after
# another. Staging first: python benchmarks/stage_data.py cifar10-jpeg --data-dir ../shared/data --with .whl
#   calls 1 and 2, carry .stage1, .stage2:   bash .stage1/copy.sh, bash .stage2/copy.sh
#   call 3, carry .stage3 and .whl, timeout 600 s: Mean Teacher and the Pi-model seed 2 beside
#   FixMatch's labels-only floor seeds 1 and 2, four cells on the one GPU:
bash .stage3/restore.sh && source benchmarks/_device_env.sh && decode_datasets cifar10-jpeg \
  && SEMISUP_COMMIT=4fdafee bash benchmarks/device_grid.sh ssl-compare-cifar10-jpeg-seed2-mt-pi \
     --config benchmarks/configs/ssl_compare_cifar10-jpeg.toml --seeds 2 --jobs 2 \
     --strategies mean_teacher,pi_model \
  && SEMISUP_COMMIT=4fdafee bash benchmarks/device_grid.sh ssl-compare-cifar10-jpeg-floor-seeds12 \
     --config benchmarks/configs/ssl_compare_cifar10-jpeg.toml --seeds 1,2 --jobs 2 --time-limit 1500 \
     --strategies 'fixmatch[unlabeled_weight=0,mu=1,steps=100000]' \
  && bash benchmarks/device_follow.sh 540 2
# The session was cut off during that call and the machine given back after it: Mean Teacher at
# epoch 26 of 30 (17.3 s an epoch of 1,000 steps), the Pi-model at 25, the floor cells at 8 of 30
# (55.8 s an epoch of 3,333 steps); their last progress lines are in the *-lost-2026-12-05c.log
# files here. The call brought back runs.tgz and the checkpoints of Mean Teacher seed 2 (epoch 26,
# 22.7 MiB) and the floor's seed 1 (epoch 8, 17.1 MiB); the other two cells did not fit the fixed
# 56 MiB device_follow.sh then kept. Nothing finished.
#
# The next session (2026-12-06) staged those files with the data to resume the four cells
# (the same two device_grid.sh commands resume them):
#   python benchmarks/stage_data.py cifar10-jpeg --data-dir ../shared/data --with .whl \
#     --runs /work/.device/3/runs.tgz /work/.device/3/checkpoints.tgz.part*
# but no machine could be started in it (see the benchmarks README's queue).
