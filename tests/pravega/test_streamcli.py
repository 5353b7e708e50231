"""Chatting with StreamCli users through a real Pravega: a StreamCli-compatible peer
(tests/clients/streamcli_peer.py) and pravechat, both ways, greet and joke, a peer with
history, hostile events, a restart, and the chat screen itself."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pravechat.core.commands import jokes
from pravechat.core.errors import PravechatError
from pravechat.core.protocol import MAX_TEXT_LENGTH, Kind, SkipReason
from pravechat.core.settings import Settings
from pravechat.core.streamcli import NOT_HERE, StreamCliSession, streamcli_transport
from pravechat.core.transport import Transport
from pravechat.server.local import LocalServer, ServerPorts
from pravechat.ui.app import PravechatApp
from pravechat.ui.run import build_app
from pravechat.ui.views import MessagesScreen, PickScreen
from tests.clients.streamcli_peer import JOKES, Shown, StreamCliPeer
from tests.helpers import Watched
from tests.pravega.conftest import until

pytestmark = pytest.mark.usefixtures("own_state_dir")


@pytest.fixture
def scope() -> str:
    """Each test its own StreamCli scope: the stream of the real one is shared by everyone."""
    return f"sc-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def peers() -> AsyncIterator[list[StreamCliPeer]]:
    started: list[StreamCliPeer] = []
    yield started
    for peer in started:
        await asyncio.to_thread(peer.close)


async def _peer(uri: str, user_id: str, scope: str, peers: list[StreamCliPeer]) -> StreamCliPeer:
    peer = await asyncio.to_thread(StreamCliPeer, uri, user_id, scope)
    peers.append(peer)
    return peer


async def _session(uri: str, scope: str, user: str) -> StreamCliSession:
    transport = streamcli_transport(Transport.connect(uri, "pravechat"), scope)
    return await StreamCliSession.open(transport, user)


async def test_a_streamcli_user_with_history_and_a_pravechat_user_talk_both_ways(
    pravega_uri: str, scope: str, peers: list[StreamCliPeer]
) -> None:
    alex = await _peer(pravega_uri, "alex", scope, peers)
    for typed in ("Hello there", "greet", "joke", "anyone here?"):
        await asyncio.to_thread(alex.say, typed)

    tim = Watched(await _session(pravega_uri, scope, "tim"))
    try:
        await tim.holds(4)
        said = {d.message.text: d for d in tim.delivered}
        # Everything the peer said before tim came, as StreamCli shows it, unread, from alex.
        assert {"hello there", "alex says hi!", "anyone here?"} <= set(said)
        joke = [d for d in tim.delivered if d.message.text in jokes()]
        assert len(joke) == 1 and joke[0].message.sender == "alex"
        assert all(d.unread and d.message.sender == "alex" for d in tim.delivered)

        tim.session.submit("Hi Alex, it's Tim")
        tim.session.submit("greet")
        tim.session.submit("joke")
        seen = await asyncio.to_thread(alex.read_until, 3)
        assert seen[:2] == [Shown("tim", "Hi Alex, it's Tim"), Shown("tim", "tim says hi!")]
        assert seen[2].sender == "tim" and seen[2].message in JOKES
        # tim's own lines, once each, shown as the others see them; none read back twice.
        await tim.holds(7)
        await asyncio.sleep(1.5)  # a copy read back from the stream would be in by now
        own = [d.message.text for d in tim.delivered if d.message.sender == "tim"]
        assert own[:2] == ["Hi Alex, it's Tim", "tim says hi!"] and len(own) == 3
        assert own[2] in jokes()
        assert not tim.session.pending

        await asyncio.to_thread(alex.say, "Nice to meet you")
        await tim.holds(8)
        assert tim.delivered[-1].message.text == "nice to meet you"
        assert not tim.delivered[-1].unread  # said while tim was there
    finally:
        await tim.session.close()


async def test_one_pravechat_senders_lines_keep_their_order_at_a_streamcli_peer(
    pravega_uri: str, scope: str, peers: list[StreamCliPeer]
) -> None:
    alex = await _peer(pravega_uri, "alex", scope, peers)
    tim = await _session(pravega_uri, scope, "tim")
    try:
        for n in range(20):  # faster than anyone types: paced, so each is a slice of its own
            tim.submit(f"line {n}")
        seen = await asyncio.to_thread(alex.read_until, 20)
        assert [line.message for line in seen] == [f"line {n}" for n in range(20)]
        assert alex.largest_slice == 1  # what would stop a StreamCli reader never came
    finally:
        await tim.close()


HOSTILE: list[bytes] = [
    b"not json at all",
    b"\xff\xfe\x00 not utf-8",
    b"[1, 2, 3]",
    b'"a string"',
    b'{"sender": 5, "message": "numbers are no names"}',
    b'{"sender": "mallory"}',
    b'{"message": "no sender"}',
    b'{"sender": "[b]mallory[/b]", "message": "markup as a name"}',
    b'{"sender": "m\\u001b[31m", "message": "an escape in the name"}',
    json.dumps({"sender": "mallory", "message": "x" * 70_000}).encode(),  # over 64 KiB
    b'{"sender": "mallory", "message": "   "}',
    b"[" * 60_000,  # deeper than JSON parsing recurses
]


async def test_hostile_events_are_skipped_or_shown_literally_and_reading_goes_on(
    pravega_uri: str, scope: str, peers: list[StreamCliPeer]
) -> None:
    mallory = await _peer(pravega_uri, "mallory", scope, peers)
    tim = Watched(await _session(pravega_uri, scope, "tim"))
    try:
        await asyncio.to_thread(mallory.write_all, HOSTILE)
        escapes = "\x1b[31mred\x1b[0m [b]bold[/b] [link=http://x]x[/link] \x07\x1b]0;title\x07"
        huge = "y" * 20_000
        several = [json.dumps({"sender": "mallory", "message": f"burst {n}"}).encode()
                   for n in range(200)]  # fmt: skip
        await asyncio.to_thread(mallory.write_all, [
            json.dumps({"sender": "mallory", "message": escapes, "extra": [1]}).encode(),
            json.dumps({"sender": "mallory", "message": huge}).encode(),
            *several,
        ])  # fmt: skip
        await asyncio.to_thread(mallory.say, "still here")
        await tim.holds(203)
        texts = tim.texts()
        assert "red [b]bold[/b] [link=http://x]x[/link] " in texts  # literal, controls gone
        assert not any("\x1b" in text or "\x07" in text for text in texts)
        cut = [text for text in texts if text.startswith("yyy")]
        assert len(cut) == 1 and len(cut[0]) == MAX_TEXT_LENGTH and cut[0].endswith("…")
        assert [t for t in texts if t.startswith("burst")] == [f"burst {n}" for n in range(200)]
        assert "still here" in texts  # (another segment: in no order with the rest)
        skipped = tim.session.skipped
        assert skipped[SkipReason.NOT_JSON] == 2 and skipped[SkipReason.NOT_UTF8] == 1
        assert skipped[SkipReason.NOT_AN_OBJECT] == 2 and skipped[SkipReason.OVERSIZED] == 1
        assert skipped[SkipReason.INVALID] == 6
        assert {d.message.sender for d in tim.delivered} == {"mallory"}
    finally:
        await tim.session.close()


async def test_coming_back_shows_what_was_seen_and_what_was_missed_once(
    pravega_uri: str, scope: str, peers: list[StreamCliPeer]
) -> None:
    alex = await _peer(pravega_uri, "alex", scope, peers)
    await asyncio.to_thread(alex.say, "before")
    first = Watched(await _session(pravega_uri, scope, "tim"))
    await first.holds(1)
    first.session.submit("mine")
    await first.holds(2)
    await first.session.close()

    missed = [f"while you were away {n}" for n in range(8)]
    for typed in missed:  # spread over both segments
        await asyncio.to_thread(alex.say, typed)
    again = Watched(await _session(pravega_uri, scope, "tim"))
    try:
        assert [m.text for m in again.session.history] == ["before", "mine"]
        await again.holds(8)
        await asyncio.sleep(1.5)  # anything read twice would be in by now
        assert sorted(again.texts()) == missed  # each once, in the order they arrive
        assert all(d.unread for d in again.delivered)  # whichever segment held it
        await asyncio.to_thread(alex.say, "now")
        await again.holds(9)
        assert not again.delivered[-1].unread
        with pytest.raises(PravechatError, match="plain lines only"):
            again.session.submit("waves", Kind.ACTION)
        with pytest.raises(PravechatError, match="plain lines only"):
            again.session.submit("yes", reply_to=again.session.history[0].id)
        found = await asyncio.to_thread(again.session.searcher("AWAY 3").search_blocking)
        assert [hit.message.text for hit in found] == ["while you were away 3"]
    finally:
        await again.session.close()


def _shown(app: PravechatApp) -> str:
    return "\n".join(app.chat_log.plain_lines())


def _refusals(app: PravechatApp) -> int:
    return sum(entry.text == NOT_HERE for entry in app.chat_log.entries)


def _said(app: PravechatApp, sender: str, text: str) -> bool:
    """A line of the log shows ``text`` from ``sender``."""
    return any(line.split()[1:2] == [sender] and line.rstrip().endswith(text)
               for line in app.chat_log.plain_lines())  # fmt: skip


async def test_the_chat_screen_talks_with_a_streamcli_user(
    pravega_uri: str, scope: str, peers: list[StreamCliPeer]
) -> None:
    alex = await _peer(pravega_uri, "alex", scope, peers)
    await asyncio.to_thread(alex.say, "Welcome to the old room")
    settings = Settings(user="tim", controller=pravega_uri, scope=f"{scope}-chat",
                        room="streamcli", streamcli_scope=scope)  # fmt: skip
    app = build_app(settings, Transport.connect(pravega_uri, f"{scope}-chat"))
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, "the history", lambda: _said(app, "alex", "welcome to the old room"))
        assert "StreamCli's room" in _shown(app) and "(unverified)" not in _shown(app)

        for typed in ("Hello from pravechat", "/greet", "/joke"):
            app.chat_input.value = typed
            await pilot.press("enter")
        seen = await asyncio.to_thread(alex.read_until, 3)
        assert seen[:2] == [Shown("tim", "Hello from pravechat"), Shown("tim", "tim says hi!")]
        assert seen[2].message in JOKES  # the keyword went out, and alex's side expanded it
        await until(pilot, "tim's greeting", lambda: _said(app, "tim", "tim says hi!"))

        app.chat_input.value = "/me waves"
        await pilot.press("enter")
        await until(pilot, "a refusal", lambda: _refusals(app) == 1)
        assert app.chat_input.value == "/me waves"  # nothing lost
        app.chat_input.value = ""
        await pilot.press("alt+up", "r")
        await until(pilot, "a refusal of replies", lambda: _refusals(app) == 2)
        await pilot.press("escape", "alt+up", "t")
        await until(pilot, "no threads", lambda: _refusals(app) == 3)
        await pilot.press("escape")
        assert "streamcli" in app.chat_input.rooms  # Tab completes /join streamcli

        await asyncio.to_thread(alex.say, "greet")
        await until(pilot, "alex's greeting", lambda: _said(app, "alex", "alex says hi!"))
        assert "(unverified)" not in _shown(app)

        app.chat_input.value = "/who"
        await pilot.press("enter")
        await until(pilot, "no presence", lambda: "StreamCli has no presence" in _shown(app))
        app.chat_input.value = "/search WELCOME"
        await pilot.press("enter")
        await until(pilot, "the results", lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")  # opened around it, from the local history
        await until(pilot, "around it", lambda: isinstance(app.screen, MessagesScreen))
        await pilot.press("escape")
        app.chat_input.value = "/join lobby"
        await pilot.press("enter")
        app.chat_input.value = "/leave streamcli"
        await pilot.press("enter")
        await until(pilot, "left", lambda: "streamcli" not in app.rooms)


async def test_lines_that_came_while_another_room_was_shown_are_all_there_on_switching(
    pravega_uri: str, scope: str, peers: list[StreamCliPeer]
) -> None:
    alex = await _peer(pravega_uri, "alex", scope, peers)
    await asyncio.to_thread(alex.write_all, [
        json.dumps({"sender": "alex", "message": f"earlier {n}"}).encode() for n in range(300)
    ])  # fmt: skip
    settings = Settings(user="tim", controller=pravega_uri, scope=f"{scope}-chat",
                        room="streamcli", rooms=["lobby"], streamcli_scope=scope)  # fmt: skip
    app = build_app(settings, Transport.connect(pravega_uri, f"{scope}-chat"))
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.rooms["streamcli"]
        await until(pilot, "the history", lambda: _said(app, "alex", "earlier 299"))
        await pilot.press("ctrl+end")
        await until(pilot, "all seen", lambda: pane.unseen == 0)
        app.chat_input.value = "/join lobby"
        await pilot.press("enter")
        await until(pilot, "in #lobby", lambda: app.room == "lobby")
        for n in range(3):
            await asyncio.to_thread(alex.say, f"meanwhile {n}")
        await until(pilot, "three unseen", lambda: pane.unseen == 3)
        app.chat_input.value = "/join streamcli"
        await pilot.press("enter")
        await until(pilot, "all three seen", lambda: pane.unseen == 0)
        log = pane.chat_log
        assert log.scroll_y == log.max_scroll_y  # the newest line is on screen


async def test_quitting_in_a_backlog_nobody_read_hangs_nothing_and_loses_nothing(
    pravega_uri: str, scope: str, peers: list[StreamCliPeer], tmp_path: Path
) -> None:
    alex = await _peer(pravega_uri, "alex", scope, peers)
    events = [
        json.dumps({"sender": "alex", "message": f"old {n}"}).encode() for n in range(14_000)
    ]  # more than the session's and the reader's queues hold
    for first in range(0, len(events), 2000):
        await asyncio.to_thread(alex.write_all, events[first : first + 2000])
    tim = await _session(pravega_uri, scope, "tim")
    await asyncio.sleep(3)  # the reader fills both queues; nobody takes from them
    await asyncio.wait_for(tim.close(), 30)
    kept = (tmp_path / "state/pravechat/sessions" / f"{scope}.streamcli.tim.log").read_text()
    texts = [json.loads(line)["text"] for line in kept.splitlines()]
    again = Watched(await _session(pravega_uri, scope, "tim"))
    try:
        await asyncio.sleep(3)
        read = texts + again.texts()  # what was kept, and what came again
        assert sorted(read) == sorted(f"old {n}" for n in range(14_000))  # each once
    finally:
        await again.session.close()


async def test_a_server_restart_loses_no_line_of_a_streamcli_conversation(
    private_server: tuple[LocalServer, ServerPorts],
) -> None:
    """The in-memory server forgets StreamCli's stream and every group: both come back, and
    what was typed meanwhile goes out once."""
    server, ports = private_server
    uri = f"tcp://127.0.0.1:{ports.controller}"
    scope = f"sc-{uuid.uuid4().hex[:10]}"
    alice = Watched(await _session(uri, scope, "alice"))
    bob = Watched(await _session(uri, scope, "bob"))
    try:
        alice.session.submit("before")
        await bob.wait_for("bob reads alice", lambda: "before" in bob.texts())
        server.stop()
        for watched in (alice, bob):
            await watched.reaches("reconnecting")
        alice.session.submit("while away 1")
        alice.session.submit("while away 2")
        bob.session.submit("bob while away")
        server.start(ports, heap="512m")
        await bob.wait_for("alice's lines", lambda: "while away 2" in bob.texts())
        await alice.wait_for("bob's line", lambda: "bob while away" in alice.texts())
        await asyncio.sleep(3)  # time for a copy to show up
        everything = ["before", "while away 1", "while away 2", "bob while away"]
        for watched in (alice, bob):  # each once, alice's in the order she sent them
            assert sorted(watched.texts()) == sorted(everything)
            assert [t for t in watched.texts() if t != "bob while away"] == everything[:3]
        assert all(w.session.state == "connected" for w in (alice, bob))
    finally:
        for watched in (alice, bob):
            await watched.session.close()


async def test_a_sealed_streamcli_stream_is_read_only_and_keeps_the_line(
    pravega_uri: str, scope: str, peers: list[StreamCliPeer]
) -> None:
    alex = await _peer(pravega_uri, "alex", scope, peers)
    tim = Watched(await _session(pravega_uri, scope, "tim"))
    try:
        await asyncio.to_thread(alex.say, "last words")
        await tim.holds(1)
        await asyncio.to_thread(alex.client.seal_stream, scope, "stream")
        tim.session.submit("anyone?")
        await tim.reaches("read-only")
        assert "sealed" in tim.statuses[-1].notice and "kept in" in tim.statuses[-1].notice
        with pytest.raises(PravechatError, match="sealed"):
            tim.session.submit("again")
    finally:
        await tim.session.close()
