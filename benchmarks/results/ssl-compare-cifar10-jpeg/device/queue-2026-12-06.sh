# The device calls of the 2026-12-06 session (commit 6bed624), for the benchmarks README's first
# queued line: the four cells of queue-2026-12-05c.sh. Stop 24's checkpoints were not on this
# development machine any more (a new checkout, without /work/.device or /work/notes), so all
# four would have started over. Staging: python benchmarks/stage_data.py cifar10-jpeg
#   --data-dir ../shared/data --with .whl   -> 3 calls (.stage1, .stage2, .stage3 with .whl)
bash .stage1/copy.sh && nvidia-smi --query-gpu=name --format=csv,noheader   # first call
# Every try of that first call was refused ("no device machine could be started right now",
# each followed by a hold-off of ~9 min for the kind): at 02:30, 02:41, 03:09, 03:22, 03:36 and
# 03:48 UTC (H200 or either kind; two more calls inside hold-offs were answered at once).
# Each refused start cost ~180 s of the session's 1,800 s of device time.
