"""What every tier shares. Each tier has its own conftest: tests/unit (no server),
tests/pravega (a real server), tests/terminal (tmux and a server), tests/slow."""

import os
import time
from pathlib import Path

import pytest

# pravechat.core already turned the binding's Rust logs off (they would go to stdout).
os.environ["TZ"] = "UTC"  # message times on screen (and in snapshots) do not depend on the host
time.tzset()


@pytest.fixture
def isolated_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose server state lives in tmp_path (the jar cache stays shared)."""
    return dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))
