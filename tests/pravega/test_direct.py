"""Direct conversations through the real server: announced in the inbox, waiting while away,
once and in order, readable by their members alone."""

import asyncio
import json
import os
import uuid
from pathlib import Path

import pytest

from pravechat.core.direct import DirectChats, parse_members
from pravechat.core.identity import Identity
from pravechat.core.keys import sync_keys
from pravechat.core.names import conversation_id
from pravechat.core.session import Delivery, RoomSession
from pravechat.core.transport import Transport, TransportError
from pravechat.core.trust import KeyRing
from tests.helpers import run_cli


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def scope() -> str:
    return f"dm-{uuid.uuid4().hex[:10]}"


async def _user(uri: str, scope: str, name: str) -> DirectChats:
    """One user's client: own transport, keys published, inbox read."""
    transport = Transport.connect(uri, scope)
    identity = Identity.generate(name)
    ring = KeyRing(own=(name, identity.key))
    chats = DirectChats(transport, identity, ring)
    chats.attach()
    await sync_keys(transport, identity, ring)
    await chats.read_inbox()
    return chats


async def _open(chats: DirectChats, room: str, opened: list[RoomSession]) -> RoomSession:
    session = await RoomSession.open(chats._transport, chats.user, room)
    opened.append(session)
    return session


async def _take(session: RoomSession, count: int) -> list[Delivery]:
    got: list[Delivery] = []
    async with asyncio.timeout(60):
        async for batch in session.batches():
            got += batch
            if len(got) >= count:
                return got
    return got


async def test_a_conversation_waits_for_its_member_in_order_and_once(
    pravega_uri: str, scope: str, opened: list[RoomSession]
) -> None:
    alice = await _user(pravega_uri, scope, "alice")
    bob = await _user(pravega_uri, scope, "bob")
    room = await alice.start(parse_members("alice", "bob"))
    assert room == conversation_id(["bob", "alice"])
    talk = await _open(alice, room, opened)
    said = [await talk.send(f"secret {n}") for n in range(5)]  # bob has never looked
    # bob learns of it from his inbox, without knowing of it before.
    assert await bob.read_inbox() == [(room, ("alice", "bob"))]
    assert await bob.read_inbox() == []  # each once
    listening = await _open(bob, room, opened)
    got = await _take(listening, 5)
    assert [d.message.text for d in got] == [m.text for m in said]
    assert all(d.unread and d.message.signature_valid for d in got)
    # A raw client reading the stream sees no text; the stream is not a room.
    raw = Transport.connect(pravega_uri, scope)
    head, tail = raw.bounds(room)
    data = raw.client.read_bytes(scope, room, head, tail)
    assert b"secret" not in data and b'"sealed"' in data
    assert await raw.list_rooms() == []
    # bob answers; alice reads it; a third user cannot.
    await listening.send("got them")
    back = await _take(talk, 6)  # her own five, read back, then his
    assert [d.message.text for d in back][-1] == "got them"
    eve = await _user(pravega_uri, scope, "eve")
    _, tail = raw.bounds(room)
    spied, _ = eve._transport.read_until_blocking(room, tail, 100)
    assert spied and all(m.unreadable == "not encrypted to you" for m in spied)
    assert all("secret" not in m.text for m in spied)


async def test_a_group_of_three_and_a_forged_invitation(
    pravega_uri: str, scope: str, opened: list[RoomSession]
) -> None:
    alice = await _user(pravega_uri, scope, "alice")
    bob = await _user(pravega_uri, scope, "bob")
    carol = await _user(pravega_uri, scope, "carol")
    room = await alice.start(parse_members("alice", "bob,carol"))
    await (await _open(alice, room, opened)).send("hi both")
    for member in (bob, carol):
        [(found, members)] = await member.read_inbox()
        assert found == room and members == ("alice", "bob", "carol")
        assert [d.message.text for d in await _take(await _open(member, room, opened), 1)] == [
            "hi both"
        ]
    # A forger's invitations: unsigned, or naming a conversation its members do not make.
    raw = Transport.connect(pravega_uri, scope)
    writer = raw.client.writer(scope, "inbox-bob")
    pair = ["bob", "mallory"]
    fake = {"v": 1, "kind": "conversation", "room": conversation_id(pair), "members": pair,
            "sender": "mallory", "sent_at": "2026-11-27T10:00:00Z"}  # fmt: skip
    writer.write(json.dumps(fake).encode(), "inbox-bob")
    mallory = Identity.generate("mallory")
    wrong = mallory.sign({**fake, "room": room}, "inbox-bob")
    writer.write(json.dumps(wrong).encode(), "inbox-bob")
    writer.write(b"\xff not json", "inbox-bob")
    assert await bob.read_inbox() == []


