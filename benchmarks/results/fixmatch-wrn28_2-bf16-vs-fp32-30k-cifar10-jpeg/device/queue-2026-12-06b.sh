# The bfloat16 row of this folder: the last two device calls of the 2026-12-06b session (stop
# 29), on one H100 (80GB HBM3) that was still warm, with the CIFAR-10 JPEG copy already staged,
# after the FixMatch floor's seeds 1 and 2 (the session's first calls, the refusals before
# them and the staging: results/ssl-compare-cifar10-jpeg/device/queue-2026-12-06b.sh).
# 445 s of device time were left.
source benchmarks/_device_env.sh && SEMISUP_COMMIT=eed58e9 bash benchmarks/device_grid.sh \
  fixmatch-bf16-30k-cifar10-jpeg --config benchmarks/configs/ssl_fixmatch_cifar10-jpeg.toml \
  --seeds 0 --set steps=30000 && bash benchmarks/device_follow.sh 425 1       # call 5
# (returned at once: the finished floor grid already made "1 run finished")
bash benchmarks/device_follow.sh 415 2                                        # call 6, at once
# done after 366 s: the grid took 365 s, FixMatch bfloat16 30,000 steps 0.8850 (354.3 s of fit).
# 68 s of device time were left; the machine was given back. Log:
# fixmatch-bf16-30k-cifar10-jpeg.log, grid: config-bf16-30k.json, timing-2026-12-06b.txt.
# The float32 row (0.8847, 639 s; one H200, commit a2906d0) came from
# results/fixmatch-wrn28_2-cifar10-jpeg; the folder was made with
#   semisup bench merge OUT results/fixmatch-wrn28_2-cifar10-jpeg
#   semisup bench merge --force OUT <run folder> --rename 'fixmatch=fixmatch[precision=mixed_bfloat16]'
#   semisup bench report OUT
# (the float32 row predates `precision` in the rows' params, so it cannot be renamed to state
# it; the bfloat16 row states it, and the report pairs the two as a variant)
