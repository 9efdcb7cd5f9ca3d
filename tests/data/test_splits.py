import json

import numpy as np
import pytest

from semisup.data import LabelSplit, per_class_split, reduce_labels, seed_split

# The legacy global-state API is the point here: the protocol is defined by it.
# ruff: noqa: NPY002


def _global_protocol(n_samples):
    """The seed project's own code, run with numpy's global state restored afterwards."""
    saved = np.random.get_state()
    try:
        np.random.seed(125)
        draws = np.random.rand(n_samples)
    finally:
        np.random.set_state(saved)
    return draws <= 0.2


@pytest.mark.parametrize(
    ("n_samples", "n_labeled", "n_unlabeled"), [(50_000, 10_080, 39_920), (28_709, 5_824, 22_885)]
)
def test_seed_split_counts_and_bit_exactness(n_samples, n_labeled, n_unlabeled):
    split = seed_split(n_samples)
    assert (split.n_labeled, split.n_unlabeled) == (n_labeled, n_unlabeled)
    np.testing.assert_array_equal(split.labeled_mask, _global_protocol(n_samples))
    assert split.seed == 125 and split.n_samples == n_samples


def test_seed_split_leaves_global_random_state_untouched():
    np.random.seed(7)
    before = np.random.get_state()
    seed_split(1_000)
    after = np.random.get_state()
    assert before[0] == after[0]
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2:] == after[2:]


def test_seed_split_rejects_bad_arguments():
    with pytest.raises(ValueError, match="fraction must lie in"):
        seed_split(10, fraction=1.5)
    with pytest.raises(ValueError, match="n_samples must be >= 0"):
        seed_split(-1)
    with pytest.raises(TypeError, match="n_samples must be an integer"):
        seed_split(10.0)


def test_apply_hides_unlabeled_labels_in_a_copy():
    labels = np.arange(10) % 3
    split = seed_split(10, fraction=0.5)
    reduced = split.apply(labels)
    assert reduced.dtype == np.int64
    np.testing.assert_array_equal(reduced[split.labeled], labels[split.labeled])
    assert (reduced[split.unlabeled] == -1).all()
    np.testing.assert_array_equal(labels, np.arange(10) % 3)  # untouched
    np.testing.assert_array_equal(reduce_labels(labels, split), reduced)
    with pytest.raises(ValueError, match="y has 9 labels but there are 10 samples"):
        split.apply(labels[:9])


def test_per_class_split_takes_exactly_k_per_class_reproducibly():
    labels = np.repeat(np.arange(4), [5, 6, 7, 8])
    labels[[0, 6]] = -1  # already unlabeled: never drawn
    split = per_class_split(labels, labels_per_class=3, seed=1)
    assert split.n_labeled == 12 and split.n_unlabeled == len(labels) - 12
    np.testing.assert_array_equal(np.bincount(labels[split.labeled]), [3, 3, 3, 3])
    assert 0 not in split.labeled and 6 not in split.labeled
    assert split == per_class_split(labels, labels_per_class=3, seed=1)
    assert split != per_class_split(labels, labels_per_class=3, seed=2)
    assert "labels_per_class=3" in split.method


def test_per_class_split_names_a_class_that_is_too_small():
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    with pytest.raises(
        ValueError, match="class 1 has only 2 samples, fewer than labels_per_class=3"
    ):
        per_class_split(labels, labels_per_class=3)


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_save_load_round_trip(tmp_path, suffix):
    for split in (seed_split(100), per_class_split(np.arange(30) % 3, labels_per_class=2, seed=4)):
        path = split.save(tmp_path / f"split{suffix}")
        loaded = LabelSplit.load(path)
        assert loaded == split
        assert loaded.labeled.dtype == np.int64 and loaded.unlabeled.dtype == np.int64
    no_seed = LabelSplit(labeled=[0], unlabeled=[1, 2], n_samples=3, method="by hand", seed=None)
    assert LabelSplit.load(no_seed.save(tmp_path / f"by_hand{suffix}")).seed is None


def test_repr_shows_counts():
    assert repr(seed_split(50_000)) == (
        "LabelSplit(method='seed_split(fraction=0.2)', seed=125, n_samples=50000, "
        "labeled=10080, unlabeled=39920)"
    )


def test_indices_are_read_only_copies():
    labeled = np.array([0, 2])
    split = LabelSplit(labeled=labeled, unlabeled=[1], n_samples=3, method="by hand")
    labeled[0] = 1
    assert split.labeled[0] == 0
    with pytest.raises(ValueError):
        split.labeled[0] = 1


@pytest.mark.parametrize(
    ("labeled", "unlabeled", "n_samples", "message"),
    [
        ([2, 0], [1], 3, "labeled indices must be sorted and unique"),
        ([0, 1], [1, 2], 3, "do not add up to n_samples=3"),
        ([0, 1], [1], 3, "1 indices are both labeled and unlabeled"),
        ([0], [1], 3, "do not add up"),
        ([0, 5], [1], 3, "labeled index 5 is outside 0..2"),
        ([0.0], [1.0], 2, "must be integers"),
    ],
)
def test_load_rejects_inconsistent_files(tmp_path, labeled, unlabeled, n_samples, message):
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "format": "semisup.LabelSplit",
                "version": 1,
                "n_samples": n_samples,
                "method": "by hand",
                "seed": None,
                "labeled": labeled,
                "unlabeled": unlabeled,
            }
        )
    )
    with pytest.raises(ValueError, match=f"LabelSplit file .*bad.json: .*{message}"):
        LabelSplit.load(path)


def test_load_rejects_files_that_are_not_splits(tmp_path):
    other = tmp_path / "other.npz"
    np.savez(other, labeled=np.arange(3))
    with pytest.raises(ValueError, match=r"other.npz does not hold a saved LabelSplit .*missing"):
        LabelSplit.load(other)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="broken.json is not valid JSON"):
        LabelSplit.load(broken)
