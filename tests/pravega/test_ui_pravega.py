"""Two chat screens in one process talking through the real Pravega server."""

import uuid
from pathlib import Path

import pytest

from pravechat.core.settings import Settings
from pravechat.core.transport import Transport
from pravechat.ui.app import PravechatApp
from pravechat.ui.run import build_app
from tests.helpers import reader_offline


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state" / "pravechat" / "sessions"


def _app(pravega_uri: str, scope: str, user: str) -> PravechatApp:
    settings = Settings(user=user, controller=pravega_uri, scope=scope)
    return build_app(settings, Transport.connect(pravega_uri, scope))


async def _wait_for(pilot: object, app: PravechatApp, text: str, seconds: float = 45) -> None:
    for _ in range(int(seconds / 0.05)):
        if any(text in line for line in app.chat_log.plain_lines()):
            return
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    pytest.fail(f"{text!r} never appeared: {app.chat_log.plain_lines()}")


async def test_two_apps_talk_and_quitting_puts_the_reader_offline(
    pravega_uri: str, own_state_dir: Path
) -> None:
    scope = f"ui-{uuid.uuid4().hex[:10]}"
    alex, tim = _app(pravega_uri, scope, "alex"), _app(pravega_uri, scope, "tim")
    async with alex.run_test(size=(100, 30)) as alex_pilot:
        async with tim.run_test(size=(100, 30)) as tim_pilot:
            await _wait_for(tim_pilot, tim, "you are in #lobby as tim")
            await _wait_for(alex_pilot, alex, "you are in #lobby as alex")
            alex.chat_input.value = "hello tim, [bold]literally[/]"
            await alex_pilot.press("enter")
            await _wait_for(tim_pilot, tim, "alex hello tim, [bold]literally[/]")
            tim.chat_input.value = "/me waves back"
            await tim_pilot.press("enter")
            await _wait_for(alex_pilot, alex, "tim waves back")
            await tim_pilot.press("ctrl+q")
            await tim_pilot.pause(0.5)
        reader_offline(pravega_uri, scope, "tim")  # quitting saved the position
        alex.chat_input.value = "are you there?"
        await alex_pilot.press("enter")
        await _wait_for(alex_pilot, alex, "alex are you there?")
        await alex_pilot.press("ctrl+q")
        await alex_pilot.pause(0.5)
    # tim comes back: the line sent while away is unread, after a divider.
    tim = _app(pravega_uri, scope, "tim")
    async with tim.run_test(size=(100, 30)) as pilot:
        await _wait_for(pilot, tim, "are you there?")
        lines = tim.chat_log.plain_lines()
        divider = next(i for i, line in enumerate(lines) if "─ unread ─" in line)
        assert "are you there?" in lines[divider + 1]
        assert any("hello tim" in line for line in lines[:divider])
        assert tim.unread == 0  # on the screen: read
        await pilot.press("ctrl+q")
        await pilot.pause(0.5)
