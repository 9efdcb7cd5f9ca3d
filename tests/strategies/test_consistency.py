"""FixMatch, Mean Teacher, pseudo-label and the Pi-model: their losses against hand-made logits,
the teacher's averaging, and short fits of each on tiny images."""

import h5py
import keras
import numpy as np
import pytest
from sklearn.base import BaseEstimator

from semisup import strategies
from semisup.strategies._consistency import (
    BestEpoch,
    BiasCorrectedWeightAverage,
    FixMatchCosineDecay,
    OnDeviceImages,
    l2_penalty,
    pseudo_label_cross_entropy,
    rampup,
    softmax_mse,
    with_bias_corrected_weight_average,
)
from semisup.strategies.mean_teacher import ema_update, teacher_decay_at

NAMES = ["fixmatch", "freematch", "softmatch", "mean_teacher", "pseudo_label", "pi_model"]
# 4 steps of 4 labeled + 8 unlabeled images in 2 epochs: a fit takes a few seconds on a CPU
FAST = {"steps": 4, "epochs": 2, "batch_size": 4, "mu": 2, "random_state": 0}


def make(name, **overrides):
    return strategies.get(name)(**{**FAST, **overrides})


def numbers(tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype=np.float64)


def gradients(function, *arguments):
    """d function / d each argument, with the backend's own autodiff."""
    arguments = [np.asarray(a, dtype="float32") for a in arguments]
    if keras.backend.backend() == "jax":
        import jax

        return [np.asarray(g) for g in jax.grad(function, argnums=(0, 1))(*arguments)]
    import tensorflow as tf

    variables = [tf.Variable(a) for a in arguments]
    with tf.GradientTape() as tape:
        value = function(*variables)
    return [
        np.zeros_like(a) if g is None else g.numpy()
        for a, g in zip(arguments, tape.gradient(value, variables))
    ]


def cross_entropy(logits, label):
    logits = np.asarray(logits, dtype=np.float64)
    return float(np.log(np.exp(logits).sum()) - logits[label])


# ---------------------------------------------------------------------------- pure pieces
@pytest.mark.backend
def test_pseudo_label_loss_keeps_confident_argmax_of_the_weak_view_only():
    weak = np.array(
        [
            [9.0, 0.0, 0.0],  # confident: class 0
            [0.0, 0.0, 0.0],  # uniform: 1/3
            [0.0, 8.0, 1.0],  # confident: class 1
            [2.0, 0.0, 0.0],  # top probability 0.79: below 0.95
        ],
        dtype="float32",
    )
    # the strong view disagrees with the weak one: the pseudo-label must come from the weak view
    strong = np.array(
        [[0.0, 3.0, 0.0], [5.0, 0.0, 0.0], [2.0, 0.0, 1.0], [0.0, 0.0, 4.0]], dtype="float32"
    )
    loss, mask = pseudo_label_cross_entropy(weak, strong, 0.95)
    np.testing.assert_array_equal(numbers(mask), [1.0, 0.0, 1.0, 0.0])
    # normalised by all 4 unlabeled images, not by the 2 that are kept
    expected = (cross_entropy(strong[0], 0) + cross_entropy(strong[2], 1)) / 4
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)

    # below-threshold images contribute nothing, whatever their strong logits
    changed = strong.copy()
    changed[[1, 3]] = [[-50.0, 50.0, 0.0], [7.0, -7.0, 30.0]]
    np.testing.assert_allclose(
        float(pseudo_label_cross_entropy(weak, changed, 0.95)[0]), expected, rtol=1e-5
    )

    # a threshold of 1 keeps nothing short of certainty; a low one keeps every image
    assert float(pseudo_label_cross_entropy(weak, strong, 1.0)[0]) == pytest.approx(0.0, abs=1e-6)
    assert numbers(pseudo_label_cross_entropy(weak, strong, 0.5)[1]).tolist() == [1, 0, 1, 1]


