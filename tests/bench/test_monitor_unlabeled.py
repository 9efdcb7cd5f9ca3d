"""Pseudo-label quality on the unlabeled pool during training (`monitor_unlabeled`): the
monitor's scoring on hand-made logits, the trainers' thresholds, the sample, the config and the
rows. Tiny data and a few steps."""

import json

import numpy as np
import pytest

from semisup.bench import BenchConfig, run
from semisup.bench.monitor import AccuracyMonitor
from semisup.bench.runner import _unlabeled_sample
from semisup.cli import build_parser
from semisup.data import load, per_class_split
from semisup.data._validation import images_to_float


class Trainer:
    """Stands in for the model Keras fits: only its pseudo-label thresholds matter here."""

    def __init__(self, thresholds):
        self.thresholds = thresholds

    def pseudo_label_thresholds(self):
        return self.thresholds


class Strategy:
    classes_ = np.array([10, 20, 30])  # output column j is label classes_[j]
    n_classes_ = 3


def pool_point(logits, truth, thresholds):
    images = np.zeros((len(truth), 2, 2, 1), "float32")
    monitor = AccuracyMonitor(
        images[:1], truth[:1], 1, strategy=Strategy(), unlabeled=(images, np.asarray(truth))
    )
    monitor.set_model(Trainer(thresholds))
    return monitor._pool_point(np.asarray(logits, dtype=np.float64))


# ---------------------------------------------------------------------------- the scoring
def test_kept_pseudo_labels_and_their_accuracy_per_class_on_hand_made_logits():
    high, low = np.log(18.0), 0.0  # softmax of (log 18, 0, 0) is (0.9, 0.05, 0.05)
    logits = [
        [high, low, low],  # column 0 at 0.9: kept (threshold 0.85), right
        [high, low, low],  # column 0 at 0.9: kept, wrong (truth 20)
        [low, high, low],  # column 1 at 0.9: not kept (threshold 0.95), right
        [low, low, high],  # column 2 at 0.9: kept (threshold 0.5), right
        [0.1, 0.0, 0.2],  # column 2 at ~0.37: not kept, wrong (truth 10)
    ]
    truth = [10, 20, 20, 30, 10]
    point = pool_point(logits, truth, [0.85, 0.95, 0.5])
    assert point["n"] == 5
    assert point["accuracy"] == pytest.approx(3 / 5)
    assert point["thresholds"] == [0.85, 0.95, 0.5]
    assert point["kept"] == pytest.approx(3 / 5)
    assert point["kept_accuracy"] == pytest.approx(2 / 3)
    assert point["kept_by_class"] == [2, 0, 1]
    assert point["correct_by_class"] == [1, 0, 1]
    json.dumps(point)  # plain numbers, ready for the results row


def test_a_threshold_is_reached_at_equality_and_nothing_kept_gives_none():
    logits = [[np.log(18.0), 0.0, 0.0]]  # top probability exactly 0.9 (to float precision)
    kept = pool_point(logits, [10], [0.9 - 1e-12, 1.0, 1.0])
    assert kept["kept"] == 1.0 and kept["kept_accuracy"] == 1.0
    none = pool_point(logits, [10], [0.99, 0.99, 0.99])
    assert none["kept"] == 0.0 and none["kept_accuracy"] is None
    assert none["kept_by_class"] == [0, 0, 0] and none["correct_by_class"] == [0, 0, 0]


def test_a_method_without_thresholds_gets_the_pool_accuracy_only():
    point = pool_point([[0.0, 1.0, 0.0], [2.0, 0.0, 0.0]], [20, 30], None)
    assert point["accuracy"] == 0.5 and point["n"] == 2
    for key in ("thresholds", "kept", "kept_accuracy", "kept_by_class", "correct_by_class"):
        assert point[key] is None


def test_wrong_thresholds_and_wrong_pools_are_errors():
    with pytest.raises(ValueError, match="gave 2 thresholds for a model with 3 classes"):
        pool_point([[0.0, 1.0, 0.0]], [20], [0.9, 0.9])
    images = np.zeros((2, 2, 2, 1), "float32")
    with pytest.raises(ValueError, match="unlabeled must be a pair"):
        AccuracyMonitor(images, [0, 1], unlabeled=images)
    with pytest.raises(ValueError, match="unlabeled images must be a non-empty"):
        AccuracyMonitor(images, [0, 1], unlabeled=(images, [0]))


# ---------------------------------------------------------------------------- the sample
def test_the_sample_is_drawn_from_the_unlabeled_pool_once_per_seed():
    dataset = load("digits")
    split = per_class_split(dataset.y_train, 5, seed=0)
    images, labels = _unlabeled_sample(dataset, split, 100, seed=0)
    again, _ = _unlabeled_sample(dataset, split, 100, seed=0)
    other, _ = _unlabeled_sample(dataset, split, 100, seed=1)
    assert images.shape == (100, *dataset.x_train.shape[1:]) and images.dtype == np.float32
    np.testing.assert_array_equal(images, again)
    assert not np.array_equal(images, other)
    # every sampled image is an unlabeled one, with its hidden label, none twice
    pool = images_to_float(dataset.x_train[split.unlabeled])
    hidden = {
        image.tobytes(): label for image, label in zip(pool, dataset.y_train[split.unlabeled])
    }
    assert len({image.tobytes() for image in images}) == 100
    assert all(hidden[image.tobytes()] == label for image, label in zip(images, labels))
    whole, whole_labels = _unlabeled_sample(dataset, split, 10**6, seed=0)
    assert len(whole) == len(split.unlabeled)
    np.testing.assert_array_equal(whole_labels, dataset.y_train[split.unlabeled])
    assert _unlabeled_sample(dataset, split, None, seed=0) is None


