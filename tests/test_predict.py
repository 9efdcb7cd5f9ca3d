import logging

import keras
import numpy as np
import pytest

from semisup._logging import _KerasPredictRetracingFilter
from semisup._predict import batched_predict

pytestmark = pytest.mark.backend  # compilation per shape is what differs between backends


class _TracedBatchSizes(keras.layers.Layer):
    """Identity that records the batch size of every trace (calls run in Python only then)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.traced = []

    def call(self, x):
        self.traced.append(x.shape[0])
        return x


def _model(outputs="one"):
    inputs = keras.Input(shape=(3,))
    recorder = _TracedBatchSizes()
    hidden = keras.layers.Dense(4, kernel_initializer="glorot_uniform")(recorder(inputs))
    if outputs == "one":
        out = hidden
    elif outputs == "list":
        out = [hidden, keras.layers.Dense(2)(hidden)]
    else:
        out = {"a": hidden, "b": keras.layers.Dense(2)(hidden)}
    model = keras.Model(inputs, out)
    recorder.traced.clear()  # the functional build called it symbolically
    return model, recorder


@pytest.mark.parametrize("n", [1, 5, 8, 13, 16, 29])
def test_rows_are_those_of_keras_predict(n):
    model, _ = _model()
    x = np.random.default_rng(n).normal(size=(n, 3)).astype("float32")
    np.testing.assert_allclose(
        batched_predict(model, x, 8),
        model.predict(x, batch_size=8, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize("outputs", ["list", "dict"])
def test_several_outputs_keep_their_structure(outputs):
    model, _ = _model(outputs)
    x = np.random.default_rng(0).normal(size=(13, 3)).astype("float32")
    got = batched_predict(model, x, 8)
    want = model.predict(x, batch_size=8, verbose=0)
    got_leaves, want_leaves = keras.tree.flatten(got), keras.tree.flatten(want)
    assert type(got) is type(want) and len(got_leaves) == len(want_leaves) == 2
    for g, w in zip(got_leaves, want_leaves):
        assert g.shape == w.shape == (13, w.shape[1])
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_a_partial_last_batch_is_padded_to_the_full_one():
    # Keras alone traces twice, for 8 and for 5 (TensorFlow's second trace is shape-generic)
    model, recorder = _model()
    x = np.ones((13, 3), "float32")
    model.predict(x, batch_size=8, verbose=0)
    assert len(recorder.traced) == 2

    model, recorder = _model()
    batched_predict(model, x, 8)
    batched_predict(model, x[:11], 8)  # another pool size, the same compiled shape
    assert recorder.traced == [8]


def test_fewer_images_than_a_batch_round_up_to_a_power_of_two():
    model, recorder = _model()
    for n in (5, 6, 7):
        assert batched_predict(model, np.ones((n, 3), "float32"), 1024).shape == (n, 4)
    assert recorder.traced == [8]
    # never above batch_size, when that is no power of two
    assert batched_predict(model, np.ones((11, 3), "float32"), 12).shape == (11, 4)
    assert len(recorder.traced) == 2 and recorder.traced[1] in (12, None)  # None: TF, generic


def test_no_images_give_no_rows():
    model, _ = _model()
    assert batched_predict(model, np.ones((0, 3), "float32"), 8).shape[0] == 0


def _passes(message):
    return _KerasPredictRetracingFilter().filter(
        logging.LogRecord("tensorflow", logging.WARNING, __file__, 1, message, None, None)
    )


def test_only_the_retracing_warning_about_keras_predict_functions_is_dropped():
    keras_predict = (
        "5 out of the last 9 calls to <function TensorFlowTrainer.make_predict_function.<locals>"
        ".one_step_on_data_distributed at 0x7f> triggered tf.function retracing. Tracing is "
        "expensive"
    )
    assert not _passes(keras_predict)
    assert _passes(
        "5 out of the last 5 calls to <function my_step at 0x7f> triggered tf.function retracing."
    )
    assert _passes("some other warning")


def test_importing_semisup_installs_the_filter_once():
    import semisup  # noqa: F401
    from semisup._logging import quiet_keras_predict_retracing

    quiet_keras_predict_retracing()
    filters = logging.getLogger("tensorflow").filters
    assert sum(isinstance(f, _KerasPredictRetracingFilter) for f in filters) == 1
