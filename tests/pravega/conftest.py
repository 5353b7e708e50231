"""Tests against a real Pravega server: the message path, the transport, the CLI's use of
it. The shared standalone is reused when one answers, else started once per run."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from pravechat.core.session import RoomSession
from pravechat.core.settings import Settings
from pravechat.core.transport import Transport
from pravechat.ui.app import PravechatApp
from pravechat.ui.run import build_app
from tests.servers import pravega_uri, private_server, secure_server

__all__ = ["pravega_uri", "private_server", "secure_server"]


@pytest.fixture
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys, trust and sessions of the test's own (``usefixtures`` it)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def chat_app(uri: str, scope: str, user: str) -> PravechatApp:
    """The real chat screen of ``user``, as `pravechat --user` builds it."""
    return build_app(
        Settings(user=user, controller=uri, scope=scope), Transport.connect(uri, scope)
    )


async def until(pilot: Any, what: str, check: Callable[[], object], seconds: float = 45) -> None:
    """Let the screen run until ``check()`` holds; fail naming ``what`` after ``seconds``."""
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await pilot.pause(0.05)
    pytest.fail(f"never: {what}")


@pytest.fixture
async def opened() -> AsyncIterator[list[RoomSession]]:
    """Sessions a test opens, closed after it whatever happened."""
    sessions: list[RoomSession] = []
    yield sessions
    for session in sessions:
        await session.close()
