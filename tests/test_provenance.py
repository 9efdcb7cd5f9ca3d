import re

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