@pytest.mark.backend
def test_pseudo_labels_carry_no_gradient():
    weak = np.array([[4.0, 0.0], [0.0, 5.0]], dtype="float32")
    strong = np.array([[1.0, 0.0], [0.0, 1.0]], dtype="float32")
    to_weak, to_strong = gradients(
        lambda w, s: pseudo_label_cross_entropy(w, s, 0.9)[0], weak, strong
    )
    np.testing.assert_array_equal(to_weak, 0.0)
    assert np.abs(to_strong).sum() > 0


@pytest.mark.backend
def test_softmax_mse_matches_numpy_and_is_zero_for_equal_views():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 5, 4)).astype("float32")

    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    expected = np.mean((softmax(a) - softmax(b)) ** 2)
    np.testing.assert_allclose(float(softmax_mse(a, b)), expected, rtol=1e-5)
    assert float(softmax_mse(a, a)) == 0.0
    to_a, to_b = gradients(softmax_mse, a, b)  # the Pi-model's loss: both views get a gradient
    assert np.abs(to_a).sum() > 0 and np.abs(to_b).sum() > 0


def _averaged_run(momentum, steps=5):
    """A tiny regression fitted with a corrected weight average, one step an epoch (JAX gives
    the weights back to callbacks at epoch ends): the raw weights after each step, the average
    Keras copied into the model at the end, and the optimizer."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    optimizer = with_bias_corrected_weight_average(
        keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=momentum)
    )
    model.compile(optimizer=optimizer, loss="mse")

    def flat():
        return np.concatenate([np.ravel(numbers(v)) for v in model.trainable_variables])

    seen = []
    record = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(flat()))
    x = np.random.default_rng(0).normal(size=(4, 2)).astype("float32")
    y = x @ np.array([[1.5], [-2.0]], "float32") + 0.5
    model.fit(x, y, batch_size=4, epochs=steps, shuffle=False, callbacks=[record], verbose=0)
    return np.array(seen), flat(), optimizer


@pytest.mark.backend
@pytest.mark.parametrize("momentum", [0.0, 0.9, 0.999])
def test_the_weight_average_is_the_momentum_weighted_mean_of_the_steps_weights(momentum):
    seen, final, optimizer = _averaged_run(momentum)
    assert len(seen) == 5 and isinstance(optimizer, BiasCorrectedWeightAverage)
    age = np.arange(len(seen))[::-1]  # steps since each weight was reached
    weights = momentum**age
    expected = (weights[:, None] * seen).sum(axis=0) / weights.sum()
    np.testing.assert_allclose(final, expected, rtol=1e-5, atol=1e-6)
    if momentum == 0.999:
        # Keras's own average would still hold 0.999^4 of the first step's weights: about them
        first_step_heavy = 0.999**4 * seen[0] + (1 - 0.999) * (weights[1:, None] * seen[1:]).sum(0)
        assert not np.allclose(final, first_step_heavy, atol=1e-4)


def test_the_correction_wraps_an_averaging_optimizer_once_and_leaves_others_alone():
    plain = keras.optimizers.SGD(0.1)
    assert with_bias_corrected_weight_average(plain) is plain
    assert type(plain) is keras.optimizers.SGD
    averaging = keras.optimizers.Adam(0.1, use_ema=True)
    wrapped = with_bias_corrected_weight_average(averaging)
    assert wrapped is averaging and isinstance(wrapped, keras.optimizers.Adam)
    assert type(wrapped).__name__ == "Adam"
    assert with_bias_corrected_weight_average(wrapped).__class__ is type(wrapped)
    # a copy made from its config, as the strategies make per fit, is wrapped the same way
    again = type(wrapped).from_config(wrapped.get_config())
    assert with_bias_corrected_weight_average(again).__class__ is type(wrapped)


def test_the_consistency_methods_evaluate_the_corrected_average(tiny_images):
    x, y, _ = tiny_images
    assert isinstance(make("fixmatch").fit(x, y).trainer_.optimizer, BiasCorrectedWeightAverage)
    assert not make("pi_model", ema_decay=None).fit(x, y).trainer_.optimizer.use_ema


def test_rampup_shapes():
    assert float(rampup(0, 10, "sigmoid")) == pytest.approx(np.exp(-5.0))
    assert float(rampup(5, 10, "sigmoid")) == pytest.approx(np.exp(-5.0 * 0.25))
    assert float(rampup(10, 10, "sigmoid")) == pytest.approx(1.0)
    assert float(rampup(25, 10, "sigmoid")) == pytest.approx(1.0)
    assert [float(rampup(s, 4, "linear")) for s in (0, 2, 4, 9)] == [0.0, 0.5, 1.0, 1.0]
    assert float(rampup(0, 0)) == 1.0


def test_fixmatch_cosine_decay():
    schedule = FixMatchCosineDecay(0.03, 1000)
    np.testing.assert_allclose(float(schedule(0)), 0.03, rtol=1e-6)
    np.testing.assert_allclose(float(schedule(500)), 0.03 * np.cos(7 * np.pi / 32), rtol=1e-5)
    np.testing.assert_allclose(float(schedule(1000)), 0.03 * np.cos(7 * np.pi / 16), rtol=1e-5)
    np.testing.assert_allclose(float(schedule(5000)), float(schedule(1000)))
    assert (
        FixMatchCosineDecay.from_config(schedule.get_config()).get_config() == schedule.get_config()
    )


def test_l2_penalty_covers_kernels_not_biases():
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    layer.bias.assign(np.ones(3, "float32") * 7)
    kernel = numbers(layer.kernel)
    np.testing.assert_allclose(float(l2_penalty(layer.weights)), 0.5 * np.sum(kernel**2), rtol=1e-5)


def test_teacher_decay_warms_up_then_holds():
    assert [round(float(teacher_decay_at(s, 0.99)), 6) for s in (0, 1, 3)] == [0.0, 0.5, 0.75]
    assert float(teacher_decay_at(10_000, 0.99)) == pytest.approx(0.99)
    assert float(ema_update(np.float32(2.0), np.float32(4.0), 0.75)) == pytest.approx(2.5)


def test_on_device_images_store_8_bit_images_as_codes_and_give_them_back():
    codes = np.arange(2 * 4 * 4 * 1, dtype=np.uint8).reshape(2, 4, 4, 1) * 7
    images = codes.astype("float32") / np.float32(255)
    store = OnDeviceImages(images, labels=[3, 5])
    assert keras.backend.standardize_dtype(store.images.dtype) == "uint8"
    drawn, labels = store.sample(16, keras.random.SeedGenerator(0))
    drawn, labels = numbers(drawn), numbers(labels)
    for image, label in zip(drawn, labels):
        index = int(label == 5)
        np.testing.assert_allclose(image, images[index], atol=1e-7)
    assert set(labels.tolist()) == {3, 5}
    halves = OnDeviceImages(np.full((1, 2, 2, 1), 0.5, "float32"))
    assert keras.backend.standardize_dtype(halves.images.dtype) == "float32"


# ---------------------------------------------------------------------------- fitting
@pytest.fixture(scope="module")
def fitted(shared_tiny_images):
    """`fitted(name)`: `make(name)` fitted on the tiny images at its first use, then only read."""
    fits = {}

    def get(name):
        if name not in fits:
            x, y, _ = shared_tiny_images
            fits[name] = make(name).fit(x, y)
        return fits[name]

    return get


@pytest.mark.parametrize("name", NAMES)
def test_fits_a_few_steps_and_records_its_length(name, fitted, shared_tiny_images):
    x, y, y_true = shared_tiny_images
    model = fitted(name)
    proba = model.predict_proba(x)
    assert proba.shape == (len(x), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert np.all(np.isfinite(proba))
    assert model.training_length_ == {
        "unit": "steps",
        "value": 4,
        "steps": 4,
        "epochs": 2,
        "steps_per_epoch": 2,
        "images_per_step": 12,
    }
    assert model.images_seen_ == 4 * 12
    history = model.history_["consistency"]
    assert len(history["loss"]) == 2 and np.all(np.isfinite(history["loss"]))
    assert {"supervised_loss", "unlabeled_loss", "unlabeled_weight", "accuracy"} <= set(history)
    assert model.n_labeled_ == 10 and model.n_unlabeled_ == 30
    assert model.unlabeled_pool_ == "unlabeled"
    assert model.trainer_.unlabeled.count == 30 and model.trainer_.labeled.count == 10
    assert set(model.jit_compiled_) == {"consistency"}
    assert model.resumed_from_epoch_ == {}
    assert np.array_equal(model.classes_, [0, 1])


def test_training_length_in_images_is_rounded_up_to_whole_steps(tiny_images):
    x, y, _ = tiny_images
    model = make("pi_model", steps=None, images=100).fit(x, y)
    # 12 images a step: 9 steps cover 100 images; 2 epochs of 5 steps
    assert model.training_length_ == {
        "unit": "images",
        "value": 100,
        "steps": 10,
        "epochs": 2,
        "steps_per_epoch": 5,
        "images_per_step": 12,
    }
    assert model.images_seen_ == 120
    assert int(keras.ops.convert_to_numpy(model.trainer_.optimizer.iterations)) == 10


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="CPU determinism, TF")
@pytest.mark.parametrize("name", NAMES)
def test_same_random_state_gives_the_same_model(name, fitted, shared_tiny_images):
    x, y, _ = shared_tiny_images
    first = fitted(name)
    second = make(name).fit(x, y)
    np.testing.assert_array_equal(first.predict_proba(x), second.predict_proba(x))
    assert first.history_ == second.history_
    other = make(name, random_state=1).fit(x, y)
    assert not np.allclose(first.predict_proba(x), other.predict_proba(x))


def test_the_teacher_is_the_moving_average_of_the_student(tiny_images):
    x, y, _ = tiny_images

    class StudentWatcher(keras.callbacks.Callback):
        """One step per epoch: the student's weights before each step."""

        def __init__(self):
            super().__init__()
            self.before_step = []

        def on_epoch_begin(self, epoch, logs=None):
            weights = self.model.classifier.trainable_variables
            self.before_step.append([numbers(w) for w in weights])

    watcher = StudentWatcher()
    model = make(
        "mean_teacher", steps=3, epochs=3, ema_decay=None, teacher_decay=0.5, callbacks=[watcher]
    ).fit(x, y)
    s0, s1, s2 = watcher.before_step
    # alpha = min(1 - 1 / (t + 1), 0.5): 0 (a copy), then 0.5, 0.5
    expected = [0.5 * (0.5 * a + 0.5 * b) + 0.5 * c for a, b, c in zip(s0, s1, s2)]
    teacher = [numbers(w) for w in model.trainer_.teacher_weights]
    assert len(teacher) == len(expected) > 0
    for got, want in zip(teacher, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert any(not np.allclose(a, c) for a, c in zip(s0, s2)), "the student must have moved"
    # without evaluation EMA the model predicted with is the student after the last step
    assert int(keras.ops.convert_to_numpy(model.trainer_.step_counter)) == 3


def test_predictions_use_the_moving_average_and_training_ignores_it(tiny_images):
    x, y, _ = tiny_images
    params = {"steps": 6, "epochs": 3, "learning_rate": 0.1}
    raw = make("fixmatch", ema_decay=None, **params).fit(x, y)
    averaged = make("fixmatch", ema_decay=0.9, **params).fit(x, y)
    assert averaged.trainer_.optimizer.use_ema
    if keras.backend.backend() == "tensorflow":  # the same updates, to the last bit
        assert averaged.history_["consistency"]["loss"] == raw.history_["consistency"]["loss"]
    assert not np.allclose(averaged.predict_proba(x), raw.predict_proba(x), atol=1e-6)


def test_validation_data_gives_validation_curves_only_for_loss_and_accuracy(tiny_images):
    x, y, y_true = tiny_images
    model = make("fixmatch").fit(x, y, validation_data=(x, y_true))
    history = model.history_["consistency"]
    assert {k for k in history if k.startswith("val_")} == {"val_loss", "val_accuracy"}
    assert len(history["val_loss"]) == 2 and np.all(np.isfinite(history["val_loss"]))


@pytest.mark.backend
@pytest.mark.parametrize("ema_decay", [0.5, None])
def test_select_best_epoch_predicts_with_the_best_validation_epoch(tiny_images, ema_decay):
    x, y, y_true = tiny_images
    # validation labels the model learns away from (two classes, swapped): its validation
    # accuracy falls as it trains, so an early epoch is the best and the last is not
    validation = (x, 1 - y_true)
    model = make("fixmatch", steps=12, epochs=6, ema_decay=ema_decay, select_best_epoch=True).fit(
        x, y, validation_data=validation
    )
    curve = model.history_["consistency"]["val_accuracy"]
    best = int(np.argmax(curve))  # the first of the highest
    assert model.best_epoch_ == {"epoch": best + 1, "val_accuracy": pytest.approx(curve[best])}
    # the model predicts exactly as the validation pass of that epoch scored, not as the last
    assert model.score(*validation) == pytest.approx(curve[best], abs=1e-6)


@pytest.mark.backend
def test_best_epoch_keeps_the_averaged_weights_and_statistics_of_the_best_epoch():
    keras.utils.set_random_seed(0)
    classifier = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(2),
        ]
    )
    optimizer = with_bias_corrected_weight_average(
        keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5)
    )
    classifier.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    best = BestEpoch(classifier)
    assert not best.restore()  # nothing kept yet
    scripted = [0.4, 0.7, 0.6, float("nan"), None]  # epoch 2 is the best
    snapshots = []

    def script_and_record(epoch, logs):
        if scripted[epoch] is not None:
            logs["val_accuracy"] = scripted[epoch]
        pairs = best._evaluated_pairs()
        assert all(weight is not average for weight, average in pairs)  # the EMA, not the weights
        snapshots.append(
            [numbers(average) for _, average in pairs]
            + [numbers(v) for v in classifier.non_trainable_variables]
        )

    script = keras.callbacks.LambdaCallback(on_epoch_end=script_and_record)
    classifier.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[script, best])
    assert best.best_epoch == 2 and best.best_accuracy == 0.7
    assert not all(np.allclose(a, b) for a, b in zip(snapshots[1], snapshots[-1]))
    assert best.restore()
    restored = [numbers(v) for v in classifier.trainable_variables] + [
        numbers(v) for v in classifier.non_trainable_variables
    ]
    for value, expected in zip(restored, snapshots[1]):
        np.testing.assert_allclose(value, expected, rtol=0, atol=0)


