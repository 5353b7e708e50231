"""pravechat's own binding (native/, ``pravechat._pravega``) against the real server."""

import asyncio
import importlib.util
import threading
import time
import uuid
from pathlib import Path

import pytest

from pravechat import _pravega
from pravechat.core.names import room_stream
from pravechat.core.protocol import new_message
from pravechat.core.session import RoomSession
from pravechat.core.transport import Transport
from pravechat.server.local import LocalServer, ServerPorts


@pytest.fixture
def client(pravega_uri: str) -> _pravega.Client:
    return _pravega.Client(pravega_uri)


@pytest.fixture
def scope(client: _pravega.Client) -> str:
    name = f"b-{uuid.uuid4().hex[:12]}"
    assert client.create_scope(name) is True
    return name


def _read(reader: _pravega.Reader, count: int, deadline: float = 60) -> list[tuple[int, bytes]]:
    got: list[tuple[int, bytes]] = []
    ends = time.monotonic() + deadline
    while len(got) < count and time.monotonic() < ends:
        got.extend(reader.acquire())
        reader.release()
    return got


def test_events_written_are_read_back_in_order_with_their_offsets(
    client: _pravega.Client, scope: str
) -> None:
    assert client.create_stream(scope, "room") is True
    assert client.create_stream(scope, "room") is False  # already there
    writer = client.writer(scope, "room")
    sent = [f"event {n} {uuid.uuid4()}".encode() for n in range(200)]
    writer.write(sent[0], "room")
    writer.write_all(sent[1:], "room")
    group = client.reader_group(scope, "rg", "room", "head")
    reader = group.reader("r1")
    try:
        got = _read(reader, len(sent))
    finally:
        reader.offline()
    assert [data for _, data in got] == sent
    offsets = [offset for offset, _ in got]
    assert offsets[0] == 0
    assert all(b - a == 8 + len(d) for (a, d), b in zip(got, offsets[1:], strict=False))
    head, tail = client.bounds(scope, "room")
    assert (head, tail) == (0, offsets[-1] + 8 + len(sent[-1]))
    raw = client.read_bytes(scope, "room", offsets[10], offsets[12])
    assert raw == b"".join(len(d).to_bytes(8, "big") + d for d in sent[10:12])


def test_a_slice_of_a_stream_of_two_segments_names_its_segment(
    client: _pravega.Client, scope: str
) -> None:
    client.create_stream(scope, "two", 2)
    writer = client.writer(scope, "two")
    for n in range(40):  # keys spread over both segments
        writer.write(f"event {n}".encode(), f"key-{n}")
    reader = client.reader_group(scope, "g", "two", "head").reader("r")
    by_segment: dict[str, list[bytes]] = {}
    ends = time.monotonic() + 60
    while sum(map(len, by_segment.values())) < 40 and time.monotonic() < ends:
        segment, events = reader.acquire_tagged()
        if events:
            assert segment.startswith(f"{scope}/two/")
            by_segment.setdefault(segment, []).extend(data for _, data in events)
        reader.release()
    assert len(by_segment) == 2  # two names, one per segment
    assert sorted(d for got in by_segment.values() for d in got) == sorted(
        f"event {n}".encode() for n in range(40)
    )
    assert reader.acquire_tagged(release_previous=False)[1] == []  # nothing more: no name
    reader.offline()


def test_a_group_remembers_its_position_and_starts_where_told(
    client: _pravega.Client, scope: str
) -> None:
    client.create_stream(scope, "room")
    writer = client.writer(scope, "room")
    writer.write_all([f"m{n}".encode() for n in range(10)], "room")
    group = client.reader_group(scope, "tim", "room", "head")
    reader = group.reader("a")
    got = _read(reader, 10)
    reader.offline()
    assert group.position() == client.bounds(scope, "room")[1]
    writer.write(b"later", "room")
    again = client.reader_group(scope, "tim", "room", "tail")  # exists: keeps its position
    reader = again.reader("b")
    assert [d for _, d in _read(reader, 1)] == [b"later"]
    reader.offline()
    at = client.reader_group(scope, "from-5", "room", got[5][0])
    reader = at.reader("c")
    assert [d for _, d in _read(reader, 6)] == [*(f"m{n}".encode() for n in range(5, 10)), b"later"]
    reader.offline()


