"""Server faults, against a Pravega server of the test's own that it stops and starts again.

The standalone server keeps every stream in memory, so a restart is the harshest fault there
is: the connection drops, and the room, its reader groups and the scope are gone when the
server comes back. Sessions must ride it out without losing or repeating a message.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from pravechat.core.session import Delivery, RoomSession, SessionStatus
from pravechat.core.transport import Transport
from pravechat.server.local import LocalServer, ServerPorts


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


class Watched:
    """A session with what it delivered and every status it reported."""

    def __init__(self, session: RoomSession) -> None:
        self.session = session
        self.statuses: list[SessionStatus] = []
        self.delivered: list[Delivery] = []
        session.on_status = self.statuses.append
        self._task = asyncio.get_running_loop().create_task(self._collect())

    async def _collect(self) -> None:
        async for batch in self.session.batches():
            self.delivered.extend(batch)

    def texts(self) -> list[str]:
        return [d.message.text for d in self.delivered]

    async def wait_for(self, what: str, condition: Callable[[], bool], timeout: float = 90) -> None:
        try:
            async with asyncio.timeout(timeout):
                while not condition():
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise AssertionError(f"waited {timeout:.0f} s for {what}") from None


@pytest.fixture
async def opened() -> AsyncIterator[list[RoomSession]]:
    sessions: list[RoomSession] = []
    yield sessions
    await asyncio.gather(*(session.close() for session in sessions))


async def test_a_server_restart_loses_nothing(
    private_server: tuple[LocalServer, ServerPorts], opened: list[RoomSession]
) -> None:
    server, ports = private_server
    uri = f"tcp://127.0.0.1:{ports.controller}"
    scope = f"f-{uuid.uuid4().hex[:10]}"
    sessions = [
        await RoomSession.open(Transport.connect(uri, scope), user, "lobby")
        for user in ("alice", "bob")
    ]
    opened.extend(sessions)
    alice, bob = (Watched(session) for session in sessions)
    before = [f"before {n}" for n in range(3)]
    for text in before:
        await alice.session.send(text)
    await bob.wait_for("before", lambda: bob.texts() == before)

    server.stop()
    await alice.wait_for("alice reconnecting", lambda: alice.session.state == "reconnecting")
    await bob.wait_for("bob reconnecting", lambda: bob.session.state == "reconnecting")
    away = [f"while away {n}" for n in range(5)]
    for text in away:
        alice.session.submit(text)
    await asyncio.sleep(1)
    assert [m.text for m in alice.session.pending] == away  # nothing went anywhere

    server.start(ports, heap="512m")
    await bob.wait_for("bob got the outbox", lambda: bob.texts()[len(before) :] == away)
    assert alice.session.pending == []
    await alice.wait_for("alice got her own", lambda: alice.texts()[len(before) :] == away)
    await bob.session.send("after")
    await alice.wait_for("reading resumed", lambda: alice.texts()[-1:] == ["after"])
    await asyncio.sleep(3)  # time for any duplicate to show up

    for watched in (alice, bob):
        assert watched.texts() == [*before, *away, "after"]
        assert watched.session.state == "connected"
        states = [status.state for status in watched.statuses]
        assert states == ["reconnecting", "connected"]
        assert "created again" in watched.statuses[-1].notice


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
    await bob.wait_for("bob reconnecting", lambda: bob.session.state == "reconnecting")
    kept = ["typed before quitting 1", "typed before quitting 2"]
    for text in kept:
        alice.submit(text)
    await alice.close()  # the server is away: the outbox is saved, not lost

    server.start(ports, heap="512m")
    await bob.wait_for("bob back", lambda: bob.session.state == "connected")
    alice = await RoomSession.open(Transport.connect(uri, scope), "alice", "lobby")
    opened.append(alice)
    await bob.wait_for("the saved lines", lambda: bob.texts() == kept)
    assert alice.pending == []
    await asyncio.sleep(3)
    assert bob.texts() == kept
