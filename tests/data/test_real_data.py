"""Checks on the real data sets; they run only when SEMISUP_DATA_DIR points at them.

The first run decodes ~96,000 JPEGs (about 12 s on two cores); later runs read the cache in
SEMISUP_CACHE_DIR when it is set (else a fresh folder each session).
"""

import time

import numpy as np
import pytest

from semisup.data import CIFAR10_CLASS_NAMES, load, seed_split

pytestmark = pytest.mark.realdata

FER_COUNTS = {  # /work/shared/data/README.md, in label-code order (angry .. neutral)
    "Training": [3995, 436, 4097, 7215, 4830, 3171, 4965],
    "PublicTest": [467, 56, 496, 895, 653, 415, 607],
    "PrivateTest": [491, 55, 528, 879, 594, 416, 626],
}
SHA256 = {
    "fer2013": {
        "train.zip": "68b4903313ba2dc431a0c3b7bc1d2d0ae90253dc8020e6524b47461f75b9e90e",
        "test.zip": "1460ceaa557dd77b33129957f9d209d9074fb1bc3e5ce366eb1a4804c2103d6f",
    },
    "cifar10-jpeg": {
        "train.zip": "e438b7e4320a3ad3d508ff1c8251cb6d5bc990f4c07df80e1c5e4f96d3224749",
        "test.zip": "02be9db620b7a92cff0f801b5afca9c9670f02741d5576429deb31969ba217c2",
    },
}


@pytest.fixture
def real(real_data_dir, real_cache_dir, monkeypatch):
    def loader(name):
        if real_data_dir is None or not (real_data_dir / name).is_dir():
            pytest.skip(f"SEMISUP_DATA_DIR does not point at a folder holding {name}/")
        monkeypatch.setenv("SEMISUP_CACHE_DIR", str(real_cache_dir))
        return load(name, data_dir=real_data_dir, progress=False)

    return loader


def test_fer2013_counts_shapes_and_checksums(real):
    dataset = real("fer2013")
    assert dataset.checksums == SHA256["fer2013"]
    assert dataset.image_shape == (48, 48, 1) and dataset.x_train.dtype == np.uint8
    for split, counts in FER_COUNTS.items():
        assert dataset.class_counts(split).tolist() == counts
    assert [len(dataset.splits[split]) for split in FER_COUNTS] == [28709, 3589, 3589]
    assert seed_split(len(dataset.y_train)).n_labeled == 5824


def test_cifar10_jpeg_counts_shapes_and_checksums(real):
    dataset = real("cifar10-jpeg")
    assert dataset.checksums == SHA256["cifar10-jpeg"]
    assert dataset.class_names == CIFAR10_CLASS_NAMES
    assert dataset.image_shape == (32, 32, 3) and dataset.x_train.dtype == np.uint8
    assert dataset.class_counts("train").tolist() == [5000] * 10
    assert dataset.class_counts("test").tolist() == [1000] * 10
    assert seed_split(len(dataset.y_train)).n_labeled == 10080


@pytest.mark.parametrize("name", ["fer2013", "cifar10-jpeg"])
def test_second_load_is_fast(real, name):
    real(name)  # decodes on a cold cache
    start = time.perf_counter()
    real(name)
    assert time.perf_counter() - start < 2.0
