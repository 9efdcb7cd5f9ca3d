"""Drops TensorFlow's frequent-retracing warning for Keras's predict functions, and no other.

Every Keras model traces its own predict function once (once per input shape, which
`semisup._predict.batched_predict` keeps to one). TensorFlow's detector of frequent
retracing counts the traces of all these functions together, since they share one code
object, so a strategy that builds a new model each round (self-training) or several models
in turn (the Deep SVDD filter, then a strategy) soon reads as "5 out of the last 9 calls to
<function TensorFlowTrainer.make_predict_function.<locals>.one_step_on_data_distributed>
triggered tf.function retracing", though no function was traced twice. The filter sits on the
standard `logging` logger named "tensorflow", so TensorFlow is not imported for it; under the
other backends nothing logs there. Retracing warnings about any other function still show.
"""

from __future__ import annotations

import logging

_MARKERS = ("triggered tf.function retracing", "make_predict_function")


class _KerasPredictRetracingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot be formatted is not ours to judge
            return True
        return not all(marker in message for marker in _MARKERS)


def quiet_keras_predict_retracing() -> None:
    """Install the filter once on the "tensorflow" logger."""
    logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _KerasPredictRetracingFilter) for f in logger.filters):
        logger.addFilter(_KerasPredictRetracingFilter())