def test_select_best_epoch_needs_validation_data_and_is_off_by_default(tiny_images):
    x, y, _ = tiny_images
    assert make("pi_model").fit(x, y).best_epoch_ is None
    with pytest.raises(ValueError, match="select_best_epoch"):
        make("pi_model", select_best_epoch=True).fit(x, y)
    with pytest.raises(TypeError, match="select_best_epoch"):
        make("pi_model", select_best_epoch="yes").fit(x, y)


def test_without_unlabeled_images_the_labeled_ones_stand_in(tiny_images):
    x, y, _ = tiny_images
    labeled = y != -1
    model = make("fixmatch", confidence_threshold=0.5).fit(x[labeled], y[labeled])
    assert model.n_unlabeled_ == 0 and model.unlabeled_pool_ == "labeled"
    assert model.trainer_.unlabeled.count == model.n_labeled_ == 10
    assert model.predict_proba(x).shape == (len(x), 2)


class DropEveryOther(BaseEstimator):
    """A stand-in unlabeled-pool filter: keeps the even-numbered images."""

    def fit(self, X):
        return self

    def predict(self, X):
        return np.where(np.arange(len(X)) % 2 == 0, 1, -1)


def test_the_unlabeled_filter_shrinks_the_on_device_pool(tiny_images):
    x, y, _ = tiny_images
    model = make("pseudo_label", unlabeled_filter=DropEveryOther()).fit(x, y)
    assert model.n_unlabeled_removed_ == 15 and model.n_unlabeled_ == 15
    assert model.trainer_.unlabeled.count == 15


