# The device calls of the 2026-12-06c session (stop 30): the `seed` preset with the new
# encoders on FER2013, seed 0, continued (benchmarks/README, "The `seed` preset with the new
# encoders"), and the diagnostic of WRN-28-2's skewed predictions.
# Staging: python benchmarks/stage_data.py fer2013 --data-dir ../shared/data --with .whl
#   -> 4 calls (.stage1, .stage2, .stage3; .stage4 with .whl)
bash .stage1/copy.sh && nvidia-smi --query-gpu=name --format=csv,noheader   # first call
# That first call was refused ("no device machine could be started right now") at 21:53
# (181 s of device time), 22:03 (90 s), 22:14 (then a ~9-minute hold-off), 22:25 (inside the
# hold-off, 15 s) and 22:26 UTC (~180 s): 674 s of the session's 1,800 s were gone before an
# H100 (80GB HBM3) came at 22:38, 1,126 s left.
bash .stage2/copy.sh                                                          # call 2
bash .stage3/copy.sh                                                          # call 3
bash .stage4/restore.sh && source benchmarks/_device_env.sh && decode_datasets fer2013 \
  && mkdir -p /root/runs \
  && cp -r benchmarks/results/seed-preset-encoders-fer2013-partial /root/runs/fer-seed-enc-rest \
  && export SEMISUP_COMMIT=3a0575d \
  && bash benchmarks/device_grid.sh fer-seed-enc-st --preset seed --dataset fer2013 \
     --encoder resnet_v1,resnet_v2 --strategies self_training --filters none --seeds 0 --jobs 2 \
  && bash benchmarks/device_grid.sh fer-seed-enc-rest --preset seed --dataset fer2013 \
     --encoder resnet_v2,wrn28_2,densenet_bc \
     --strategies supervised,two_step_autoencoder,contrastive,one_step_autoencoder \
     --filters none --seeds 0 --jobs 6 \
  && bash benchmarks/device_grid.sh fer-seed-wrn-bn099 --preset seed --dataset fer2013 \
     --encoder 'wide_resnet[batch_norm_momentum=0.99]' --strategies supervised --filters none \
     --seeds 0 \
  && bash benchmarks/device_follow.sh 520 3                                   # call 4, timeout 600 s
# exit 3 after 529 s: the diagnostic done (0.4709, 157.9 s of fit, grid 223 s); 582 s left.
bash benchmarks/device_follow.sh 515 3                                        # call 5, at once, timeout 560 s
# exit 3 after 519 s, 55 s of device time left; the machine was given back. Done: ResNet v2's
# supervised cell (0.3656, 725.8 s of fit). Where the others were (logs in this folder):
#   self-training, ResNet v1: round 2, epoch 52 of 100 (round 0 86 s, round 1 497 s)
#   self-training, ResNet v2: round 0 done in 748 s, round 1 begun
#   two-step autoencoder, WRN-28-2: both phases done (reconstruction 16.6 s an epoch), being
#     evaluated when the last call packed the runs, so not in results.jsonl
#   contrastive, WRN-28-2: pretraining epoch 46 of 50 (~20 s an epoch)
#   two-step autoencoder, ResNet v2: reconstruction epoch 19 of 50 (27.7 s an epoch)
#   contrastive, ResNet v2: pretraining epoch 25 of 50 (32 s an epoch)
#   one-step autoencoder, ResNet v2: epoch 17 of 100 (29 s an epoch)
#   one-step autoencoder, WRN-28-2: claimed when ResNet v2's supervised cell finished
#     (~12 minutes in; claims/ in the returned run folder), no finished epoch shown by the end
#   DenseNet-BC: no cell started (6 workers busy)
# The progress bars of one grid's workers share a log and do not name their cell: the two
# contrastive cells are told apart by speed (ResNet v2 is the slower encoder: its supervised
# fit took 726 s against WRN-28-2's 158 s beside it, and its two-step autoencoder's checkpoint,
# which came back, was at reconstruction epoch 18, the 27.7 s-an-epoch bar).
# The last call brought back two cells' checkpoints (self-training ResNet v1, round 2; the
# two-step autoencoder ResNet v2, reconstruction epoch 18), the others did not fit in a call's
# 64 MiB. Merged (grid configs: config-*.json, timings: timing-2026-12-06c.txt):
#   semisup bench merge --force results/seed-preset-encoders-fer2013-partial \
#     <fer-seed-enc-rest> <fer-seed-wrn-bn099>
#   semisup bench report results/seed-preset-encoders-fer2013-partial
