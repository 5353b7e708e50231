"""Replies, reactions, edits and deletions between two real chat screens through Pravega, what
a newcomer and a script read of them afterwards, and what an older (0.4) client makes of the
new events."""

import json
import uuid
from typing import Any

import pytest

from pravechat.core.identity import Identity
from pravechat.core.keys import sync_keys
from pravechat.core.names import room_stream
from pravechat.core.protocol import Kind
from pravechat.core.session import RoomSession
from pravechat.core.settings import Settings
from pravechat.core.transport import Transport
from pravechat.core.trust import KeyRing
from pravechat.ui.app import PravechatApp
from pravechat.ui.chat_log import ChatLog
from pravechat.ui.run import build_app
from pravechat.ui.views import MessagesScreen, PickScreen
from tests.clients import protocol_0_4
from tests.helpers import run_cli
from tests.pravega.conftest import chat_app, until

pytestmark = pytest.mark.usefixtures("own_state_dir")


def _shown(app: PravechatApp) -> str:
    return "\n".join(app.chat_log.plain_lines())


async def _joined(pilot: Any, app: PravechatApp) -> None:
    await until(pilot, f"{app.user} joined", lambda: app.session is not None)


async def test_two_users_reply_react_edit_and_delete(pravega_uri: str) -> None:
    scope = f"conv-{uuid.uuid4().hex[:10]}"
    alice, bob = chat_app(pravega_uri, scope, "alice"), chat_app(pravega_uri, scope, "bob")
    async with alice.run_test(size=(120, 30)) as a, bob.run_test(size=(120, 30)) as b:
        await _joined(a, alice)
        await _joined(b, bob)
        alice.chat_input.value = "lunch at noon?"
        await a.press("enter")
        await until(b, "bob reads it", lambda: "lunch at noon?" in _shown(bob))

        await b.press("alt+up", "r")  # bob replies to the newest message
        bob.chat_input.value = "yes, pizza"
        await b.press("enter")
        await until(a, "the reply", lambda: "yes, pizza" in _shown(alice))
        assert "↪ alice: lunch at noon?" in _shown(alice) and "1 reply" in _shown(alice)

        await a.press("alt+up", "plus")  # alice reacts to bob's reply
        alice.chat_input.value = "👍"
        await a.press("enter")
        await until(b, "the reaction", lambda: "👍 1" in _shown(bob))
        assert "[👍 1]" in _shown(alice)  # her own, marked

        await b.press("alt+up", "e")  # bob edits his reply
        assert bob.chat_input.value == "yes, pizza"
        bob.chat_input.value = "yes, pizza at Luigi's"
        await b.press("enter")
        await until(a, "the edit", lambda: "yes, pizza at Luigi's (edited)" in _shown(alice))

        await a.press("alt+up", "e")  # alice cannot edit bob's line (the newest)
        assert "you can edit only your own messages" in _shown(alice)
        await a.press("escape")

        await b.press("alt+up", "d", "d")  # bob deletes his reply
        await until(a, "the deletion", lambda: "(deleted)" in _shown(alice))
        assert "Luigi" not in _shown(alice) and "👍" not in _shown(alice)

    # A newcomer sees the same, from history: the log is append-only, the screen applies it.
    carol = chat_app(pravega_uri, scope, "carol")
    async with carol.run_test(size=(120, 30)) as c:
        await _joined(c, carol)
        await until(c, "history", lambda: "lunch at noon?" in _shown(carol))
        shown = _shown(carol)
        assert "(deleted)" in shown and "Luigi" not in shown and "yes, pizza" not in shown

    # A script: plain lines apply them; --json gives every event as it is.
    plain = run_cli("history", "lobby", "--controller", pravega_uri, "--scope", scope)
    assert plain.returncode == 0, plain.stderr
    assert "<bob> (re alice: lunch at noon?) (deleted)" in plain.stdout
    events = [
        json.loads(line)
        for line in run_cli(
            "history", "lobby", "--json", "--controller", pravega_uri, "--scope", scope
        ).stdout.splitlines()
    ]
    kinds = [event["kind"] for event in events]
    assert kinds == ["chat", "chat", "react", "edit", "delete"]
    assert events[1]["reply_to"] == events[0]["id"]
    assert {event["target"] for event in events[2:]} == {events[1]["id"]}
    assert events[3]["text"] == "yes, pizza at Luigi's"  # the original stays in the stream
    assert events[1]["text"] == "yes, pizza"


async def _signed_session(
    uri: str, scope: str, name: str, opened: list[RoomSession]
) -> tuple[RoomSession, Identity]:
    """A bot's session that signs what it writes, its key published on the keys stream."""
    transport = Transport.connect(uri, scope)
    identity = Identity.generate(name)
    transport.signer = identity
    await sync_keys(transport, identity, KeyRing(own=(name, identity.key)))
    session = await RoomSession.open(transport, name, "lobby")
    opened.append(session)
    return session, identity


