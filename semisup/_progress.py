"""A tqdm progress bar for Keras `fit()`, one tick per epoch."""

from __future__ import annotations

import contextlib
import contextvars

import keras
from tqdm.auto import tqdm

_label: contextvars.ContextVar[str] = contextvars.ContextVar("semisup_progress_label", default="")


@contextlib.contextmanager
def progress_label(text: str):
    """Begin the description of every epoch bar opened inside the block with `text`.

    The harness's parallel workers (`semisup bench --jobs N`) share one log: each names the
    cell it trains this way, so that a strategy's bars say which cell they belong to.
    """
    token = _label.set(text)
    try:
        yield
    finally:
        _label.reset(token)


class TqdmEpochs(keras.callbacks.Callback):
    """Shows epochs as a tqdm bar with the latest logged metrics as its postfix.

    Args:
        description: text before the bar (e.g. the strategy and phase).
        leave: keep the finished bar on screen.
    """

    def __init__(self, description: str = "fit", leave: bool = True):
        super().__init__()
        self.description = description
        self.leave = leave
        self._bar = None

    def on_train_begin(self, logs=None):
        total = self.params.get("epochs") if self.params else None
        description = f"{_label.get()}{self.description}"
        self._bar = tqdm(total=total, desc=description, unit="epoch", leave=self.leave)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is None:
            return
        if self._bar.n == 0 and epoch > 0:
            # a fit resumed from a checkpoint (BackupAndRestore) starts at a later epoch: count
            # from there, and the rate and time left from this fit's epochs alone
            self._bar.n = self._bar.initial = epoch
        shown = {k: f"{float(v):.4g}" for k, v in (logs or {}).items() if _is_number(v)}
        self._bar.set_postfix(shown, refresh=False)
        self._bar.update(1)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
