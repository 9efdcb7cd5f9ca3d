"""`model.predict` in batches of few shapes, so that a compiled predict step is reused.

Keras compiles its predict step once per input shape: with 1,400 images in batches of 1,024,
`model.predict` compiles it twice (1,024 and 376 images), and a strategy that predicts on a
pool of another size each round (self-training) or builds a new model each round compiles the
second shape again every time. Under TensorFlow that retracing also prints TensorFlow's "triggered
tf.function retracing" warning once a few new models have predicted; under JAX each new shape is
an XLA compilation. `batched_predict` pads the last partial batch to a full one (a copy of at most
one batch, not of the input), and a call on fewer images than a batch rounds the batch up to the
next power of two, so a model sees at most a handful of shapes, and a new model compiles one.
"""

from __future__ import annotations

import keras
import numpy as np


def batched_predict(model: keras.Model, x: np.ndarray, batch_size: int):
    """`model.predict(x, batch_size=batch_size, verbose=0)`, compiled for one batch shape.

    Args:
        model: any Keras model whose outputs are computed image by image (no statistics
            across the batch at inference, as with Keras layers in inference mode).
        x: the inputs, a NumPy array with at least one row.
        batch_size: the largest batch predicted at once.

    Returns:
        What `model.predict` returns (an array, or a list / dict of arrays for a model of
        several outputs), for the rows of `x` only.
    """
    n = len(x)
    if n == 0:  # Keras cannot predict on no rows; one zero image gives the outputs' shapes
        tail = model.predict(np.zeros((1, *x.shape[1:]), x.dtype), batch_size=1, verbose=0)
        return keras.tree.map_structure(lambda out: out[:0], tail)
    batch = int(batch_size)
    if n < batch:
        batch = min(batch, 1 << (n - 1).bit_length())  # the next power of two, or batch_size
    full = (n // batch) * batch
    parts = []
    if full:
        parts.append(model.predict(x[:full], batch_size=batch, verbose=0))
    rest = n - full
    if rest:
        padded = np.zeros((batch, *x.shape[1:]), dtype=x.dtype)
        padded[:rest] = x[full:]
        tail = model.predict(padded, batch_size=batch, verbose=0)
        parts.append(keras.tree.map_structure(lambda out: out[:rest], tail))
    if len(parts) == 1:
        return parts[0]
    return keras.tree.map_structure(lambda *outs: np.concatenate(outs), *parts)
