# The device calls of the 2026-12-07 16:58 UTC session (stop 38): stop 37's two unfinished
# cells resumed, DenseNet-BC's supervised fit and ResNet v2's self-training (benchmarks/README,
# "The `seed` preset with the new encoders"), then DenseNet-BC's next three cells.
# Staging, with stop 37's last call's files (runs.tgz and its three checkpoint parts):
#   python benchmarks/stage_data.py fer2013 --data-dir ../shared/data --with .whl \
#     --runs /work/notes/stop37-device/6/runs.tgz /work/notes/stop37-device/6/checkpoints.tgz.part*
#   # 7 calls
nvidia-smi --query-gpu=name,memory.total --format=csv && bash .stage1/copy.sh && ls /root/stage
# call 1, 16:58 UTC: an H100 80GB HBM3 at the first try (87 s held, 1,712 s left)
bash .stage2/copy.sh && ls /root/stage                                          # calls 2-6,
bash .stage3/copy.sh && ls /root/stage                                          # 0.2 s each
bash .stage4/copy.sh && ls /root/stage                                          # (1,693 s left)
bash .stage5/copy.sh && ls /root/stage
bash .stage6/copy.sh && ls /root/stage
bash .stage7/restore.sh && source benchmarks/_device_env.sh && decode_datasets fer2013 \
  && SEMISUP_COMMIT=b333686 bash benchmarks/device_grid.sh fer-seed-dn --preset seed --dataset fer2013 \
     --encoder densenet_bc --strategies supervised --filters none --seeds 0 --jobs 1 \
  && SEMISUP_COMMIT=b333686 bash benchmarks/device_grid.sh fer-seed-v2st --preset seed --dataset fer2013 \
     --encoder resnet_v2 --strategies self_training --filters none --seeds 0 --jobs 1 \
  && bash benchmarks/device_follow.sh 520 3                                     # call 7, carry .stage7 .whl
# exit 3 after 529 s (1,156 s left): DenseNet-BC at epoch 100 of 100 (resumed after epoch 49),
# ResNet v2's self-training in round 2 (epoch 92 of 100; resumed after rounds 0 and 1)
bash benchmarks/device_follow.sh 580 3                                          # call 8
# exit 0 after 431 s (717 s left): both done (timing-2026-12-07h.txt, whose first line is stop
# 37's grid): DenseNet-BC's supervised 0.5130 (964.2 s of fit, 480.3 s of it in stop 37's
# process), ResNet v2's self-training 0.4425 (1,446.7 s, 503.5 s of it in stop 37's).
# Merged:
#   semisup bench merge --force results/seed-preset-encoders-fer2013-partial <fer-seed-dn> <fer-seed-v2st>
#   semisup bench report results/seed-preset-encoders-fer2013-partial
# (logs fer-seed-dn-2026-12-07h.log, fer-seed-v2st-2026-12-07h.log; the grid configs are those
# of stop 37, config-dn-2026-12-07g.json and config-v2st-2026-12-07g.json, unchanged)
cp -r benchmarks/results/seed-preset-encoders-fer2013-partial /root/runs/fer-seed-dn2 \
  && source benchmarks/_device_env.sh \
  && SEMISUP_COMMIT=b333686 bash benchmarks/device_grid.sh fer-seed-dn2 --preset seed --dataset fer2013 \
     --encoder densenet_bc --strategies two_step_autoencoder,one_step_autoencoder,contrastive \
     --filters none --seeds 0 --jobs 3 \
  && bash benchmarks/device_follow.sh 530 4                                     # call 9
# the machine was taken back for other work before the call finished: nothing came back, 391 s
# of device time spent (326 s left, too little to start and stage a fresh machine). These
# three cells start over in the next session.