def test_a_blocking_read_releases_the_gil(client: _pravega.Client, scope: str) -> None:
    """While a reader waits for data in one thread, Python code runs in another."""
    client.create_stream(scope, "idle")
    reader = client.reader_group(scope, "rg", "idle", "tail").reader("r")
    counted = 0
    done = threading.Event()

    def count() -> None:
        nonlocal counted
        while not done.is_set():
            counted += 1

    counter = threading.Thread(target=count)
    counter.start()
    began = time.monotonic()
    try:
        for _ in range(2):
            assert reader.acquire() == []  # about a second each, nothing written
            reader.release()
    finally:
        done.set()
        counter.join()
    waited = time.monotonic() - began
    reader.offline()
    print(f"\n[binding] {counted:,} increments in another thread during {waited:.2f} s of reads")
    assert waited > 1.0 and counted > 100_000


def test_interrupt_ends_a_pending_read_at_once(client: _pravega.Client, scope: str) -> None:
    client.create_stream(scope, "idle")
    reader = client.reader_group(scope, "rg", "idle", "tail").reader("r")
    threading.Timer(0.1, reader.interrupt).start()
    began = time.monotonic()
    assert reader.acquire() == []
    took = time.monotonic() - began
    reader.release()
    reader.offline()
    assert took < 0.5


def test_given_back_events_are_read_again(client: _pravega.Client, scope: str) -> None:
    client.create_stream(scope, "room")
    client.writer(scope, "room").write_all([b"a", b"b"], "room")
    group = client.reader_group(scope, "rg", "room", "head")
    reader = group.reader("r1")
    first = _read_without_release(reader)
    reader.release(give_back=True)
    reader.offline()
    reader = group.reader("r2")
    assert [d for _, d in _read(reader, 2)] == [d for _, d in first] == [b"a", b"b"]
    reader.offline()


def _read_without_release(reader: _pravega.Reader) -> list[tuple[int, bytes]]:
    for _ in range(30):
        if got := reader.acquire():
            return got
        reader.release()
    raise AssertionError("nothing read")


def test_panics_and_refusals_are_ordinary_exceptions(client: _pravega.Client, scope: str) -> None:
    """The crate panics on a second online reader of one id: an Exception here, not pyo3's
    PanicException (a BaseException that `except Exception` lets through)."""
    client.create_stream(scope, "room")
    group = client.reader_group(scope, "rg", "room", "head")
    reader = group.reader("same")
    with pytest.raises(_pravega.PravegaError, match="reader"):
        group.reader("same")
    assert group.online_readers() == ["same"]
    group.reader_offline("same")  # as after a crash
    assert group.online_readers() == []
    with pytest.raises(_pravega.PravegaError):
        reader.acquire()  # taken offline by someone else
    with pytest.raises(ValueError, match="start must be"):
        client.reader_group(scope, "rg2", "room", "middle")  # type: ignore[arg-type]


def test_a_sealed_stream_says_so(client: _pravega.Client, scope: str) -> None:
    client.create_stream(scope, "room")
    client.writer(scope, "room").write(b"before", "room")
    assert client.seal_stream(scope, "room") is True
    with pytest.raises(_pravega.StreamSealedError):
        client.bounds(scope, "room")
    assert client.delete_stream(scope, "room") is True
    assert client.stream_exists(scope, "room") is False
    assert "room" not in client.list_streams(scope)


def test_tags_and_listing(client: _pravega.Client, scope: str) -> None:
    client.create_stream(scope, "a", tags=["born-1"])
    client.create_stream(scope, "b", retention_ms=60_000)
    assert client.stream_tags(scope, "a") == ["born-1"]
    assert client.stream_tags(scope, "b") == []
    assert sorted(s for s in client.list_streams(scope) if not s.startswith("_")) == ["a", "b"]


