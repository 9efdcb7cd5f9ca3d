# The device calls of the 2026-12-07 15:38 UTC session (stop 37): the `seed` preset with
# ResNet v2 on FER2013, seed 0 (its two-step, one-step and contrastive cells), then DenseNet-BC's
# supervised cell and ResNet v2's self-training (benchmarks/README, "The `seed` preset with the
# new encoders").
# Staging, fresh (no checkpoints were pending):
#   python benchmarks/stage_data.py fer2013 --data-dir ../shared/data --with .whl   # 4 calls
bash .stage1/copy.sh && ls -la /root/stage && nvidia-smi --query-gpu=name,memory.total --format=csv
# call 1, 15:38 UTC: an H100 80GB HBM3 at the first try (27 s held, 1,772 s left)
bash .stage2/copy.sh && ls /root/stage                                          # calls 2-3,
bash .stage3/copy.sh && ls /root/stage                                          # 0.2 s each
bash .stage4/restore.sh && source benchmarks/_device_env.sh && decode_datasets fer2013 \
  && mkdir -p /root/runs && cp -r benchmarks/results/seed-preset-encoders-fer2013-partial /root/runs/fer-seed-v2 \
  && SEMISUP_COMMIT=e632b0a bash benchmarks/device_grid.sh fer-seed-v2 --preset seed --dataset fer2013 \
     --encoder resnet_v2 --strategies two_step_autoencoder,one_step_autoencoder,contrastive \
     --filters none --seeds 0 --jobs 3 \
  && bash benchmarks/device_follow.sh 520 1                                     # call 4, timeout 600 s
# exit 3 after 532 s (1,200 s left); the three cells' checkpoints came back but the one-step
# autoencoder's (the last started), over the room beside runs.tgz
bash benchmarks/device_follow.sh 580 1                                          # call 5
# exit 0 after 561 s, 633 s left: the grid done in 1,090 s (timing-2026-12-07g.txt): two-step
# autoencoder 0.2761 (860 s), contrastive 0.4544 (913 s), one-step autoencoder 0.4444 (1,068 s).
# Merged:
#   semisup bench merge --force results/seed-preset-encoders-fer2013-partial <fer-seed-v2>
#   semisup bench report results/seed-preset-encoders-fer2013-partial
# (log fer-seed-v2-2026-12-07g.log, grid config config-v2-2026-12-07g.json)
source benchmarks/_device_env.sh \
  && SEMISUP_COMMIT=e632b0a bash benchmarks/device_grid.sh fer-seed-dn --preset seed --dataset fer2013 \
     --encoder densenet_bc --strategies supervised --filters none --seeds 0 --jobs 1 \
  && SEMISUP_COMMIT=e632b0a bash benchmarks/device_grid.sh fer-seed-v2st --preset seed --dataset fer2013 \
     --encoder resnet_v2 --strategies self_training --filters none --seeds 0 --jobs 1 \
  && bash benchmarks/device_follow.sh 540 3                                     # call 6
# exit 3 after 543 s, 75 s left, machine given back. Neither finished: DenseNet-BC's supervised
# fit at epoch 58 of 100 (first epoch 226 s with compiling, then 3.0-3.7 s; checkpoint at
# epoch 49), ResNet v2's self-training starting round 2 (round 0 99 s, round 1 6 min 44 s;
# checkpoint holds rounds 0 and 1). Both checkpoints came back (45 MiB) and are kept under
# /work/notes/stop37-device/6/ for the next session (logs fer-seed-dn-2026-12-07g-unfinished.log,
# fer-seed-v2st-2026-12-07g-unfinished.log; configs config-dn-2026-12-07g.json,
# config-v2st-2026-12-07g.json).
