"""Pravega servers for tests: fixtures the pravega and terminal tiers import in their
conftest (the unit tier has none, so a unit test cannot start or reach one)."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pravechat.core.paths import cache_dir, state_dir
from pravechat.core.probe import DEFAULT_CONTROLLER_URI, controller_answers
from pravechat.server.local import LocalServer, ServerPorts, StartOutcome
from pravechat.server.ports import quiet_port
from pravechat.server.secure import SecureFiles


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


@pytest.fixture(scope="module")
def secure_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SecureFiles]]:
    server = LocalServer(tmp_path_factory.mktemp("secure") / "server", cache_dir())
    ports = ServerPorts(quiet_port(), quiet_port(), quiet_port())
    _, status = server.start(ports, heap="512m", secure=True)
    try:
        yield status.uri, server.secure_files
    finally:
        server.stop()


def client_env(uri: str, files: SecureFiles, home: Path, **changes: str | None) -> dict[str, str]:
    """A user's environment for this server: its settings as the start command prints them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRAVECHAT_")}
    env.update(XDG_STATE_HOME=str(home / "state"), XDG_CONFIG_HOME=str(home / "config"))
    env.update(PRAVECHAT_CONTROLLER=uri, PRAVECHAT_SCOPE=f"s-{uuid.uuid4().hex[:10]}")
    env.update(files.client_settings())
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env
