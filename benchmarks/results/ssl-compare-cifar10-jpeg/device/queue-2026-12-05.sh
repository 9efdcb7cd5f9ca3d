# The device calls of the 2026-12-05 session, one H200 (commit e51a211), one right after another.
# Staging first: python benchmarks/stage_data.py cifar10-jpeg --data-dir ../shared/data --with .whl
#   call 1, carry .stage1:          bash .stage1/copy.sh
#   call 2, carry .stage2:          bash .stage2/copy.sh
#   call 3, carry .stage3 and .whl, timeout 600 s (the three cells side by side on the one GPU;
#   --time-limit 1350 so that they would stop, and still report, inside the session's device time):
bash .stage3/restore.sh && source benchmarks/_device_env.sh && decode_datasets cifar10-jpeg \
  && SEMISUP_COMMIT=e51a211 bash benchmarks/device_grid.sh ssl-compare-cifar10-jpeg-100k-seed0 \
     --config benchmarks/configs/ssl_compare_cifar10-jpeg.toml --seeds 0 --jobs 3 --time-limit 1350 \
     --strategies 'mean_teacher[steps=100000],pseudo_label[steps=100000],pi_model[steps=100000]' \
  && bash benchmarks/device_follow.sh 540 1
#   call 4:
bash benchmarks/device_follow.sh 580 1
# Pseudo-label finished (970.7 s of fit, three cells sharing the GPU). The next follow-up call
# was not made within 30 s (the session's agent was cut off by an API error), so the machine
# was given back with Mean Teacher at epoch 27 of 30 and the Pi-model at 25 of 30: both lost,
# their last progress lines are in ssl-compare-cifar10-jpeg-100k-seed0.log.
# then, here:
#   semisup bench merge --force results/ssl-compare-cifar10-jpeg <runs.tgz>/ssl-compare-cifar10-jpeg-100k-seed0
#   semisup bench report results/ssl-compare-cifar10-jpeg