async def test_an_edit_of_someone_elses_message_is_never_shown_as_theirs(
    pravega_uri: str, opened: list[RoomSession]
) -> None:
    scope = f"conv-{uuid.uuid4().hex[:10]}"
    alice, _ = await _signed_session(pravega_uri, scope, "alice", opened)
    original = await alice.send("the meeting is at 10")
    mallory, mallory_key = await _signed_session(pravega_uri, scope, "mallory", opened)
    # mallory's own signed edit and deletion of alice's line, under mallory's name
    mallory.submit("the meeting is cancelled", Kind.EDIT, target=original.id)
    mallory.submit("", Kind.DELETE, target=original.id)
    await mallory.send("trying")
    # and under alice's name, signed by mallory's key (a valid signature, the wrong key)
    raw = Transport.connect(pravega_uri, scope)
    stream = room_stream("lobby")
    forged = {"v": 1, "id": uuid.uuid4().hex, "room": "lobby", "sender": "alice",
              "kind": "edit", "text": "cancelled, says alice", "target": original.id,
              "sent_at": "2026-11-27T10:00:00.000Z"}  # fmt: skip
    signed = mallory_key.sign(forged, raw.place(stream))
    raw.client.writer(scope, stream).write(json.dumps(signed).encode(), "lobby")
    await mallory.send("done")

    bob = chat_app(pravega_uri, scope, "bob")
    async with bob.run_test(size=(120, 30)) as pilot:
        await _joined(pilot, bob)
        await until(pilot, "history", lambda: "done" in _shown(bob))
        shown = _shown(bob)
        assert "the meeting is at 10" in shown and "trying" in shown
        assert "(edited)" not in shown and "(deleted)" not in shown
        assert "cancelled" not in shown


async def test_an_older_client_shows_replies_and_skips_the_new_kinds(
    pravega_uri: str, opened: list[RoomSession]
) -> None:
    scope = f"conv-{uuid.uuid4().hex[:10]}"
    alice, _ = await _signed_session(pravega_uri, scope, "alice", opened)
    transport = Transport.connect(pravega_uri, scope)
    first = await alice.send("hello")
    alice.submit("hello, world", Kind.EDIT, target=first.id)
    alice.submit("👍", Kind.REACT, target=first.id)
    alice.submit("an answer", reply_to=first.id)
    alice.submit("", Kind.DELETE, target=first.id)
    await alice.send("the end")

    events, _ = transport.read_events_since(room_stream("lobby"), 0, 1 << 20)
    where = transport.place(room_stream("lobby"))
    old = [protocol_0_4.decode_event(event, where) for event in events]
    shown = [decoded.text for decoded in old if isinstance(decoded, protocol_0_4.ChatMessage)]
    skipped = [d.reason for d in old if isinstance(d, protocol_0_4.Skipped)]
    # 0.4 shows the original and the reply as a plain line, and skips the rest as invalid
    # events (counted, silently): no crash, no stray lines.
    assert shown == ["hello", "an answer", "the end"]
    assert skipped == [protocol_0_4.SkipReason.INVALID] * 3
    assert all(d.signature_valid for d in old if isinstance(d, protocol_0_4.ChatMessage))


async def test_search_reaches_past_the_loaded_history_and_opens_around_a_result(
    pravega_uri: str,
) -> None:
    scope = f"conv-{uuid.uuid4().hex[:10]}"
    lines = ["the first plan: Zebra", *(f"filler {n}" for n in range(1, 3000))]
    sent = run_cli("send", "--user", "alex", "--room", "lobby", "--controller", pravega_uri,
                   "--scope", scope, "-", stdin="\n".join(lines) + "\n")  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    tim = build_app(
        Settings(user="tim", controller=pravega_uri, scope=scope, history=100),
        Transport.connect(pravega_uri, scope),
    )
    async with tim.run_test(size=(120, 30)) as pilot:
        await _joined(pilot, tim)
        await until(pilot, "history", lambda: "filler 2999" in _shown(tim))
        assert "Zebra" not in _shown(tim)  # far older than the 100 loaded
        tim.chat_input.value = "/search zebra"
        await pilot.press("enter")
        await until(pilot, "the results", lambda: isinstance(tim.screen, PickScreen))
        assert "1 message holds 'zebra' in #lobby" in _shown(tim)
        await pilot.press("enter")
        await until(pilot, "the messages around", lambda: isinstance(tim.screen, MessagesScreen))
        log = tim.screen.query_one(ChatLog)
        assert log.selected_entry is not None
        assert log.selected_entry.text == "the first plan: Zebra"
        shown = [entry.text for entry in log.entries if entry.message is not None]
        assert shown == ["the first plan: Zebra", *(f"filler {n}" for n in range(1, 16))]
        await pilot.press("r")  # a reply to it, from there
        await until(pilot, "back", lambda: not isinstance(tim.screen, MessagesScreen))
        tim.chat_input.value = "found it"
        await pilot.press("enter")
        await until(pilot, "the reply", lambda: "found it" in _shown(tim))
        assert "↪ a message not loaded" in _shown(tim)  # older than the scrollback

        tim.chat_input.value = "/search nothing-like-this"
        await pilot.press("enter")
        await until(pilot, "no result", lambda: "no message of #lobby holds" in _shown(tim))
