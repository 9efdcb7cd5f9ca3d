import re

import pytest

from semisup.provenance import git_commit, provenance


def test_the_commit_variable_beats_the_checkouts_git_metadata(monkeypatch):
    monkeypatch.delenv("SEMISUP_COMMIT", raising=False)
    found = git_commit()
    assert found == "unknown" or re.fullmatch(r"[0-9a-f]{40}(-dirty)?", found)
    monkeypatch.setenv("SEMISUP_COMMIT", "79fa7df")
    assert git_commit() == "79fa7df"
    assert provenance()["commit"] == "79fa7df"


def test_outside_a_checkout_without_the_variable_the_commit_is_unknown(monkeypatch, tmp_path):
    monkeypatch.delenv("SEMISUP_COMMIT", raising=False)
    assert git_commit(tmp_path) == "unknown"


def test_xla_flags_are_recorded_where_set(monkeypatch):
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    assert provenance()["xla_flags"] is None
    monkeypatch.setenv("XLA_FLAGS", "--xla_gpu_deterministic_ops=true")
    assert provenance()["xla_flags"] == "--xla_gpu_deterministic_ops=true"


@pytest.mark.backend  # None under TensorFlow, the folder under JAX
def test_the_compilation_cache_folder_is_recorded_under_jax():
    import keras

    recorded = provenance()["compilation_cache"]
    if keras.backend.backend() != "jax":
        assert recorded is None
        return
    import jax

    # conftest.py gives the tests' JAX one cache folder for the session
    assert recorded == jax.config.jax_compilation_cache_dir and recorded
