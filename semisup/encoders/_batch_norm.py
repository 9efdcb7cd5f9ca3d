"""Batch normalization whose moving statistics are bias-corrected from the first step.

Keras's `BatchNormalization` starts its moving mean at 0 and its moving variance at 1 and moves
them towards each batch's statistics by `1 - momentum`. After t training steps the initial values
still weigh `momentum ** t`: at FixMatch's momentum of 0.999, 72 % after 334 steps and 26 % after
1,336. A network can then train well and predict badly in inference mode, the mode every
evaluation, pseudo-label monitor and frozen encoder uses: on FER2013, WRN-28-8's test accuracy
stayed at one class's share (0.17) for its first ~1,300 steps under every method, with the
averaged and the raw weights alike (benchmarks/README.md).

`BiasCorrectedBatchNormalization` counts its training steps and gives the t-th batch the weight
`(1 - momentum) / (1 - momentum ** t)` (1 for the first batch), which makes the moving statistics
exactly the `momentum`-weighted average of the batch statistics seen so far, the initial values
weighing nothing: Adam's bias correction, applied to the update instead of the read-out. Once
`momentum ** t` is negligible (t >> 1 / (1 - momentum)) the update is Keras's. Inference reads
the moving statistics as Keras does, so a trained layer's weights mean the same in a stock
`BatchNormalization`.
"""

from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="semisup")
class BiasCorrectedBatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization` with bias-corrected moving statistics (module docstring).

    Args:
        bias_correction: weight the early batches as described above; False gives Keras's own
            update (kept for comparisons: `benchmarks/batch_norm_short_runs.py`).
        **kwargs: `keras.layers.BatchNormalization`'s arguments. Batch renormalization
            (`renorm=True`) and masked inputs are not supported.

    The count of training steps is a non-trainable float32 weight, `update_count`, saved and
    restored with the others. A frozen layer (`trainable=False`) or a call with
    `training=False` neither counts nor updates.

    Example:
        >>> import numpy as np
        >>> layer = BiasCorrectedBatchNormalization(momentum=0.999)
        >>> batch = np.arange(8, dtype="float32").reshape(4, 2)
        >>> _ = layer(batch, training=True)
        >>> np.asarray(layer.moving_mean).tolist()  # the batch's mean, not 0.001 of it
        [3.0, 4.0]
    """

    def __init__(self, bias_correction: bool = True, **kwargs):
        if kwargs.get("renorm"):
            raise ValueError(
                "BiasCorrectedBatchNormalization does not support renorm=True; use "
                "keras.layers.BatchNormalization for batch renormalization."
            )
        if not isinstance(bias_correction, bool):
            raise TypeError(f"bias_correction must be True or False, got {bias_correction!r}.")
        super().__init__(**kwargs)
        self.bias_correction = bias_correction

    def build(self, input_shape):
        super().build(input_shape)
        self.update_count = self.add_weight(
            shape=(), name="update_count", initializer="zeros", trainable=False, autocast=False
        )

    def call(self, inputs, training=None, mask=None):
        if mask is not None:
            raise ValueError(
                "BiasCorrectedBatchNormalization does not support masked inputs; use "
                "keras.layers.BatchNormalization there."
            )
        # as Keras does: statistics and normalization in float32 at least, output in the
        # layer's compute dtype
        x = ops.cast(inputs, keras.backend.result_type(inputs.dtype, "float32"))
        moving_mean = ops.cast(self.moving_mean, x.dtype)
        moving_variance = ops.cast(self.moving_variance, x.dtype)
        if training and self.trainable:
            mean, variance = ops.moments(
                x, axes=self._reduction_axes, synchronized=self.synchronized
            )
            count = self.update_count + 1.0
            rate = ops.convert_to_tensor(1.0 - self.momentum, x.dtype)
            if self.bias_correction and self.momentum > 0:
                # 1 - momentum ** count, as -expm1(count * log(momentum)) to keep float32's
                # precision near 0; it is >= 1 - momentum > 0, so the division is safe
                log_momentum = math.log(self.momentum)
                rate = rate / -ops.expm1(ops.cast(count, x.dtype) * log_momentum)
            self.moving_mean.assign(moving_mean + rate * (mean - moving_mean))
            self.moving_variance.assign(moving_variance + rate * (variance - moving_variance))
            self.update_count.assign(count)
        else:
            mean, variance = moving_mean, moving_variance
        gamma = ops.cast(self.gamma, x.dtype) if self.scale else None
        beta = ops.cast(self.beta, x.dtype) if self.center else None
        outputs = ops.batch_normalization(
            x, mean, variance, axis=self.axis, offset=beta, scale=gamma, epsilon=self.epsilon
        )
        return ops.cast(outputs, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "bias_correction": self.bias_correction}