# ---------------------------------------------------------------------------- config and CLI
@pytest.mark.parametrize("size", [0, -5, 2.5, True, "100"])
def test_monitor_unlabeled_must_be_a_positive_integer(size):
    config = BenchConfig.from_sources(
        overrides={
            "datasets": ["digits"],
            "strategies": ["supervised"],
            "monitor_every": 1,
            "monitor_unlabeled": size,
        }
    )
    with pytest.raises(ValueError, match="monitor_unlabeled must be a positive integer"):
        config.validate()


def test_monitor_unlabeled_needs_monitor_every():
    config = BenchConfig.from_sources(
        overrides={"datasets": ["digits"], "strategies": ["supervised"], "monitor_unlabeled": 50}
    )
    with pytest.raises(ValueError, match="monitor_every is not set"):
        config.validate()


def test_monitor_unlabeled_from_the_command_line_a_grid_file_and_the_ssl_preset(tmp_path):
    args = build_parser().parse_args(["bench", "--monitor-every", "1", "--monitor-unlabeled", "9"])
    assert args.monitor_unlabeled == 9
    assert build_parser().parse_args(["bench"]).monitor_unlabeled is None
    path = tmp_path / "grid.toml"
    path.write_text('preset = "demo"\nmonitor_every = 2\nmonitor_unlabeled = 300\n')
    assert BenchConfig.from_sources(config_file=path).validate().monitor_unlabeled == 300
    assert BenchConfig.from_sources(preset="demo").monitor_unlabeled is None
    assert BenchConfig.from_sources(preset="ssl").monitor_unlabeled == 5000


# ---------------------------------------------------------------------------- the rows
@pytest.mark.backend  # under JAX the pool is predicted mid-fit with the weights being trained
def test_a_grid_records_each_methods_pseudo_labels_on_the_pool(tmp_path):
    config = BenchConfig.from_sources(
        overrides={
            "datasets": ["digits"],
            "strategies": [
                "supervised",
                "fixmatch[steps=4, mu=2, epochs=2, ema_decay=0.9]",
                "freematch[steps=4, mu=2, epochs=2, ema_decay=0.9, threshold_momentum=0.5]",
                "pseudo_label[steps=4, mu=2, epochs=2, confidence_threshold=0.3]",
                "mean_teacher[steps=4, mu=2, epochs=2]",
            ],
            "filters": ["none"],
            "budgets": ["k:5"],
            "seeds": [0],
            "params": {"epochs": 2, "batch_size": 16},
            "monitor_every": 1,
            "monitor_unlabeled": 60,
        }
    )
    rows = {row["strategy"].partition("[")[0]: row for row in run(config, tmp_path, verbose=0)}
    for row in rows.values():
        curve = row["unlabeled_curve"]
        assert row["monitor_unlabeled"] == 60
        assert [(point["phase"], point["epoch"]) for point in curve] == [
            (point["phase"], point["epoch"]) for point in row["test_curve"]
        ]
        for point in curve:
            assert point["n"] == 60 and 0.0 <= point["accuracy"] <= 1.0
            if point["thresholds"] is None:
                continue
            kept = point["kept_by_class"]
            assert len(point["thresholds"]) == len(kept) == 10
            assert sum(kept) == round(point["kept"] * 60)
            assert all(0 <= right <= n for right, n in zip(point["correct_by_class"], kept))
    assert rows["supervised"]["unlabeled_curve"][-1]["thresholds"] is None
    assert rows["mean_teacher"]["unlabeled_curve"][-1]["thresholds"] is None
    assert rows["fixmatch"]["unlabeled_curve"][-1]["thresholds"] == [0.95] * 10
    assert rows["pseudo_label"]["unlabeled_curve"][-1]["thresholds"] == [0.3] * 10
    # FreeMatch's adapt (started at 1; tests/strategies/test_freematch.py checks their formula)
    thresholds = rows["freematch"]["unlabeled_curve"][-1]["thresholds"]
    assert min(thresholds) < max(thresholds) < 1.0
    saved = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert all("unlabeled_curve" in row for row in saved)


def test_rows_without_the_option_have_no_pool_curve(tmp_path):
    config = BenchConfig.from_sources(
        overrides={
            "datasets": ["digits"],
            "strategies": ["supervised"],
            "budgets": ["k:5"],
            "params": {"epochs": 1},
            "monitor_every": 1,
        }
    )
    (row,) = run(config, tmp_path, verbose=0)
    assert row["monitor_unlabeled"] is None and row["unlabeled_curve"] is None
    assert len(row["test_curve"]) == 1
