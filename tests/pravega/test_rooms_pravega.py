"""Three users across two rooms, through the real Pravega server."""

import time
import uuid
from pathlib import Path

import pytest
from textual import events

from pravechat.core.settings import Settings
from pravechat.core.transport import Transport
from pravechat.ui.app import PravechatApp
from pravechat.ui.run import build_app


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def _app(uri: str, scope: str, user: str, room: str, more: list[str]) -> PravechatApp:
    settings = Settings(user=user, room=room, rooms=more, controller=uri, scope=scope)
    return build_app(settings, Transport.connect(uri, scope))


async def _until(pilot: object, check: object, what: str, seconds: float = 45) -> None:
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if check():  # type: ignore[operator]
            return
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    pytest.fail(f"timed out waiting for {what}")


def _shows(app: PravechatApp, room: str, text: str) -> bool:
    return any(text in line for line in app.rooms[room].chat_log.plain_lines())


async def test_three_users_two_rooms(pravega_uri: str) -> None:
    scope = f"rooms-{uuid.uuid4().hex[:10]}"
    tim = _app(pravega_uri, scope, "tim", "lobby", ["random"])
    alex = _app(pravega_uri, scope, "alex", "lobby", [])
    maria = _app(pravega_uri, scope, "maria", "random", [])
    rings: list[None] = []
    tim.bell = lambda: rings.append(None)  # type: ignore[method-assign]
    async with (
        tim.run_test(size=(120, 30)) as tp,
        alex.run_test(size=(120, 30)) as ap,
        maria.run_test(size=(120, 30)) as mp,
    ):
        for app, pilot, room in ((tim, tp, "random"), (alex, ap, "lobby"), (maria, mp, "random")):
            await _until(pilot, lambda a=app, r=room: _shows(a, r, "you are in #"), "joining")
        # presence: tim sees both, each in their room
        await _until(tp, lambda: tim.roster.members("lobby") == ["alex", "tim"], "alex here")
        await _until(tp, lambda: tim.roster.members("random") == ["maria", "tim"], "maria here")

        # maria calls tim in #random while tim looks at #lobby: counted, highlighted, rung
        maria.chat_input.value = "@tim come to random"
        await mp.press("enter")
        await _until(tp, lambda: tim.rooms["random"].unseen == 1, "the unseen count")
        entry = tim.rooms["random"].chat_log.entries[-1]
        assert entry.mention and rings
        room_list = tim.query_one("#rooms")
        await _until(tp, lambda: "#random 1" in str(room_list.render()), "the room list")

        # alex pastes a block in #lobby: one message
        alex.post_message(events.Paste("line one\nline two\nline three"))
        await ap.pause(0.1)
        await ap.press("enter")
        await _until(tp, lambda: _shows(tim, "lobby", "line three"), "the pasted block")
        block = [e for e in tim.rooms["lobby"].chat_log.entries if "line one" in e.text]
        assert len(block) == 1 and block[0].text == "line one\nline two\nline three"

        # tim switches to #random: the count clears; then searches there
        await tp.press("ctrl+n")
        await tp.pause()
        assert tim.room == "random" and tim.rooms["random"].unseen == 0
        tim.chat_input.value = "/find COME"
        await tp.press("enter")
        await tp.pause()
        assert "match 1/1" in str(tim.query_one("#status").render())

        for pilot in (ap, mp, tp):
            await pilot.press("ctrl+q")
            await pilot.pause(0.3)
