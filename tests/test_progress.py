from semisup._progress import TqdmEpochs, progress_label


def _bar_after(epochs, total=10):
    callback = TqdmEpochs("fit", leave=False)
    callback.set_params({"epochs": total})
    callback.on_train_begin()
    bar = callback._bar
    for epoch in epochs:
        callback.on_epoch_end(epoch, {"loss": 0.5, "note": "text"})
    counts = bar.n, bar.initial, bar.postfix
    callback.on_train_end()
    return counts


def test_the_bar_counts_epochs_and_shows_the_numeric_metrics():
    n, initial, postfix = _bar_after(range(3))
    assert (n, initial) == (3, 0)
    assert "loss=0.5" in postfix and "note" not in postfix


def test_a_resumed_fit_counts_from_the_epoch_it_resumed_at():
    # BackupAndRestore resumed the fit at epoch 6 of 10: the bar ends at 10 of 10, not 4
    n, initial, _ = _bar_after(range(6, 10))
    assert (n, initial) == (10, 6)


def _description():
    callback = TqdmEpochs("Supervised classifier", leave=False)
    callback.set_params({"epochs": 1})
    callback.on_train_begin()
    description = callback._bar.desc
    callback.on_train_end()
    return description


def test_a_label_begins_the_bars_opened_inside_its_block_only():
    label = "[worker 1] fer2013|supervised|none|seed|0 "
    with progress_label(label):
        inside = _description()
        with progress_label(""):
            nested = _description()
        after_nested = _description()
    assert inside == after_nested == label + "Supervised classifier"
    assert nested == _description() == "Supervised classifier"
