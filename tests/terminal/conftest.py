"""The real program in tmux, as a person runs it, against a real Pravega server."""

import subprocess
import uuid
from collections.abc import Iterator

import pytest

from tests.servers import pravega_uri, private_server, secure_server

__all__ = ["pravega_uri", "private_server", "secure_server"]


@pytest.fixture
def tmux() -> Iterator[list[str]]:
    """A tmux server of the test's own (its socket name), killed at the end."""
    socket = f"pravechat-test-{uuid.uuid4().hex[:8]}"
    base = ["tmux", "-L", socket]
    yield base
    subprocess.run([*base, "kill-server"], check=False, capture_output=True)
