# The device calls of the 2026-12-06b session (stop 29), for the benchmarks README's first
# queued line: FixMatch's labels-only floor, seeds 1 and 2 (the second grid of
# queue-2026-12-05c.sh). Stops 27 and 28 landed nothing: stop 27's run of these two cells was
# at epoch ~17 of 30 when its session was cut off, stop 28 got no machine; nothing of theirs
# was kept, so both cells started over.
# Staging: python benchmarks/stage_data.py cifar10-jpeg --data-dir ../shared/data --with .whl
#   -> 3 calls (.stage1, .stage2, .stage3 with .whl)
bash .stage1/copy.sh && nvidia-smi --query-gpu=name --format=csv,noheader   # first call
# That first call was refused ("no device machine could be started right now") at 19:58
# (181 s of device time), 20:08, 20:11 and 20:19 UTC (hold-offs of 2-6 min; 90 s each): 451 s
# of the session's 1,800 s were gone before an H100 (80GB HBM3) came at 20:28, 1,322 s left.
bash .stage2/copy.sh                                                          # call 2
bash .stage3/restore.sh && source benchmarks/_device_env.sh && decode_datasets cifar10-jpeg \
  && SEMISUP_COMMIT=eed58e9 bash benchmarks/device_grid.sh ssl-compare-cifar10-jpeg-floor-seeds12 \
     --config benchmarks/configs/ssl_compare_cifar10-jpeg.toml --seeds 1,2 --jobs 2 --time-limit 1500 \
     --strategies 'fixmatch[unlabeled_weight=0,mu=1,steps=100000]' \
  && bash benchmarks/device_follow.sh 540 1                                   # call 3, timeout 600 s
# exit 3 after 549 s (epoch 18 of 30, 27.3 s an epoch side by side; checkpoints came back)
bash benchmarks/device_follow.sh 580 1                                        # call 4, at once
# done after 310 s: the grid took 860 s; seed 1 0.8304 (836.2 s of fit), seed 2 0.8336 (837.1 s).
# Log: ssl-compare-cifar10-jpeg-floor-seeds12.log, grid: config-floor-seeds12.json,
# timing-2026-12-06b.txt. The spec was typed without the spaces of seed 0's name, so the merge
# renamed it to that spelling (one strategy in the report, not two):
#   semisup bench merge --force results/ssl-compare-cifar10-jpeg <run folder> \
#     --rename 'fixmatch[unlabeled_weight=0,mu=1,steps=100000]=fixmatch[unlabeled_weight=0, mu=1, steps=100000]'
#   semisup bench report results/ssl-compare-cifar10-jpeg
# (since commit 3243ac5 the merge gives another spelling of a strategy already there that
# spelling by itself, without --rename; the rows come out the same, checked on these two)
# With 445 s left on the warm machine (data already there), the bfloat16 half of the queue's
# "bfloat16 against float32 at an equal number of steps" line ran next
# (results/fixmatch-wrn28_2-bf16-vs-fp32-30k-cifar10-jpeg):
source benchmarks/_device_env.sh && SEMISUP_COMMIT=eed58e9 bash benchmarks/device_grid.sh \
  fixmatch-bf16-30k-cifar10-jpeg --config benchmarks/configs/ssl_fixmatch_cifar10-jpeg.toml \
  --seeds 0 --set steps=30000 && bash benchmarks/device_follow.sh 425 1       # call 5
# (returned at once: the finished floor grid already made "1 run finished")
bash benchmarks/device_follow.sh 415 2                                        # call 6, at once
# done after 366 s: the grid took 365 s, FixMatch bfloat16 30,000 steps 0.8850 (354.3 s of fit).
# 68 s of device time were left; the machine was given back.
