"""A tqdm progress bar for Keras `fit()`, one tick per epoch."""

from __future__ import annotations

import keras
from tqdm.auto import tqdm


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
        self._bar = tqdm(total=total, desc=self.description, unit="epoch", leave=self.leave)

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
