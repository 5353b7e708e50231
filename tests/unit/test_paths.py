"""Directories pravechat makes are its owner's alone; those a user chose keep their mode."""

from pathlib import Path

import pytest

from pravechat.core.paths import private_dir, state_dir


def test_ours_are_made_and_repaired_0700_a_chosen_one_is_left_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    state_dir().mkdir(parents=True, mode=0o755)  # as an earlier version left it
    sessions = private_dir(state_dir() / "sessions")
    assert (state_dir().stat().st_mode & 0o777, sessions.stat().st_mode & 0o777) == (0o700,) * 2
    chosen = tmp_path / "shared"
    chosen.mkdir(mode=0o755)
    chosen.chmod(0o755)
    private_dir(chosen)  # `server start --durable --data-dir shared`
    inside = private_dir(chosen / "lts")
    assert chosen.stat().st_mode & 0o777 == 0o755
    assert inside.stat().st_mode & 0o777 == 0o700
