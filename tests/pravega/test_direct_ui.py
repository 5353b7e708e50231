"""Direct conversations between two real chat screens through Pravega: /msg, the inbox,
replies, and what was said while away waiting, once."""

import uuid

import pytest

from pravechat.core.names import conversation_id
from pravechat.ui.app import PravechatApp
from tests.pravega.conftest import chat_app, until

pytestmark = pytest.mark.usefixtures("own_state_dir")


def _texts(app: PravechatApp, room: str) -> list[str]:
    pane = app.rooms.get(room)
    return [] if pane is None else [e.text for e in pane.chat_log.entries if e.message]


async def test_msg_reaches_the_other_screen_and_waits_while_away(pravega_uri: str) -> None:
    scope = f"dmui-{uuid.uuid4().hex[:10]}"
    room = conversation_id(["alice", "bob"])
    alice, bob = chat_app(pravega_uri, scope, "alice"), chat_app(pravega_uri, scope, "bob")
    async with alice.run_test(size=(120, 30)) as alice_pilot:
        async with bob.run_test(size=(120, 30)) as bob_pilot:
            await until(bob_pilot, "bob in", lambda: bob.current.session is not None)
            await until(alice_pilot, "alice in", lambda: alice.current.session is not None)
            alice.chat_input.value = "/msg bob hello bob, [b]privately[/b]"
            await alice_pilot.press("enter")
            await until(bob_pilot, "bob's @alice", lambda: "hello" in " ".join(_texts(bob, room)))
            assert _texts(bob, room) == ["hello bob, [b]privately[/b]"]
            pane = bob.rooms[room]
            assert pane.label == "@alice" and list(bob.rooms) == ["lobby", room]
            assert pane.mentions == 1  # a private line counts as a mention
            assert alice.room == "lobby"  # /msg sends without leaving the room
            await bob_pilot.press("alt+2")
            assert bob.room == room
            bob.chat_input.value = "hi alice"
            await bob_pilot.press("enter")
            await until(alice_pilot, "the answer", lambda: "hi alice" in _texts(alice, room))
            await bob_pilot.press("ctrl+q")
            await bob_pilot.pause(0.5)
        alice.chat_input.value = "/query bob"
        await alice_pilot.press("enter")
        await until(alice_pilot, "the conversation shown", lambda: alice.room == room)
        alice.chat_input.value = "said while you were away"
        await alice_pilot.press("enter")
        await until(alice_pilot, "echo", lambda: "said while you were away" in _texts(alice, room))
        await alice_pilot.press("ctrl+q")
        await alice_pilot.pause(0.5)
    bob = chat_app(pravega_uri, scope, "bob")
    async with bob.run_test(size=(120, 30)) as pilot:
        await until(pilot, "the away line", lambda: "said while you were away" in _texts(bob, room))
        await pilot.pause(1.0)
        assert _texts(bob, room) == [
            "hello bob, [b]privately[/b]",
            "hi alice",
            "said while you were away",
        ]  # each once
        assert bob.rooms[room].unseen == 1
        await pilot.press("ctrl+q")
        await pilot.pause(0.5)
