# The device calls of the 2026-12-07 21:37 UTC session (stop 40): DenseNet-BC's two-step,
# one-step and contrastive cells on FER2013 (benchmarks/README, "The `seed` preset with the new
# encoders"), started over: stop 38 lost them with its machine, stop 39 got no machine.
# Staging, without --runs:
#   python benchmarks/stage_data.py fer2013 --data-dir ../shared/data --with .whl     # 4 calls
nvidia-smi --query-gpu=name,memory.total --format=csv && bash .stage1/copy.sh && ls /root/stage
# call 1, 21:39 UTC: an H100 80GB HBM3 at the first try (89 s held, 1,711 s left)
bash .stage2/copy.sh && ls /root/stage                                          # calls 2-3,
bash .stage3/copy.sh && ls /root/stage                                          # 0.2 s each
bash .stage4/restore.sh && source benchmarks/_device_env.sh && decode_datasets fer2013 \
  && mkdir -p /root/runs && cp -r benchmarks/results/seed-preset-encoders-fer2013-partial /root/runs/fer-seed-dn2 \
  && SEMISUP_COMMIT=3739e83 bash benchmarks/device_grid.sh fer-seed-dn2 --preset seed --dataset fer2013 \
     --encoder densenet_bc --strategies two_step_autoencoder,one_step_autoencoder,contrastive \
     --filters none --seeds 0 --jobs 3 \
  && bash benchmarks/device_follow.sh 520 1                                     # call 4, carry .stage4 .whl
# exit 3 after 529 s (1,162 s left). The contrastive cell's worker failed in its first
# pretraining epoch, 111 s in: "RESOURCE_EXHAUSTED: Out of memory while trying to allocate
# 36.68GiB with allocator GPU_0_bfc" beside the two autoencoder cells (the traceback is in
# fer-seed-dn2-2026-12-07i-unfinished.log); the worker exited and the cell was left.
# First epochs, three processes compiling at once: 175 s (two-step's autoencoder, one-step).
bash benchmarks/device_follow.sh 580 1                                          # call 5
# exit 3 after 585 s (567 s left): one-step at epoch 33 of 100 (17.5-28.7 s an epoch)
bash benchmarks/device_follow.sh 500 1                                          # call 6, timeout_s=540
# exit 3 after 505 s (52 s left; the machine given back): two-step's autoencoder done (50
# epochs in 25:23), its classifier at epoch 22 of 100 (~1.1 s an epoch); one-step at epoch 54
# of 100 (20.5 s an epoch). Each call brought back runs.tgz, the two cells' checkpoints (3
# parts, 42 MiB in the last: two-step's after its autoencoder and classifier epoch 16, one-step's
# after epoch 53) and JAX's compilation cache (2 parts, 16.8 MiB packed in call 4, 17.7 MiB in
# call 6: 7 jit_train_step programs, five of 3.3 MiB). Kept under /work/notes/stop40-device/6
# (this session's /work/.device/6) for the next session's --runs.
