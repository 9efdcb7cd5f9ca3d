# The device calls of the 2026-12-07 10:56 UTC session (stop 35): the `seed` preset with
# WRN-28-2 on FER2013, seed 0 (benchmarks/README, "The `seed` preset with the new encoders").
# Staging: python benchmarks/stage_data.py fer2013 --data-dir ../shared/data --with .whl
#   -> 4 calls (.stage1, .stage2, .stage3; .stage4 with .whl)
bash .stage1/copy.sh && ls -la /root/stage && nvidia-smi --query-gpu=name,memory.total --format=csv
# Refused or inside a hold-off at 11:00 (181 s), 11:10 (90 s), 11:19 (15 s), 11:24, 11:34,
# 11:36 (90 s each), 12:44 and 13:00 UTC (180 s each): 1,001 s of 1,800 gone. At 13:10 an
# H100 80GB HBM3 came, 799 s left.
bash .stage2/copy.sh && ls /root/stage                                          # call 2
bash .stage3/copy.sh && ls /root/stage                                          # call 3
bash .stage4/restore.sh && source benchmarks/_device_env.sh && decode_datasets fer2013 \
  && mkdir -p /root/runs \
  && cp -r benchmarks/results/seed-preset-encoders-fer2013-partial /root/runs/fer-seed-enc \
  && SEMISUP_COMMIT=97f79fd bash benchmarks/device_grid.sh fer-seed-enc --preset seed \
     --dataset fer2013 --encoder wrn28_2 \
     --strategies two_step_autoencoder,contrastive,one_step_autoencoder,self_training \
     --filters none --seeds 0 --jobs 4 \
  && bash benchmarks/device_follow.sh 545 1                                     # call 4, timeout 600 s
# exit 3 after 555 s, 223 s left: the two-step autoencoder's reconstruction phase done
# (50 epochs, 8:41, 10.4 s an epoch 4 ways shared).
bash benchmarks/device_follow.sh 150 1                                          # call 5, timeout 200 s
# exit 3 after 153 s, 60 s left, machine given back. Done: the two-step autoencoder, 0.2711
# (624.9 s of fit). Where the others were (log: fer-seed-enc-wrn-2026-12-07.log):
#   contrastive: pretraining done (50 epochs, 10:17), classifier phase begun
#   self-training: round 0 done (2:29), round 1 epoch 74 of 100
#   one-step autoencoder: epoch 69 of 100 (5.7 s an epoch)
# Their checkpoints came back (checkpoints.tgz.part00-02) and were copied to
# /work/notes/stop35-device/13/ on the working machine, for a session that still finds them.
# Merged: semisup bench merge --force results/seed-preset-encoders-fer2013-partial <fer-seed-enc>
#         semisup bench report results/seed-preset-encoders-fer2013-partial
