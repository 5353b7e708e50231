"""What another participant with write access can do to a room under a running session
(seal it, delete it, delete a user's reader group, rescale it), through the real server:
the client cannot prevent it, so it must say what happened, lose nothing typed, and not
replay what was read."""

import asyncio
import uuid
from pathlib import Path

import pytest

from pravechat import _pravega
from pravechat.core import session as session_module
from pravechat.core.names import reader_group_name, room_stream
from pravechat.core.session import RoomSession
from pravechat.core.transport import RoomSealedError, Transport, TransportError, binding
from tests.helpers import Watched


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(session_module, "ROOM_CHECK_EVERY", 1.0)  # 20 s in use


@pytest.fixture
def transport(pravega_uri: str) -> Transport:
    return Transport.connect(pravega_uri, f"tamper-{uuid.uuid4().hex[:10]}")


async def _join(transport: Transport, opened: list[RoomSession], user: str) -> Watched:
    session = await RoomSession.open(transport, user, "lobby")
    opened.append(session)
    return Watched(session)


async def test_a_room_sealed_under_a_session_turns_it_read_only_and_keeps_the_unsent(
    transport: Transport, opened: list[RoomSession]
) -> None:
    tim = await _join(transport, opened, "tim")
    await tim.session.send("before the seal")
    transport.client.seal_stream(transport.scope, room_stream("lobby"))
    tim.session.submit("after the seal")  # its failure, or the room check, finds the seal
    await tim.reaches("read-only")
    [notice] = [s.notice for s in tim.statuses if s.state == "read-only"]
    assert "#lobby was sealed" in notice and "1 line(s) not sent are kept in" in notice
    kept = Path(notice.rsplit(" kept in ", 1)[1])
    assert "after the seal" in kept.read_text()
    with pytest.raises(RoomSealedError, match="#lobby is sealed"):
        tim.session.submit("and again")
    assert tim.texts() == ["before the seal"]  # reading it still works
    with pytest.raises(TransportError, match="sealed"):  # and a join says why it cannot
        await RoomSession.open(transport, "bob", "lobby")


async def test_a_room_deleted_under_a_session_is_said_to_be_deleted_not_lost_by_a_restart(
    transport: Transport, opened: list[RoomSession]
) -> None:
    tim = await _join(transport, opened, "tim")
    await tim.session.send("before")
    await tim.holds(1)
    stream = room_stream("lobby")
    transport.client.seal_stream(transport.scope, stream)  # Pravega deletes sealed streams only
    transport.client.delete_stream(transport.scope, stream)
    await tim.reaches("reconnecting")
    await tim.reaches("connected")
    notice = tim.statuses[-1].notice
    assert "deleted while the server stayed up" in notice and "restarted" not in notice
    await tim.session.send("after")
    await tim.wait_for("the line sent after", lambda: tim.texts() == ["before", "after"])


async def test_a_reader_group_deleted_under_a_session_restarts_where_it_stopped(
    transport: Transport, opened: list[RoomSession]
) -> None:
    """Rejoining with the group gone used to start at the room's head: everything read was
    delivered again (hidden only while the ids were still remembered)."""
    tim = await _join(transport, opened, "tim")
    for n in range(20):
        await tim.session.send(f"line {n}")
    await tim.holds(20)
    read_to = transport.tail_offset(room_stream("lobby"))
    group = reader_group_name("tim", "lobby")
    transport.client.delete_reader_group(transport.scope, group)
    await tim.reaches("reconnecting")
    await tim.reaches("connected")
    notice = tim.statuses[-1].notice
    assert "someone deleted your reader group of #lobby" in notice
    assert f"{group}.2" in notice and "from where you were" in notice
    again = transport.client.reader_group(
        transport.scope, f"{group}.2", room_stream("lobby"), "head"
    )
    assert again.position() == read_to  # not 0: nothing before it is read again
    await tim.session.send("after")
    await tim.wait_for("the line sent after", lambda: tim.texts()[-1] == "after")
    assert len(tim.texts()) == 21
    await tim.session.close()  # the next join says which group reads, and resumes there
    opened.remove(tim.session)
    back = await _join(transport, opened, "tim")
    assert back.session.notices and f"{group}.2" in back.session.notices[0]
    assert back.session.history[-1].text == "after"


async def test_a_second_session_of_the_same_user_takes_over_and_the_first_says_so(
    transport: Transport,
    opened: list[RoomSession],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each join takes the group's online readers offline (a crashed one must be recovered):
    two live sessions used to take it from each other every few seconds, forever."""
    first = await _join(transport, opened, "tim")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "elsewhere"))  # another machine
    second = await _join(transport, opened, "tim")
    await first.reaches("taken")
    assert "another session of tim" in first.statuses[-1].notice
    await second.session.send("heard by the second")
    await second.wait_for("the line", lambda: second.texts() == ["heard by the second"])
    await asyncio.sleep(3)
    assert second.session.state == "connected" and first.session.state == "taken"
    assert all(s.state != "reconnecting" for s in second.statuses)


def test_a_rescaled_room_is_named_as_such() -> None:
    """The binding reads rooms of one segment; what it says of another is turned into words
    a user can act on (scaling needs a client this project does not ship)."""
    rescaled = _pravega.PravegaError("the tail: expected a stream of one segment, found 2")
    with pytest.raises(TransportError, match="rescaled into several segments"), binding("x"):
        raise rescaled


async def test_a_reader_put_offline_with_nobody_taking_its_place_rejoins(
    transport: Transport, opened: list[RoomSession]
) -> None:
    """A cluster losing a piece can leave a reader marked offline (seen in the cluster
    drills): with no other reader in the group, that is no takeover, and the session
    rejoins instead of giving the room up."""
    tim = await _join(transport, opened, "tim")
    group = _pravega.Client(transport.uri).reader_group(
        transport.scope, reader_group_name("tim", "lobby"), room_stream("lobby"), "tail"
    )
    (reader,) = group.online_readers()
    group.reader_offline(reader, None)
    await tim.reaches("reconnecting")
    await tim.reaches("connected")
    await tim.session.send("still here")
    await tim.wait_for("the line", lambda: tim.texts() == ["still here"])
    assert all(status.state != "taken" for status in tim.statuses)
