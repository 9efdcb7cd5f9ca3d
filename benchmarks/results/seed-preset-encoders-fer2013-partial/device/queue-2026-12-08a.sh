# The device calls of the 2026-12-08 00:52 UTC session (stop 41): DenseNet-BC's two-step,
# one-step and contrastive cells on FER2013 (benchmarks/README, "The `seed` preset with the new
# encoders"), to be started over: stop 40's checkpoints and compilation cache (kept under
# /work/notes/stop40-device/6) were gone from the new checkout, as benchmarks/README warned.
# Staging, without --runs:
#   python benchmarks/stage_data.py fer2013 --data-dir ../shared/data --with .whl     # 4 calls
# No machine came. Every call was the first staging call,
nvidia-smi --query-gpu=name,memory.total --format=csv && bash .stage1/copy.sh && date -u
# 14 times from 00:57 to 01:58 UTC (to the minute, this machine's clock), with the device time
# left after each (1,800 s at the start):
#   00:57 no kind named (an H100 tried)  none could be started       1,619
#   00:58 no kind named (now nvidia-h200) none could be started      1,529
#   01:07 no kind named (nvidia-h200)     none could be started      1,439
#   01:10 no kind named (nvidia-h200)     none could be started      1,349
#   01:17 nvidia-h100-x1                  refused at once ("in about 1 min")
#   01:18 nvidia-h100-x1                  none could be started      1,244
#   01:26 nvidia-h100-x1                  refused at once ("in about 3 min")
#   01:29 nvidia-h100-x1                  refused at once ("in about 1 min")   1,214
#   01:31 nvidia-h100-x1                  none could be started      1,124
#   01:34 nvidia-h200                     none could be started        944
#   01:43 nvidia-h100-x1                  refused at once ("in about 2 min")     929
#   01:46 nvidia-h100-x1                  none could be started        839
#   01:57 nvidia-h100-x1                  refused at once ("in about 1 min")     824
#   01:58 nvidia-h100-x1                  none could be started        734
# Nine tries waited for a machine (90-181 s each), five were refused at once (15 s each): 1,066 s
# spent, nothing run.
# At 02:08 UTC the device tool said no new machine is lent at present (paused) for the rest of
# the session. The grid call this session would have made (call 4 of 4):
#   bash .stage4/restore.sh && source benchmarks/_device_env.sh && decode_datasets fer2013 \
#     && mkdir -p /root/runs && cp -r benchmarks/results/seed-preset-encoders-fer2013-partial /root/runs/fer-seed-dn3 \
#     && SEMISUP_COMMIT=<hash> bash benchmarks/device_grid.sh fer-seed-dn3 --preset seed --dataset fer2013 \
#        --encoder densenet_bc --strategies two_step_autoencoder,contrastive,one_step_autoencoder \
#        --filters none --seeds 0 --jobs 1 \
#     && bash benchmarks/device_follow.sh 520 1
# one worker: with the device time left after the tries (~750 s) only the two-step cell, alone on
# the GPU, had a chance to finish in the session.
