"""semisup: semi-supervised learning strategies for image classification on one shared encoder.

Subpackages, in the order data flows through them:
`semisup.data` (loaders, label reduction) -> `semisup.filters` (unlabeled-pool filters) ->
`semisup.strategies` (classifiers around `semisup.encoders`).
"""

from semisup._logging import quiet_keras_predict_retracing as _quiet_keras_predict_retracing

__version__ = "0.1.0"

_quiet_keras_predict_retracing()
