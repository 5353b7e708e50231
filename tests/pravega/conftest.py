"""Tests against a real Pravega server: the message path, the transport, the CLI's use of
it. The shared standalone is reused when one answers, else started once per run."""

from collections.abc import AsyncIterator

import pytest

from pravechat.core.session import RoomSession
from tests.servers import pravega_uri, private_server, secure_server

__all__ = ["pravega_uri", "private_server", "secure_server"]


@pytest.fixture
async def opened() -> AsyncIterator[list[RoomSession]]:
    """Sessions a test opens, closed after it whatever happened."""
    sessions: list[RoomSession] = []
    yield sessions
    for session in sessions:
        await session.close()
