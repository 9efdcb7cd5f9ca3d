"""Test accuracy during training (`monitor_every`): the callback, EMA weights, the rows and the
report's curves. Tiny data and a few epochs: the whole file runs in well under a minute on a CPU."""

import json

import keras
import numpy as np
import pytest

from semisup import strategies
from semisup.bench import BenchConfig, run
from semisup.bench.monitor import AccuracyMonitor
from semisup.bench.report import write_report
from semisup.bench.runner import time_limit_callback
from semisup.cli import build_parser
from semisup.data._validation import images_to_float

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# FixMatch as in tests/strategies/test_consistency.py: 6 steps of 4 labeled + 8 unlabeled images
# in 3 epochs, with a moving average that moves visibly in so few steps
FIXMATCH = {
    "steps": 6,
    "epochs": 3,
    "batch_size": 4,
    "mu": 2,
    "learning_rate": 0.1,
    "ema_decay": 0.9,
    "random_state": 0,
}


def numbers(variable):
    return np.array(keras.ops.convert_to_numpy(variable), dtype=np.float64)


def monitored(strategy, x, y_true, every=1, extra=()):
    monitor = AccuracyMonitor(images_to_float(x), y_true, every, strategy=strategy)
    strategy.set_params(callbacks=[*extra[:1], monitor, *extra[1:]])
    return monitor


# ---------------------------------------------------------------------------- the callback
@pytest.mark.backend  # under JAX predict donates buffers: see monitor.py
def test_the_curve_has_increasing_seconds_and_accuracies_in_0_1(tiny_images):
    x, y, y_true = tiny_images
    model = strategies.get("supervised")(epochs=3, batch_size=8, random_state=0)
    monitor = monitored(model, x, y_true).start()
    model.fit(x, y)
    curve = monitor.curve
    assert [point["epoch"] for point in curve] == [1, 2, 3]
    assert [point["phase"] for point in curve] == [0, 0, 0]
    seconds = [point["seconds"] for point in curve]
    assert seconds[0] > 0 and all(a < b for a, b in zip(seconds, seconds[1:]))
    assert all(0.0 <= point["accuracy"] <= 1.0 for point in curve)
    assert monitor.seconds_spent > 0
    # the last point is the fitted model's own accuracy: the same weights, the same images
    assert curve[-1]["accuracy"] == pytest.approx(model.score(x, y_true))
    json.dumps(curve)  # plain numbers, ready for the results row


def test_every_n_epochs_and_phases_that_cannot_classify_are_skipped(tiny_images):
    x, y, y_true = tiny_images
    # the autoencoder's output is an image: its two epochs give no point; the classifier's do
    model = strategies.get("two_step_autoencoder")(
        pretrain_epochs=2, epochs=4, batch_size=8, head="linear", random_state=0
    )
    monitor = monitored(model, x, y_true, every=2).start()
    model.fit(x, y)
    assert [(point["phase"], point["epoch"]) for point in monitor.curve] == [(1, 2), (1, 4)]
    with pytest.raises(ValueError, match="every must be a positive number of epochs"):
        AccuracyMonitor(images_to_float(x), y_true, 0)