def test_checkpoints_resume_and_leave_the_images_out(tiny_images, tmp_path):
    x, y, _ = tiny_images
    first = make("mean_teacher").enable_checkpoints(tmp_path).fit(x, y)
    assert first.resumed_from_epoch_ == {"consistency": 0}
    saved = list(tmp_path.rglob("*.weights.h5"))
    assert saved
    with h5py.File(saved[0]) as handle:
        shapes = []
        handle.visititems(
            lambda name, item: shapes.append(item.shape) if isinstance(item, h5py.Dataset) else None
        )
    assert shapes and x.shape[1:] not in [shape[1:] for shape in shapes]  # no image set saved
    again = make("mean_teacher").enable_checkpoints(tmp_path).fit(x, y)
    assert again.resumed_from_epoch_ == {"consistency": 2}
    np.testing.assert_allclose(again.predict_proba(x), first.predict_proba(x), atol=1e-6)
    assert again.history_["consistency"]["loss"] == first.history_["consistency"]["loss"]


class _StopAfterSecondEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            self.model.stop_training = True


@pytest.mark.backend
@pytest.mark.parametrize("name", ["fixmatch", "mean_teacher"])
def test_a_fit_stopped_and_resumed_is_the_uninterrupted_fit(name, tiny_images, tmp_path):
    # the random state (the batches drawn, the augmentations) is in the checkpoint too: Keras
    # leaves a SeedGenerator out of saved weights, and a resumed fit drew its first batches again
    x, y, _ = tiny_images
    length = {"steps": 8, "epochs": 4}
    whole = make(name, **length).fit(x, y)
    stopped = make(name, **length, callbacks=[_StopAfterSecondEpoch()])
    stopped.enable_checkpoints(tmp_path, every_s=0).fit(x, y)
    resumed = make(name, **length).enable_checkpoints(tmp_path, every_s=0).fit(x, y)
    assert resumed.resumed_from_epoch_ == {"consistency": 2}
    np.testing.assert_allclose(resumed.predict_proba(x), whole.predict_proba(x), atol=1e-6)
    assert resumed.history_["consistency"]["loss"] == pytest.approx(
        whole.history_["consistency"]["loss"], abs=1e-6
    )