async def test_fifty_readers_in_one_process_deliver_without_stalls(
    client: _pravega.Client, scope: str
) -> None:
    """The stock binding stalled 30 s here (a blocking call holding the GIL while another
    future waited for it). Fifty readers wait in threads; one event to each arrives."""
    streams = [f"s{n}" for n in range(50)]
    for stream in streams:
        client.create_stream(scope, stream)
    readers = [client.reader_group(scope, f"g{s}", s, "tail").reader("r") for s in streams]
    pool_loop = asyncio.get_running_loop()
    arrived: dict[str, float] = {}

    def wait_for_one(stream: str, reader: _pravega.Reader) -> None:
        ends = time.monotonic() + 30
        while time.monotonic() < ends:
            got = reader.acquire()
            reader.release()
            if got:
                arrived[stream] = time.monotonic()
                return

    threads = [
        threading.Thread(target=wait_for_one, args=(s, r))
        for s, r in zip(streams, readers, strict=True)
    ]
    for thread in threads:
        thread.start()
    sent_at = {}
    for stream in streams:
        sent_at[stream] = time.monotonic()
        await pool_loop.run_in_executor(None, client.writer(scope, stream).write, b"hi", stream)
    for thread in threads:
        thread.join()
    for reader in readers:
        reader.offline()
    delays = sorted(arrived[s] - sent_at[s] for s in arrived)
    print(f"\n[binding] 50 readers: delivery max {delays[-1] * 1000:.0f} ms")
    assert len(arrived) == 50  # each within its 30 s: the stock binding's stall was 30 s


def test_a_server_restart_under_fifty_readers_is_an_ordinary_error(
    private_server: tuple[LocalServer, ServerPorts],
) -> None:
    """The crate panics on server errors (the stock binding raised PanicException, a
    BaseException, in every reader at once): here each reader's next calls end in
    PravegaError or return, none hangs past the crate's retries, and after the restart a new
    client reads and writes again."""
    server, ports = private_server
    uri = f"tcp://127.0.0.1:{ports.controller}"
    client = _pravega.Client(uri, retry_delay_ms=50)
    scope = f"r-{uuid.uuid4().hex[:8]}"
    client.create_scope(scope)
    readers = []
    for n in range(50):
        client.create_stream(scope, f"s{n}")
        readers.append(client.reader_group(scope, f"g{n}", f"s{n}", "tail").reader("r"))
    outcomes: dict[int, str] = {}

    def read_on(n: int, reader: _pravega.Reader) -> None:
        try:
            for _ in range(15):
                reader.acquire(release_previous=True)
            outcomes[n] = "returned"
        except _pravega.PravegaError:
            outcomes[n] = "PravegaError"
        except BaseException as error:  # what must not happen
            outcomes[n] = f"{type(error).__name__}: {error}"

    threads = [threading.Thread(target=read_on, args=(n, r)) for n, r in enumerate(readers)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    server.stop()
    server.start(ports, heap="512m")
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert set(outcomes.values()) <= {"returned", "PravegaError"}, outcomes
    print(f"\n[binding] restart under 50 readers: {sorted(set(outcomes.values()))}")
    fresh = _pravega.Client(uri)
    fresh.create_scope(scope)
    fresh.create_stream(scope, "after")
    fresh.writer(scope, "after").write(b"back", "after")
    reader = fresh.reader_group(scope, "g", "after", "head").reader("r")
    assert [d for _, d in _read(reader, 1)] == [b"back"]
    reader.offline()


@pytest.mark.skipif(
    importlib.util.find_spec("pravega_client") is None,
    reason="the stock binding (extra 'baseline') installs on Python 3.11 only",
)
async def test_clients_on_the_stock_binding_and_on_this_one_chat_together(
    pravega_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wire did not change: a message written through the stock binding (as pravechat
    0.2 wrote it) reaches a 0.3 session, and one sent by 0.3 is read by the stock binding."""
    import pravega_client

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    scope = f"i-{uuid.uuid4().hex[:8]}"
    transport = Transport.connect(pravega_uri, scope)
    tim = await RoomSession.open(transport, "tim", "lobby")
    try:
        manager = pravega_client.StreamManager(pravega_uri)
        old = new_message("lobby", "alex", "from 0.2")
        writer = manager.create_writer(scope, room_stream("lobby"))
        writer.write_event(old.to_json(), "lobby")
        async with asyncio.timeout(30):
            delivery = await anext(aiter(tim))
        assert delivery.message == old
        group = manager.create_reader_group(f"old-{uuid.uuid4().hex[:6]}", scope,
                                            room_stream("lobby"), False)  # fmt: skip
        reader = group.create_reader("reader")
        sent = await tim.send("from 0.3")
        texts: list[str] = []
        async with asyncio.timeout(30):
            while sent.to_json() not in texts:
                segment = await reader.get_segment_slice_async()
                texts.extend(event.data().decode() for event in segment)
                reader.release_segment(segment)
        reader.reader_offline()
    finally:
        await tim.close()