def test_members_are_checked() -> None:
    assert parse_members("tim", "@bob, carol") == ("bob", "carol", "tim")
    for names, said in [
        ("tim", "needs someone else"),
        ("", "needs someone else"),
        ("a,b,c,d,e,f,g,h", "at most 8"),
        ("bo b", "invalid user name"),
    ]:
        with pytest.raises(Exception, match=said):
            parse_members("tim", names)


def test_send_to_and_history_with_from_the_command_line(pravega_uri: str, tmp_path: Path) -> None:
    scope = f"dmcli-{uuid.uuid4().hex[:10]}"

    def machine(name: str) -> dict[str, str]:
        return dict(os.environ, XDG_STATE_HOME=str(tmp_path / name),
                    PRAVECHAT_CONTROLLER=pravega_uri, PRAVECHAT_SCOPE=scope)  # fmt: skip

    bob, alice, carol = machine("bob"), machine("alice"), machine("carol")
    assert run_cli("send", "--user=bob", "bob is here", env=bob).returncode == 0
    assert run_cli("send", "--user=carol", "carol too", env=carol).returncode == 0
    sent = run_cli("send", "--user=alice", "--to=bob", "psst, bob", env=alice)
    assert sent.returncode == 0, sent.stderr
    lines = run_cli("send", "--user=alice", "--to=bob", "-", env=alice, stdin="one\ntwo\n")
    assert lines.returncode == 0
    read = run_cli("history", "--user=bob", "--with=alice", "--json", env=bob)
    assert read.returncode == 0, read.stderr
    events = [json.loads(line) for line in read.stdout.splitlines()]
    assert [(e["sender"], e["text"], e["verified"]) for e in events] == [
        ("alice", "psst, bob", True),
        ("alice", "one", True),
        ("alice", "two", True),
    ]
    assert run_cli("history", "--user=alice", "--with=bob", env=alice).stdout.endswith(
        "<alice> two\n"
    )
    assert run_cli("rooms", env=alice).stdout == "lobby\n"  # a conversation is not a room
    for args, env, said in [
        (("history", "--user=carol", "--with=alice"), carol, "no conversation of alice, carol"),
        (("history", "--with=alice"), bob, "--with needs --user"),
        (("history", "lobby", "--with=alice", "--user=bob"), bob, "not both"),
        (("send", "--user=alice", "--to=nobody", "x"), alice, "no published key for nobody"),
        (("send", "--user=alice", "--to=alice", "x"), alice, "needs someone else"),
        (("send", "--user=alice", "--room=dm-abc", "x"), alice, "are direct conversations"),
    ]:
        result = run_cli(*args, env=env)
        assert result.returncode == 1 and said in result.stderr, (args, result.stderr)
        assert len(result.stderr.splitlines()) == 1


async def test_hostile_invitations_and_strangers_in_a_conversation(
    pravega_uri: str, scope: str, opened: list[RoomSession]
) -> None:
    """A signed invitation naming a bad member hides nothing after it; a line from someone
    not in the conversation shows as such; presence refuses to name a conversation."""
    alice = await _user(pravega_uri, scope, "alice")
    bob = await _user(pravega_uri, scope, "bob")
    mallory = await _user(pravega_uri, scope, "mallory")
    raw = Transport.connect(pravega_uri, scope)
    bad = {"v": 1, "kind": "conversation", "room": "dm-000000000000000000000000",
           "members": ["bob", "not a name"], "sender": "mallory"}  # fmt: skip
    event = mallory._identity.sign(bad, raw.place("inbox-bob"))
    raw.client.writer(scope, "inbox-bob").write(json.dumps(event).encode(), "inbox-bob")
    room = await alice.start(parse_members("alice", "bob"))
    assert await bob.read_inbox() == [(room, ("alice", "bob"))]
    # mallory knows both box keys (they are public) and writes into their conversation.
    mallory.members[room] = ("alice", "bob", "mallory")
    await mallory.sync()
    intruder = await _open(mallory, room, opened)
    await intruder.send("trust me, I am in")
    await (await _open(alice, room, opened)).send("only us")
    got = await _take(await _open(bob, room, opened), 2)
    texts = {d.message.sender: d.message for d in got}
    assert texts["alice"].text == "only us"
    assert texts["mallory"].unreadable == "mallory is not in this conversation"
    from pravechat.core.presence_session import PresenceSession

    presence = await PresenceSession.open(alice._transport, "alice")
    try:
        with pytest.raises(TransportError, match="private conversation"):
            await presence.enter(room)
    finally:
        await presence.close()
