import subprocess
import sys

import numpy as np
from sklearn.datasets import load_digits as sklearn_load_digits
from sklearn.model_selection import train_test_split

from semisup.data import DATASETS, load, load_digits


def test_dataset_names():
    assert DATASETS == ("digits", "fer2013", "cifar10-jpeg", "cifar100")


def test_digits_is_embedded_scaled_and_split_like_sklearn():
    dataset = load("digits")
    assert dataset.name == "digits" and dataset.source == "sklearn.datasets.load_digits"
    assert dataset.class_names == tuple("0123456789")
    assert dataset.x_train.shape == (1347, 32, 32, 1) and dataset.x_test.shape == (450, 32, 32, 1)
    assert dataset.x_train.dtype == np.uint8 and dataset.y_train.dtype == np.int64
    assert dataset.x_train.min() == 0 and dataset.x_train.max() == 255
    bunch = sklearn_load_digits()
    _, _, y_train, y_test = train_test_split(
        bunch.images, bunch.target, test_size=0.25, random_state=0, stratify=bunch.target
    )
    np.testing.assert_array_equal(dataset.y_train, y_train)
    np.testing.assert_array_equal(dataset.y_test, y_test)
    _assert_loads_equal(dataset, load_digits())


def _assert_loads_equal(first, second):
    np.testing.assert_array_equal(first.x_train, second.x_train)
    np.testing.assert_array_equal(first.x_test, second.x_test)


def test_importing_the_data_layer_never_imports_keras():
    code = (
        "import sys, semisup.data; "
        "loaded = [m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
