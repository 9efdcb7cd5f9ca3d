"""Tests of `semisup._atomic.atomic_path`: the target appears only complete, a failed write
leaves it as it was and leaves no temporary file behind."""

import os

import numpy as np
import pytest

from semisup._atomic import atomic_path


def test_target_appears_only_when_the_block_ends(tmp_path):
    target = tmp_path / "rows.jsonl"
    with atomic_path(target) as temporary:
        temporary.write_text("first\n")
        assert not target.exists()  # half-way: nothing at the target yet
        with open(temporary, "a") as handle:
            handle.write("second\n")
    assert target.read_text() == "first\nsecond\n"
    assert [path.name for path in tmp_path.iterdir()] == ["rows.jsonl"]


def test_existing_target_keeps_its_old_content_until_replaced(tmp_path):
    target = tmp_path / "config.json"
    target.write_text("old\n")
    with atomic_path(str(target)) as temporary:
        temporary.write_text("new\n")
        assert target.read_text() == "old\n"
    assert target.read_text() == "new\n"
    assert [path.name for path in tmp_path.iterdir()] == ["config.json"]


@pytest.mark.parametrize("existed", [True, False])
def test_exception_in_the_block_leaves_the_target_and_no_temporary_file(tmp_path, existed):
    target = tmp_path / "split.npz"
    if existed:
        target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="killed"), atomic_path(target) as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("killed")
    assert target.read_bytes() == b"old" if existed else not target.exists()
    assert [path.name for path in tmp_path.iterdir()] == (["split.npz"] if existed else [])


def test_block_that_writes_nothing_raises_and_leaves_the_target(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(FileNotFoundError), atomic_path(target):
        pass
    assert target.read_text() == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["a.txt"]


def test_temporary_path_is_hidden_beside_the_target_with_its_suffix_and_unique(tmp_path):
    target = tmp_path / "cell.npz"
    with atomic_path(target) as first, atomic_path(target) as second:
        first.write_bytes(b"1")
        second.write_bytes(b"2")
        for temporary in (first, second):
            assert temporary.parent == tmp_path
            assert temporary.name.startswith(".") and temporary.suffix == ".npz"
        assert first != second
    assert target.read_bytes() == b"1"  # the outer block ends last: its rename wins
    assert [path.name for path in tmp_path.iterdir()] == ["cell.npz"]


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_npz_written_through_numpy_lands_at_exactly_the_target(tmp_path, save):
    target = tmp_path / "predictions.npz"
    with atomic_path(target) as temporary:
        save(temporary, proba=np.arange(6.0).reshape(2, 3))
    assert [path.name for path in tmp_path.iterdir()] == ["predictions.npz"]
    with np.load(target) as arrays:
        np.testing.assert_array_equal(arrays["proba"], np.arange(6.0).reshape(2, 3))


def test_new_file_gets_the_usual_mode_not_0600(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "shared.npz") as temporary, open(temporary, "xb") as stream:
            stream.write(b"data")
    finally:
        os.umask(umask)
    assert (tmp_path / "shared.npz").stat().st_mode & 0o777 == 0o644