def test_saved_weights_carry_the_seed_generators_state_and_older_ones_still_load(tmp_path):
    from semisup.augmentation import Augmenter

    def model():
        inputs = keras.Input((8, 8, 3))
        return keras.Model(inputs, Augmenter(seed=3, name="augment")(inputs))

    images = np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
    drawn = model()
    drawn(images, training=True)  # one draw advances the generator
    state = numbers(drawn.get_layer("augment").seed_generator.state)
    drawn.save_weights(tmp_path / "drawn.weights.h5")
    fresh = model()
    assert not np.array_equal(numbers(fresh.get_layer("augment").seed_generator.state), state)
    fresh.load_weights(tmp_path / "drawn.weights.h5")
    np.testing.assert_array_equal(numbers(fresh.get_layer("augment").seed_generator.state), state)
    np.testing.assert_allclose(
        numbers(fresh(images, training=True)), numbers(drawn(images, training=True))
    )

    # weights saved without the state (before it was saved) load, the generator left as it is
    with h5py.File(tmp_path / "drawn.weights.h5", "a") as handle:
        found = []
        handle.visit(
            lambda name: found.append(name) if name.endswith("seed_generator_state") else None
        )
        assert found
        for name in found:
            del handle[name]
    older = model()
    before = numbers(older.get_layer("augment").seed_generator.state)
    older.load_weights(tmp_path / "drawn.weights.h5")
    np.testing.assert_array_equal(numbers(older.get_layer("augment").seed_generator.state), before)