class WeightsAt(keras.callbacks.Callback):
    """The trained weights at each epoch's end, when this callback's turn comes."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append([numbers(v) for v in self.model.trainable_variables])


@pytest.mark.backend  # under JAX predict donates buffers: see monitor.py
def test_ema_weights_are_evaluated_and_the_raw_weights_come_back_exactly(tiny_images):
    x, y, y_true = tiny_images
    model = strategies.get("fixmatch")(**FIXMATCH)
    before, after = WeightsAt(), WeightsAt()
    monitor = monitored(model, x, y_true, extra=(before, after)).start()
    used = []  # (weights the prediction ran with, the optimizer's averages at that moment)
    on_train_begin = monitor.on_train_begin

    def spy_on_predictions(logs=None):
        on_train_begin(logs)
        predictor, _ = monitor._predictor
        predict = predictor.predict

        def recording_predict(*args, **kwargs):
            if monitor._predictor is None:  # after training: predict_proba, not the monitor
                return predict(*args, **kwargs)
            optimizer = monitor.model.optimizer
            used.append(
                (
                    [numbers(v) for v in optimizer._trainable_variables],
                    [numbers(v) for v in optimizer._model_variables_moving_average],
                )
            )
            return predict(*args, **kwargs)

        predictor.predict = recording_predict

    monitor.on_train_begin = spy_on_predictions
    model.fit(x, y)

    assert model.trainer_.optimizer.use_ema and len(monitor.curve) == 3 == len(used)
    # what was predicted with: the averaged weights, which differ from the raw ones
    for (weights, averages), raw in zip(used, before.seen):
        for weight, average in zip(weights, averages):
            np.testing.assert_array_equal(weight, average)
        assert any(not np.array_equal(w, r) for w, r in zip(weights, raw))
    # what training continued from: the raw weights, to the last bit
    assert len(before.seen) == len(after.seen) == 3
    for raw, restored in zip(before.seen, after.seen):
        for a, b in zip(raw, restored):
            np.testing.assert_array_equal(a, b)
    # after fit() the model predicts with the averages too: the last point is its accuracy
    assert monitor.curve[-1]["accuracy"] == pytest.approx(model.score(x, y_true))
    # and monitoring changed no update: the same predictions as a fit without it
    plain = strategies.get("fixmatch")(**FIXMATCH).fit(x, y)
    if keras.backend.backend() == "tensorflow":
        np.testing.assert_array_equal(model.predict_proba(x), plain.predict_proba(x))
    else:
        np.testing.assert_allclose(model.predict_proba(x), plain.predict_proba(x), atol=1e-6)


def _stops_after_one_step(seconds, **arguments):
    callback = time_limit_callback(seconds, **arguments)
    callback.set_model(keras.Sequential())
    callback.on_train_begin()
    callback.on_train_batch_end(0)
    return callback.stopped


def test_the_time_limit_does_not_count_monitoring_time():
    def limit(excluded):
        return _stops_after_one_step(0.0, excluded=excluded)

    assert limit(None) and limit(lambda: 0.0)
    assert not limit(lambda: 1e9)  # all of the wall time so far was monitoring


def test_the_time_limit_counts_what_a_killed_process_trained():
    def limit(credited):
        return _stops_after_one_step(3600.0, credited=credited)

    assert not limit(None) and not limit(lambda: 0.0)
    assert not limit(lambda: None)  # resumed, the earlier time unknown: nothing to count
    assert limit(lambda: 3600.0)  # the hour was spent before the resume


# ---------------------------------------------------------------------------- config and CLI
@pytest.mark.parametrize("every", [0, -2, 1.5, True, "3"])
def test_monitor_every_must_be_a_positive_integer(every):
    config = BenchConfig.from_sources(
        overrides={"datasets": ["digits"], "strategies": ["supervised"], "monitor_every": every}
    )
    with pytest.raises(ValueError, match="monitor_every must be a positive integer"):
        config.validate()


def test_monitor_every_from_the_command_line_and_a_grid_file(tmp_path):
    assert build_parser().parse_args(["bench", "--monitor-every", "3"]).monitor_every == 3
    assert build_parser().parse_args(["bench"]).monitor_every is None
    path = tmp_path / "grid.toml"
    path.write_text('preset = "demo"\nmonitor_every = 2\n')
    assert BenchConfig.from_sources(config_file=path).validate().monitor_every == 2
    assert BenchConfig.from_sources(preset="demo").monitor_every is None


# ---------------------------------------------------------------------------- rows and report
def test_a_monitored_grid_writes_curves_and_the_report_draws_them(tmp_path):
    config = BenchConfig.from_sources(
        overrides={
            "datasets": ["digits"],
            "strategies": [
                "supervised",
                "two_step_autoencoder[pretrain_epochs=1, head=linear]",
                "fixmatch[steps=4, mu=2, epochs=2, ema_decay=0.9]",
            ],
            "filters": ["none"],
            "budgets": ["k:5"],
            "seeds": [0],
            "params": {"epochs": 2, "batch_size": 16},
            "monitor_every": 1,
            "time_limit_s": 600,
        }
    )
    rows = run(config, tmp_path, verbose=0, report=True)
    by_strategy = {row["strategy"].partition("[")[0]: row for row in rows}
    phases = {
        name: [(point["phase"], point["epoch"]) for point in row["test_curve"]]
        for name, row in by_strategy.items()
    }
    assert phases == {
        "supervised": [(0, 1), (0, 2)],
        "two_step_autoencoder": [(1, 1), (1, 2)],  # the autoencoder phase cannot classify
        "fixmatch": [(0, 1), (0, 2)],
    }
    for row in rows:
        assert row["monitor_every"] == 1 and row["monitor_seconds"] > 0
        seconds = [point["seconds"] for point in row["test_curve"]]
        assert 0 < seconds[0] < seconds[-1] <= row["fit_seconds"]
        assert all(0 <= point["accuracy"] <= 1 for point in row["test_curve"])
        assert row["test_curve"][-1]["accuracy"] == pytest.approx(row["metrics"]["accuracy"])
        assert not row["stopped_by_time_limit"]
        assert "callbacks" not in row["params"]
    saved = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert [row["test_curve"] for row in saved] == [row["test_curve"] for row in rows]

    plot = next((tmp_path / "plots").glob("accuracy_vs_time_*.png"))
    assert plot.read_bytes().startswith(PNG_SIGNATURE) and plot.stat().st_size > 5000
    report = (tmp_path / "report.md").read_text()
    assert "lines: test accuracy measured during training" in report
    assert "every 1 epoch(s)" in report and "no curve recorded" not in report


def _row(strategy, seed, accuracy, fit_seconds, curve=None):
    row = {
        "cell_id": f"digits|{strategy}|none|k:5|{seed}|conv4",
        "dataset": "digits",
        "test_split": "test",
        "budget": "k:5",
        "encoder": "conv4",
        "strategy": strategy,
        "filter": "none",
        "seed": seed,
        "metrics": {"accuracy": accuracy, "macro_f1": accuracy},
        "fit_seconds": fit_seconds,
    }
    if curve is not None:  # rows written before monitoring existed have no such keys
        row.update(monitor_every=2, monitor_seconds=0.5, test_curve=curve)
    return row


def test_old_rows_without_curves_still_report_beside_new_ones(tmp_path, monkeypatch):
    from semisup.evaluation import plots

    curve = [
        {"seconds": 4.0, "epoch": 2, "phase": 0, "accuracy": 0.5},
        {"seconds": 8.0, "epoch": 4, "phase": 0, "accuracy": 0.7},
    ]
    rows = [
        _row("supervised", 0, 0.6, 5.0),  # an old row
        _row("fixmatch", 1, 0.8, 10.0, curve=curve),
        _row("fixmatch", 2, 0.9, 12.0, curve=[dict(p, accuracy=0.1) for p in curve]),
    ]
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    drawn = []
    plot = plots.plot_accuracy_vs_time
    monkeypatch.setattr(
        plots, "plot_accuracy_vs_time", lambda *a, **k: drawn.append(plot(*a, **k)) or drawn[-1]
    )
    report = write_report(tmp_path).read_text()

    (numbers,) = drawn
    assert numbers["labels"] == ["supervised / none", "fixmatch / none"]
    assert numbers["accuracy"] == pytest.approx([0.6, 0.85])
    # the lowest seed's curve (seed 1), ending at that seed's final accuracy and time
    assert numbers["curves"] == [None, {"seconds": [4.0, 8.0, 10.0], "accuracy": [0.5, 0.7, 0.8]}]
    assert "seed 1" in report and "no curve recorded for supervised / none" in report

    # only old rows: the plot of points alone, as before
    (tmp_path / "results.jsonl").write_text(json.dumps(rows[0]) + "\n")
    drawn.clear()
    report = write_report(tmp_path).read_text()
    assert drawn[0]["curves"] == [None] and "lines:" not in report


def test_the_plot_returns_its_curves_and_checks_them(tmp_path):
    from semisup.evaluation.plots import plot_accuracy_vs_time

    numbers = plot_accuracy_vs_time(
        ["a", "b"],
        [10.0, 20.0],
        [0.5, 0.6],
        tmp_path / "t.png",
        curves=[{"seconds": [0.5, 5.0], "accuracy": [0.2, None]}, None],
    )
    assert numbers["curves"] == [{"seconds": [0.5, 5.0], "accuracy": [0.2, None]}, None]
    assert numbers["log_x"]  # the curve reaches down to 0.5 s: 40x below the slowest point
    assert (tmp_path / "t.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="2 times and 1 accuracies"):
        plot_accuracy_vs_time(
            ["a"], [1.0], [0.5], tmp_path / "u.png", curves=[{"seconds": [1, 2], "accuracy": [0]}]
        )
    with pytest.raises(ValueError, match="curves has 1 entries for 2 points"):
        plot_accuracy_vs_time(["a", "b"], [1.0, 2.0], [0.5, 0.6], tmp_path / "v.png", curves=[None])


def test_a_log_time_axis_is_labelled_in_plain_numbers():
    # matplotlib's default labels the minor ticks of a short log axis as 3x10^1, 4x10^1, ...,
    # which overlap; the time axes label 1, 2 and 5 of each decade in plain numbers instead
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from semisup.evaluation.plots import _log_seconds_axis

    figure, axes = plt.subplots()
    axes.plot([14.0, 600.0], [0.5, 0.9])
    _log_seconds_axis(axes)
    figure.canvas.draw()
    low, high = axes.get_xlim()
    shown = [
        tick.get_text()
        for tick, value in zip(axes.get_xticklabels(), axes.get_xticks(), strict=True)
        if low <= value <= high
    ]
    minor = [tick.get_text() for tick in axes.get_xticklabels(minor=True)]
    plt.close(figure)
    assert shown == ["20", "50", "100", "200", "500"]
    assert not any(minor)
