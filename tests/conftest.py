import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def tiny_images():
    """40 grayscale 28x28 images of two easily separated classes, 10 labeled per class."""
    rng = np.random.default_rng(0)
    n = 40
    y_true = np.repeat([0, 1], n // 2)
    x = rng.integers(0, 60, size=(n, 28, 28, 1)).astype(np.uint8)
    # class 1 has a bright square in the middle: learnable in a few steps
    x[y_true == 1, 8:20, 8:20, :] += 180
    y = y_true.copy()
    y[5:20] = -1
    y[25:40] = -1
    return x, y, y_true
