import json

import keras
import numpy as np
import pytest

from semisup.strategies import Supervised


def test_unlabeled_images_do_not_change_the_supervised_fit(tiny_images):
    x, y, _ = tiny_images
    labeled = y != -1
    with_pool = Supervised(epochs=2, batch_size=8, random_state=0).fit(x, y)
    without_pool = Supervised(epochs=2, batch_size=8, random_state=0).fit(x[labeled], y[labeled])
    np.testing.assert_allclose(with_pool.predict_proba(x), without_pool.predict_proba(x), atol=1e-6)


def test_network_is_seed_001_cnn():
    x = np.zeros((4, 32, 32, 3), dtype=np.uint8)
    y = np.array([0, 1, 2, 3])
    model = Supervised(epochs=1, batch_size=4, random_state=0).fit(x, y)
    layer_types = [type(layer).__name__ for layer in model.model_.layers]
    assert layer_types == ["InputLayer", "Functional", "MaxPooling2D", "Flatten", "Dense"]
    assert model.model_.layers[-1].units == 4
    assert model.model_.output_shape == (None, 4)
    assert model.encoder_.output_shape == (None, 4, 4, 128)


def test_learns_an_easy_task_and_reports_history(tiny_images):
    x, _, y_true = tiny_images
    model = Supervised(epochs=15, batch_size=8, random_state=0)
    model.fit(x, y_true, validation_data=(x, y_true))
    assert model.score(x, y_true) >= 0.9
    assert set(model.history_["classifier"]) >= {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_early_stopping_needs_validation_data(tiny_images):
    x, y, _ = tiny_images
    with pytest.raises(ValueError, match="validation_data"):
        Supervised(epochs=2, early_stopping_patience=1).fit(x, y)


def test_early_stopping_stops(tiny_images):
    x, y, y_true = tiny_images
    model = Supervised(epochs=50, batch_size=8, early_stopping_patience=0, random_state=0)
    model.fit(x, y, validation_data=(x[::-1] * 0, y_true))
    assert len(model.history_["classifier"]["loss"]) < 50


def test_a_class_without_labeled_sample_is_an_error(tiny_images):
    x, y, _ = tiny_images
    y = np.where(y == 1, 2, y)  # class 1 now has no labeled image, class 2 has
    with pytest.raises(ValueError, match=r"\[1\] have no labeled sample"):
        Supervised(epochs=1, batch_size=8, random_state=0).fit(x, y)


def test_predict_rejects_other_image_shape(tiny_images):
    x, y, _ = tiny_images
    model = Supervised(epochs=1, batch_size=8).fit(x, y)
    with pytest.raises(ValueError, match="fitted on"):
        model.predict(np.zeros((2, 32, 32, 1), dtype=np.uint8))


def test_optimizer_choices():
    with pytest.raises(ValueError, match="Unknown optimizer"):
        Supervised(optimizer="nonsense").fit(np.zeros((2, 28, 28, 1), np.uint8), [0, 1])
    model = Supervised(optimizer=keras.optimizers.SGD(momentum=0.9), learning_rate=0.01, epochs=1)
    model.fit(np.zeros((2, 28, 28, 1), np.uint8), [0, 1])
    assert isinstance(model.model_.optimizer, keras.optimizers.SGD)
    assert model.model_.optimizer.momentum == 0.9


@pytest.mark.backend
def test_checkpointing_leaves_keras_batch_callbacks_asynchronous(
    tiny_images, tmp_path, monkeypatch
):
    """The checkpoint callback is marked async-safe (its batch hook does nothing), so it does not
    make Keras wait for the device after every compiled call; the fit still resumes."""
    built = []
    original = keras.callbacks.CallbackList.__init__

    def record(self, *args, **kwargs):
        original(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(keras.callbacks.CallbackList, "__init__", record)
    x, y, _ = tiny_images
    first = Supervised(epochs=2, batch_size=8, random_state=0, steps_per_execution=2)
    first.enable_checkpoints(tmp_path).fit(x, y)
    (backup,) = [c for c in built[0].callbacks if isinstance(c, keras.callbacks.BackupAndRestore)]
    assert backup.async_safe and backup.save_freq == "epoch" and backup.every_s == 60.0
    if keras.backend.backend() == "jax":  # TensorFlow's callbacks always run synchronously
        assert built[0]._async_train
    again = Supervised(epochs=2, batch_size=8, random_state=0, steps_per_execution=2)
    again.enable_checkpoints(tmp_path).fit(x, y)
    assert again.resumed_from_epoch_ == {"classifier": 2}
    np.testing.assert_allclose(again.predict_proba(x), first.predict_proba(x), atol=1e-6)


def test_resumed_fit_counts_the_logged_time_of_the_epochs_it_skipped(tmp_path, tiny_images):
    x, y, _ = tiny_images
    first = Supervised(epochs=2, batch_size=8, random_state=0)
    first.enable_checkpoints(tmp_path).fit(x, y)
    assert first.resumed_seconds_ == 0.0
    assert set(first.history_["classifier"]) == {"loss", "accuracy"}  # no `_seconds` metric
    log = tmp_path / "classifier" / "epochs.jsonl"
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [entry["epoch"] for entry in entries] == [0, 1]
    assert all(entry["_seconds"] > 0 for entry in entries)
    again = Supervised(epochs=2, batch_size=8, random_state=0)
    again.enable_checkpoints(tmp_path).fit(x, y)
    assert again.resumed_from_epoch_ == {"classifier": 2}
    assert again.resumed_seconds_ == pytest.approx(sum(entry["_seconds"] for entry in entries))
    # a checkpoint logged before epoch times were: the earlier time is unknown, not zero
    log.write_text(
        "".join(
            json.dumps({k: v for k, v in entry.items() if k != "_seconds"}) + "\n"
            for entry in entries
        )
    )
    old = Supervised(epochs=2, batch_size=8, random_state=0)
    old.enable_checkpoints(tmp_path).fit(x, y)
    assert old.resumed_from_epoch_ == {"classifier": 2}
    assert old.resumed_seconds_ is None


def test_a_resumed_fit_credits_the_earlier_time_before_its_first_step(tmp_path, tiny_images):
    # so that a time limit (benchmark harness) counts it while the fit runs, not after
    x, y, _ = tiny_images

    class StopAfterTwo(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    class Seen(keras.callbacks.Callback):
        def __init__(self, strategy):
            super().__init__()
            self.strategy, self.values = strategy, []

        def on_train_batch_end(self, batch, logs=None):
            self.values.append(self.strategy.resumed_seconds_)

    first = Supervised(epochs=4, batch_size=8, random_state=0, callbacks=[StopAfterTwo()])
    first.enable_checkpoints(tmp_path).fit(x, y)
    assert len(first.history_["classifier"]["loss"]) == 2
    again = Supervised(epochs=4, batch_size=8, random_state=0)
    seen = Seen(again)
    again.set_params(callbacks=[seen])
    again.enable_checkpoints(tmp_path).fit(x, y)
    assert again.resumed_from_epoch_ == {"classifier": 2}
    assert len(again.history_["classifier"]["loss"]) == 4
    assert seen.values and seen.values[0] > 0 and set(seen.values) == {again.resumed_seconds_}


class _Clock:
    """A stand-in for the `time` module whose monotonic clock moves only when told."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        return self.now


class _Tick(keras.callbacks.Callback):
    """Moves the clock `seconds` forward at each epoch's end, before the backup sees it; stops
    the fit after epoch `stop_after` when given."""

    def __init__(self, clock, seconds, stop_after=None):
        super().__init__()
        self.clock, self.seconds, self.stop_after = clock, seconds, stop_after

    def on_epoch_end(self, epoch, logs=None):
        self.clock.now += self.seconds
        if epoch == self.stop_after:
            self.model.stop_training = True


def _saved_epochs(every_s, seconds_an_epoch, tmp_path, monkeypatch, epochs=5, stop_after=None):
    """Fits a tiny model for `epochs` with the throttled backup; the epochs (1-based, as the
    backup's metadata counts them) after which it saved."""
    import json

    from semisup.strategies import _base

    clock = _Clock()
    monkeypatch.setattr(_base, "time", clock)
    backup = _base.ThrottledBackup(tmp_path, every_s=every_s)
    saved = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            metadata = tmp_path / "training_metadata.json"
            if metadata.exists():
                done = json.loads(metadata.read_text())["epoch"]
                if not saved or saved[-1] != done:
                    saved.append(done)

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((8, 3), "float32")
    callbacks = [_Tick(clock, seconds_an_epoch, stop_after), backup, Record()]
    model.fit(x, np.zeros((8, 2), "float32"), epochs=epochs, verbose=0, callbacks=callbacks)
    assert backup.saves == len(saved) and backup.async_safe
    return saved


def test_checkpoints_are_saved_when_due_and_at_the_end(tmp_path, monkeypatch):
    # 6 s epochs, a save due every 10 s: after epochs 2 (12 s) and 4 (24 s), and the last one
    assert _saved_epochs(10, 6, tmp_path / "a", monkeypatch) == [2, 4, 5]
    # every_s=0: every epoch, as Keras's BackupAndRestore does
    assert _saved_epochs(0, 6, tmp_path / "b", monkeypatch) == [1, 2, 3, 4, 5]
    # never due: only the fit's last epoch
    assert _saved_epochs(3600, 6, tmp_path / "c", monkeypatch) == [5]
    # another callback stopping the fit early (a time limit, early stopping): saved there
    assert _saved_epochs(3600, 6, tmp_path / "d", monkeypatch, stop_after=1) == [2]


def test_enable_checkpoints_checks_the_interval(tmp_path):
    for bad in (-1, "60", True, float("nan")):
        with pytest.raises(ValueError, match="every_s must be a non-negative number"):
            Supervised().enable_checkpoints(tmp_path, every_s=bad)
