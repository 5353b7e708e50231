"""Session fixtures: a real Pravega server for every test that needs one."""

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pravechat.core.paths import cache_dir, state_dir
from pravechat.core.probe import DEFAULT_CONTROLLER_URI, controller_answers
from pravechat.server.local import LocalServer, ServerPorts, StartOutcome
from pravechat.server.ports import quiet_port

# pravechat.core already turned the binding's Rust logs off (they would go to stdout).
os.environ["TZ"] = "UTC"  # message times on screen (and in snapshots) do not depend on the host
time.tzset()


@pytest.fixture(scope="session")
def pravega_uri() -> Iterator[str]:
    """A controller URI that serves: reuses one that answers, else starts the local server."""
    uri = os.environ.get("PRAVECHAT_CONTROLLER", DEFAULT_CONTROLLER_URI)
    if controller_answers(uri):
        yield uri
        return
    server = LocalServer(state_dir() / "server", cache_dir())
    outcome, status = server.start()
    try:
        yield status.uri
    finally:
        if outcome is StartOutcome.STARTED:
            server.stop()


@pytest.fixture
def private_server(tmp_path: Path) -> Iterator[tuple[LocalServer, ServerPorts]]:
    """A standalone server on free ports for one test, which may stop and start it (the
    shared one stays up for the others)."""
    server = LocalServer(tmp_path / "server", cache_dir())
    ports = ServerPorts(quiet_port(), quiet_port(), quiet_port())
    server.start(ports, heap="512m")
    try:
        yield server, ports
    finally:
        server.stop()


@pytest.fixture
def tmux() -> Iterator[list[str]]:
    """A tmux server of the test's own (its socket name), killed at the end."""
    socket = f"pravechat-test-{uuid.uuid4().hex[:8]}"
    base = ["tmux", "-L", socket]
    yield base
    subprocess.run([*base, "kill-server"], check=False, capture_output=True)