@pytest.mark.backend
def test_the_fixmatch_step_compiles(tiny_images):
    x, y, _ = tiny_images
    model = make("fixmatch", steps_per_execution=2).fit(x, y)
    assert not model.trainer_.run_eagerly
    if keras.backend.backend() == "jax":
        assert model.trainer_.jit_compile is True
        assert model.jit_compiled_ == {"consistency": True}
    assert np.all(np.isfinite(model.history_["consistency"]["loss"]))


@pytest.mark.backend
@pytest.mark.parametrize("name", ["fixmatch", "freematch", "softmatch"])
def test_labeled_augmentation_strong_trains_the_labeled_images_on_the_strong_view(
    tiny_images, name
):
    x, y, _ = tiny_images
    model = make(name, labeled_augmentation="strong").fit(x, y)
    trainer = model.trainer_
    assert trainer.labeled_augmentation == "strong"
    assert model.get_params()["labeled_augmentation"] == "strong"
    assert np.all(np.isfinite(model.history_["consistency"]["loss"]))
    if keras.backend.backend() == "jax":
        assert model.jit_compiled_ == {"consistency": True}
    images = np.asarray(x[:8], "float32") / 255.0  # the trainer's views take [0, 1] floats
    # the labeled view draws exactly what the strong view draws from the same generator state
    state = numbers(trainer.seed_generator.state.value).copy()
    labeled = numbers(trainer.labeled_view(images))
    trainer.seed_generator.state.assign(state.astype("uint32"))
    np.testing.assert_allclose(labeled, numbers(trainer.strong(images)), atol=1e-6)
    trainer.seed_generator.state.assign(state.astype("uint32"))
    weak = numbers(trainer.weak(images))
    assert labeled.shape == weak.shape == images.shape
    assert labeled.min() >= 0 and labeled.max() <= 1
    assert not np.allclose(labeled, weak)  # RandAugment and Cutout on top of the weak view


