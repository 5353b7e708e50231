"""Server faults, against a Pravega server of the test's own that it stops and starts again.

The standalone server keeps every stream in memory, so a restart is the harshest fault there
is: the connection drops, and the room, its reader groups and the scope are gone when the
server comes back. Sessions must ride it out without losing or repeating a message.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pravechat.core.session import RoomSession
from pravechat.core.transport import Transport
from pravechat.server.local import LocalServer, ServerPorts
from tests.helpers import Watched


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
async def opened() -> AsyncIterator[list[RoomSession]]:
    sessions: list[RoomSession] = []
    yield sessions
    await asyncio.gather(*(session.close() for session in sessions))


RESTARTS = int(os.environ.get("PRAVECHAT_FAULT_RESTARTS", "1"))
"""Server restarts the chat lives through: one in CI, more in `make soak`."""
AWAY = int(os.environ.get("PRAVECHAT_FAULT_MESSAGES", "5"))
"""Lines each user sends while the server is away, per restart."""


async def test_server_restarts_lose_nothing(
    private_server: tuple[LocalServer, ServerPorts], opened: list[RoomSession]
) -> None:
    """Both users send while the server is up and while it is away, RESTARTS times over: each
    ends with every line once, in one shared order that keeps each sender's order."""
    server, ports = private_server
    uri = f"tcp://127.0.0.1:{ports.controller}"
    scope = f"f-{uuid.uuid4().hex[:10]}"
    sessions = [
        await RoomSession.open(Transport.connect(uri, scope), user, "lobby")
        for user in ("alice", "bob")
    ]
    opened.extend(sessions)
    users = [Watched(session) for session in sessions]
    alice, bob = users
    sent: list[str] = []
    for restart in range(RESTARTS):
        for watched in users:
            for n in range(2):
                text = f"{watched.session.user} up {restart}.{n}"
                await watched.session.send(text)
                sent.append(text)
        for watched in users:  # what the server loses on restart must have been read
            await watched.holds(len(sent))

        server.stop()
        for watched in users:
            await watched.reaches("reconnecting")
        away = {
            w.session.user: [f"{w.session.user} away {restart}.{n}" for n in range(AWAY)]
            for w in users
        }
        for n in range(AWAY):
            for watched in users:
                watched.session.submit(away[watched.session.user][n])
        await asyncio.sleep(1)
        for watched in users:  # nothing went anywhere
            assert [m.text for m in watched.session.pending] == away[watched.session.user]

        server.start(ports, heap="512m")
        sent.extend(text for texts in away.values() for text in texts)
        for watched in users:
            await watched.holds(len(sent))
            assert watched.session.pending == []
    await bob.session.send("after")
    await alice.wait_for("reading resumed", lambda: alice.texts()[-1:] == ["after"])
    sent.append("after")
    await asyncio.sleep(3)  # time for any duplicate to show up

    assert alice.texts() == bob.texts()  # one order for everyone
    assert sorted(alice.texts()) == sorted(sent)  # each line exactly once
    for user in ("alice", "bob"):
        own = [text for text in alice.texts() if text.startswith(user)]
        assert own == [text for text in sent if text.startswith(user)]  # in the order sent
    for watched in users:
        assert watched.session.state == "connected"
        states = [status.state for status in watched.statuses]
        assert states == ["reconnecting", "connected"] * RESTARTS
        assert "created again" in watched.statuses[-1].notice
    print(
        f"\nfaults: {RESTARTS} server restarts, {len(sent)} lines, "
        f"{sum(len(w.texts()) for w in users)} deliveries, lost 0, duplicated 0"
    )


async def test_what_could_not_be_sent_before_quitting_goes_out_at_the_next_join(
    private_server: tuple[LocalServer, ServerPorts], opened: list[RoomSession]
) -> None:
    server, ports = private_server
    uri = f"tcp://127.0.0.1:{ports.controller}"
    scope = f"f-{uuid.uuid4().hex[:10]}"
    alice = await RoomSession.open(Transport.connect(uri, scope), "alice", "lobby")
    bob = Watched(await RoomSession.open(Transport.connect(uri, scope), "bob", "lobby"))
    opened.append(bob.session)

    server.stop()
    await bob.reaches("reconnecting")
    kept = ["typed before quitting 1", "typed before quitting 2"]
    for text in kept:
        alice.submit(text)
    await alice.close()  # the server is away: the outbox is saved, not lost

    server.start(ports, heap="512m")
    await bob.reaches("connected")
    alice = await RoomSession.open(Transport.connect(uri, scope), "alice", "lobby")
    opened.append(alice)
    await bob.wait_for("the saved lines", lambda: bob.texts() == kept)
    assert alice.pending == []
    await asyncio.sleep(3)
    assert bob.texts() == kept
