# The device calls of the 2026-12-07 13:55 UTC session (stop 36): the `seed` preset with
# WRN-28-2 and ResNet v1 on FER2013, seed 0, resumed from stop 35's checkpoints, then ResNet v2
# (benchmarks/README, "The `seed` preset with the new encoders").
# Staging, with stop 35's last call's files (kept under /work/notes/stop35-device/13/):
#   python benchmarks/stage_data.py fer2013 --data-dir ../shared/data --with .whl \
#     --runs /work/notes/stop35-device/13/runs.tgz /work/notes/stop35-device/13/checkpoints.tgz.part*
#   -> 6 calls (.stage1 ... .stage5; .stage6 with .whl)
bash .stage1/copy.sh && ls -la /root/stage && nvidia-smi --query-gpu=name,memory.total --format=csv
# call 1, 13:56 UTC: an H100 80GB HBM3 at the first try (32 s held, 1,767 s left)
bash .stage2/copy.sh && ls /root/stage                                          # calls 2-5,
bash .stage3/copy.sh && ls /root/stage                                          # ~4 s each
bash .stage4/copy.sh && ls /root/stage
bash .stage5/copy.sh && ls /root/stage
bash .stage6/restore.sh && source benchmarks/_device_env.sh && decode_datasets fer2013 \
  && ls /root/runs/fer-seed-enc /root/runs/fer-seed-enc/checkpoints \
  && SEMISUP_COMMIT=94cf1e6 bash benchmarks/device_grid.sh fer-seed-enc --preset seed \
     --dataset fer2013 --encoder resnet_v1,wrn28_2 \
     --strategies self_training,one_step_autoencoder,contrastive \
     --filters none --seeds 0 --jobs 4 \
  && bash benchmarks/device_follow.sh 530 1                                     # call 6, timeout 600 s
# (no `cp -r` of the partial folder: the run folder came back with runs.tgz.) Two checkpoints
# were there, WRN-28-2's contrastive (pretraining done) and one-step autoencoder (epoch 63);
# self-training's had not been kept, so WRN-28-2's and ResNet v1's started from scratch.
# exit 3 after 544 s (1,198 s left)
bash benchmarks/device_follow.sh 575 1                                          # call 7
# exit 0 after 526 s, 666 s left: the grid done in 1,066 s (timing-2026-12-07f.txt). Merged:
#   semisup bench merge --force results/seed-preset-encoders-fer2013-partial <fer-seed-enc>
#   semisup bench report results/seed-preset-encoders-fer2013-partial
# (log fer-seed-enc-2026-12-07f.log, grid config config-enc-2026-12-07f.json)
SEMISUP_COMMIT=94cf1e6 bash benchmarks/device_grid.sh fer-seed-v2 --preset seed --dataset fer2013 \
  --encoder resnet_v2 --strategies self_training,two_step_autoencoder,one_step_autoencoder,contrastive \
  --filters none --seeds 0 --jobs 4 && bash benchmarks/device_follow.sh 560 1     # call 8
# returned at once (0.5 s): timing.txt already had the first grid's line; the second grid
# needed RUNS_EXPECTED 2 (device_follow.sh now also waits while a grid's process runs)
bash benchmarks/device_follow.sh 570 2                                          # call 9
# exit 3 after 578 s, 68 s left, machine given back. None of ResNet v2's cells finished
# (log fer-seed-v2-2026-12-07f.log, config config-v2-2026-12-07f.json): two-step reconstruction
# epoch 31 of 50 (15.8-17.1 s an epoch), contrastive pretraining 27 of 50 (~19 s), one-step
# autoencoder 23 of 100 (16.5-17 s), self-training round 1 epoch 8 of 100. Their checkpoints
# (61 MiB) packed to 64 MiB, over the room beside runs.tgz, and device_follow.sh brought back
# none of them; it now leaves out the last-started cell and packs the rest again.