def test_labeled_augmentation_defaults_to_the_weak_view(tiny_images):
    x, y, _ = tiny_images
    trainer = make("fixmatch").fit(x, y).trainer_
    assert trainer.labeled_augmentation == "weak"
    images = np.asarray(x[:8], "float32") / 255.0
    state = numbers(trainer.seed_generator.state.value).copy()
    labeled = numbers(trainer.labeled_view(images))
    trainer.seed_generator.state.assign(state.astype("uint32"))
    np.testing.assert_allclose(labeled, numbers(trainer.weak(images)), atol=1e-6)


# ---------------------------------------------------------------------------- parameters
@pytest.mark.parametrize(
    "name, params, message",
    [
        ("fixmatch", {"steps": None}, "exactly one of steps"),
        ("fixmatch", {"images": 1000}, "exactly one of steps"),
        ("pi_model", {"steps": 0}, "steps"),
        ("pi_model", {"steps": None, "images": 2.5}, "images"),
        ("fixmatch", {"confidence_threshold": 0.0}, "confidence_threshold"),
        ("pseudo_label", {"confidence_threshold": 1.5}, "confidence_threshold"),
        ("fixmatch", {"mu": 0.5}, "mu"),
        ("mean_teacher", {"teacher_decay": 1.0}, "teacher_decay"),
        ("fixmatch", {"ema_decay": 1.0}, "ema_decay"),
        ("pi_model", {"rampup_fraction": 2}, "rampup_fraction"),
        ("pi_model", {"unlabeled_weight": -1}, "unlabeled_weight"),
        ("fixmatch", {"learning_rate_schedule": "step"}, "learning_rate_schedule"),
        ("fixmatch", {"momentum": 1.0}, "momentum"),
        ("fixmatch", {"weight_decay": -1e-4}, "weight_decay"),
        ("fixmatch", {"num_operations": -1}, "num_operations"),
        ("fixmatch", {"cutout": 2}, "cutout"),
        ("fixmatch", {"labeled_augmentation": "medium"}, "labeled_augmentation"),
        ("freematch", {"labeled_augmentation": None}, "labeled_augmentation"),
        ("softmatch", {"labeled_augmentation": ["strong"]}, "labeled_augmentation"),
        ("fixmatch", {"translation": 1.5}, "translation"),
        ("fixmatch", {"epochs": 0}, "epochs"),
    ],
)
def test_bad_parameters_are_named(tiny_images, name, params, message):
    x, y, _ = tiny_images
    with pytest.raises(ValueError, match=message):
        make(name, **params).fit(x, y)


def test_type_errors_and_no_early_stopping(tiny_images):
    x, y, _ = tiny_images
    with pytest.raises(TypeError, match="horizontal_flip"):
        make("fixmatch", horizontal_flip="yes").fit(x, y)
    with pytest.raises(TypeError, match="early_stopping_patience"):
        make("fixmatch", early_stopping_patience=3)


@pytest.mark.parametrize("name", NAMES)
def test_registered_with_clonable_parameters(name):
    from sklearn.base import clone

    model = make(name)
    assert strategies.get(name) is type(model)
    params = model.get_params()
    assert {"steps", "images", "mu", "ema_decay", "horizontal_flip"} <= set(params)
    assert clone(model).get_params() == params
