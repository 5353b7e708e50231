"""The message path through a real Pravega server."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pravechat import _pravega
from pravechat.core.errors import PravechatError
from pravechat.core.names import room_stream
from pravechat.core.paths import session_files
from pravechat.core.probe import controller_answers, parse_controllers
from pravechat.core.protocol import ChatMessage, Kind, SkipReason, new_message
from pravechat.core.session import Delivery, RoomSession
from pravechat.core.transport import Transport, TransportError
from tests.helpers import free_port, run_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scope() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Session locks and seen-id logs of each test live in its own directory."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture
def transport(pravega_uri: str, scope: str) -> Transport:
    return Transport.connect(pravega_uri, scope)


@pytest.fixture
async def sessions() -> AsyncIterator[list[RoomSession]]:
    """Sessions a test opens; closed (reader offline) at its end."""
    opened: list[RoomSession] = []
    yield opened
    await asyncio.gather(*(session.close() for session in opened))


async def _join(transport: Transport, sessions: list[RoomSession], user: str) -> RoomSession:
    session = await RoomSession.open(transport, user, "lobby")
    sessions.append(session)
    return session


async def _take(session: RoomSession, count: int, timeout: float = 60) -> list[Delivery]:
    got: list[Delivery] = []
    async with asyncio.timeout(timeout):
        async for delivery in session:
            got.append(delivery)
            if len(got) == count:
                break
    return got


async def _nothing_more(session: RoomSession, wait: float = 2.5) -> None:
    try:
        extra = await asyncio.wait_for(anext(aiter(session)), wait)
    except TimeoutError:
        return
    pytest.fail(f"unexpected extra delivery: {extra}")


def test_an_unreachable_controller_fails_fast_naming_the_uri() -> None:
    uri = f"tcp://127.0.0.1:{free_port()}"
    began = time.monotonic()
    with pytest.raises(TransportError, match=f"no Pravega server answers at {uri}.*server start"):
        Transport.connect(uri)
    assert time.monotonic() - began < 2.0


async def test_two_clients_talk_both_ways(
    transport: Transport, sessions: list[RoomSession]
) -> None:
    alex, tim = await _join(transport, sessions, "alex"), await _join(transport, sessions, "tim")
    hello = await alex.send("hello tim")
    [got] = await _take(tim, 1)
    assert got.message == hello and not got.unread
    reply = await tim.send("waves back", Kind.ACTION)
    assert [d.message for d in await _take(alex, 2)] == [hello, reply]
    assert await transport.list_rooms() == ["lobby"]


async def test_three_senders_three_readers_one_order(
    transport: Transport, sessions: list[RoomSession], pravega_uri: str, scope: str
) -> None:
    readers = [await _join(transport, sessions, f"reader{n}") for n in range(3)]
    per_sender = 1000
    senders = [
        subprocess.Popen(
            [sys.executable, "-m", "pravechat", "send", f"--user=sender{s}", "--room=lobby",
             f"--controller={pravega_uri}", f"--scope={scope}", "-"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for s in range(3)
    ]  # fmt: skip
    for s, sender in enumerate(senders):
        assert sender.stdin is not None
        sender.stdin.write("".join(f"{s}:{n}\n" for n in range(per_sender)))
        sender.stdin.close()
    orders = await asyncio.gather(*(_take(r, 3 * per_sender, timeout=180) for r in readers))
    for sender in senders:
        assert sender.wait(timeout=60) == 0, sender.stderr.read() if sender.stderr else ""
    texts = [[d.message.text for d in order] for order in orders]
    assert texts[0] == texts[1] == texts[2]  # one and the same order for every reader
    assert len(set(texts[0])) == 3 * per_sender  # all of them, exactly once
    for s in range(3):
        mine = [t for t in texts[0] if t.startswith(f"{s}:")]
        assert mine == [f"{s}:{n}" for n in range(per_sender)]  # each sender's own order
    for reader in readers:
        await _nothing_more(reader, wait=1.5)


async def test_offline_user_gets_what_was_sent_meanwhile_exactly_once_as_unread(
    transport: Transport, sessions: list[RoomSession]
) -> None:
    alex = await _join(transport, sessions, "alex")
    tim = await RoomSession.open(transport, "tim", "lobby")
    before = await alex.send("before tim left")
    assert [d.message for d in await _take(tim, 1)] == [before]
    await tim.close()
    meanwhile = [await alex.send(f"while away {n}") for n in range(10)]
    tim = await _join(transport, sessions, "tim")
    # `before` was read: it is history, or (if Pravega had not saved the position when the
    # reader left) redelivered and marked read. Either way it is shown once, not as unread.
    redelivered = 0 if tim.history == [before] else 1
    assert tim.history == ([before] if redelivered == 0 else [])
    got = await _take(tim, 10 + redelivered)
    assert [d.message for d in got] == [before] * redelivered + meanwhile
    assert [d.unread for d in got] == [False] * redelivered + [True] * 10
    live = await alex.send("live again")
    [got_live] = await _take(tim, 1)
    assert got_live.message == live and not got_live.unread
    await _nothing_more(tim)


async def test_what_arrives_while_a_quitting_reader_goes_offline_is_not_lost(
    transport: Transport, sessions: list[RoomSession]
) -> None:
    """Quitting interrupts the reader's pending read: messages sent in that moment are in
    the slice it was waiting for, which it gives back unread instead of releasing."""
    alex = await _join(transport, sessions, "alex")
    tim = await RoomSession.open(transport, "tim", "lobby")
    closing = asyncio.ensure_future(tim.close())
    meanwhile = [await alex.send(f"as tim quit {n}") for n in range(5)]
    await closing
    tim = await _join(transport, sessions, "tim")
    got = await _take(tim, 5)
    assert [d.message for d in got] == meanwhile and all(d.unread for d in got)
    await _nothing_more(tim)


async def test_a_bot_s_session_files_are_in_owner_only_directories(
    transport: Transport, sessions: list[RoomSession], own_state_dir: Path
) -> None:
    """A bot's process keeps its own umask; the directories keep others out anyway."""
    (own_state_dir / "pravechat").mkdir(parents=True, mode=0o755)  # as an older version left it
    await _join(transport, sessions, "bot")
    for directory in (own_state_dir / "pravechat", own_state_dir / "pravechat" / "sessions"):
        assert directory.stat().st_mode & 0o777 == 0o700, directory


async def test_a_newcomer_sees_history_and_nothing_unread(
    transport: Transport, sessions: list[RoomSession]
) -> None:
    alex = await _join(transport, sessions, "alex")
    said = [await alex.send(f"earlier {n}") for n in range(5)]
    newcomer = await _join(transport, sessions, "newcomer")
    assert newcomer.history == said
    await _nothing_more(newcomer)


async def test_the_scrollback_limit_keeps_the_latest(
    transport: Transport, sessions: list[RoomSession]
) -> None:
    alex = await _join(transport, sessions, "alex")
    said = [await alex.send(f"line {n}") for n in range(30)]
    session = await RoomSession.open(transport, "late", "lobby", scrollback=10)
    sessions.append(session)
    assert session.history == said[-10:]


async def test_older_messages_load_page_by_page_back_to_the_first(
    transport: Transport, sessions: list[RoomSession]
) -> None:
    writer = await transport.open_writer("lobby")
    said = [new_message("lobby", "alex", f"line {n}") for n in range(250)]
    await writer.send_batch(said)
    tim = await RoomSession.open(transport, "tim", "lobby", scrollback=100)
    sessions.append(tim)
    assert tim.history == said[-100:] and tim.has_older
    assert await tim.load_older(100) == said[50:150] and tim.has_older
    assert await tim.load_older(100) == said[:50] and not tim.has_older
    assert await tim.load_older(100) == []
    small = await _join(transport, sessions, "newcomer")  # all of it fits: nothing older
    assert small.history == said and not small.has_older


async def test_the_same_user_twice_in_a_room_is_refused(
    transport: Transport, sessions: list[RoomSession]
) -> None:
    await _join(transport, sessions, "tim")
    with pytest.raises(TransportError, match="tim is already in lobby"):
        await RoomSession.open(transport, "tim", "lobby")


class _RawWriter:
    """Writes any bytes to the room, as a hostile client of the binding could."""

    def __init__(self, pravega_uri: str, scope: str) -> None:
        self._writer = _pravega.Client(pravega_uri).writer(scope, room_stream("lobby"))

    def write(self, item: str | bytes) -> None:
        self._writer.write(item.encode() if isinstance(item, str) else item, "lobby")


async def test_hostile_events_are_skipped_or_sanitized_and_the_loop_goes_on(
    transport: Transport, sessions: list[RoomSession], pravega_uri: str, scope: str
) -> None:
    tim = await _join(transport, sessions, "tim")
    raw = _RawWriter(pravega_uri, scope)
    valid = new_message("lobby", "mallory", "ok").model_dump(mode="json")

    def event(**fields: object) -> str:
        return json.dumps({**valid, "id": uuid.uuid4().hex, **fields})

    hostile: list[str | bytes] = [
        "not json at all",
        b"\xff\xfe\xfd invalid utf-8",
        event(v=99),
        json.dumps({"v": 1, "text": "missing fields"}),
        event(text="x" * (1024 * 1024)),
        event(text="\x1b[2J\x1b]0;pwned\x07\x1b[31mred\x1b[0m"),
        event(text="[bold]x[/] [@click=app.quit]quit[/] [/"),
        event(text="ok"),
    ]
    for item in hostile:
        raw.write(item)
    later = await tim.send("still working")
    got = [d.message.text for d in await _take(tim, 4)]
    assert got == ["red", "[bold]x[/] [@click=app.quit]quit[/] [/", "ok", later.text]
    assert tim.skipped == {
        SkipReason.NOT_JSON: 1,
        SkipReason.NOT_UTF8: 1,
        SkipReason.UNKNOWN_VERSION: 1,
        SkipReason.INVALID: 1,
        SkipReason.OVERSIZED: 1,
    }


async def test_history_keeps_no_oversized_event_in_memory(
    transport: Transport, pravega_uri: str, scope: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Thirty 1 MiB events, then one message: history reads at most its largest window of
    bytes (12 MiB), skips what it holds of them as oversized, and shows the message."""
    transport.ensure_room("lobby")
    raw = _RawWriter(pravega_uri, scope)
    big = json.dumps({**new_message("lobby", "mallory", "x").model_dump(mode="json"),
                      "text": "x" * (1024 * 1024)})  # fmt: skip
    for _ in range(30):
        raw.write(big)
    raw.write(new_message("lobby", "alex", "after them").to_json())
    tracemalloc.start()
    try:
        messages, skipped = transport.read_until_blocking(
            room_stream("lobby"), transport.tail_offset(room_stream("lobby")), 1000
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [m.text for m in messages] == ["after them"]
    assert set(skipped) == {SkipReason.OVERSIZED}
    assert 8 <= skipped[SkipReason.OVERSIZED] <= 12  # those in the window, less a false start
    with capsys.disabled():
        print(f"\n[history] 30 x 1 MiB events read: peak {peak / 2**20:.1f} MiB held")
    assert peak < 16 * 2**20  # thirty kept would be over 30 MiB


@pytest.fixture
def listeners() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


def _listen(
    listeners: list[subprocess.Popen[str]], pravega_uri: str, scope: str, user: str
) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.clients.listen", pravega_uri, scope, user, "lobby"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
        start_new_session=True,
    )  # fmt: skip
    listeners.append(process)
    return process


def _read_json_lines(process: subprocess.Popen[str], count: int) -> list[dict[str, object]]:
    assert process.stdout is not None
    lines = []
    for _ in range(count):
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else "no output"
        lines.append(json.loads(line))
    return lines


@pytest.mark.parametrize("killed", ["the client", "the client and its room reader"])
async def test_a_client_killed_with_sigkill_restarts_cleanly_without_duplicates(
    killed: str,
    transport: Transport,
    sessions: list[RoomSession],
    listeners: list[subprocess.Popen[str]],
    pravega_uri: str,
    scope: str,
) -> None:
    alex = await _join(transport, sessions, "alex")
    first = _listen(listeners, pravega_uri, scope, "tim")
    _read_json_lines(first, 1)  # joined: history line
    sent_before = [await alex.send(f"before crash {n}") for n in range(20)]
    shown_before = [line["id"] for line in _read_json_lines(first, 20)]
    assert shown_before == [m.id for m in sent_before]
    if killed == "the client":  # its reader sees the pipe close and goes offline
        first.send_signal(signal.SIGKILL)
    else:  # nothing goes offline: the reader group still holds a reader that is gone
        os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    sent_after = [await alex.send(f"after crash {n}") for n in range(5)]

    second = _listen(listeners, pravega_uri, scope, "tim")
    [joined] = _read_json_lines(second, 1)
    history = joined["history"]
    assert isinstance(history, list)
    # What the crashed client had not saved as its position is redelivered once, as read.
    redelivered = _read_json_lines(second, 20 - len(history) + 5)
    shown = [*history, *(line["id"] for line in redelivered)]
    assert shown == [m.id for m in [*sent_before, *sent_after]]  # each exactly once, in order
    unread = [line["id"] for line in redelivered if line["unread"]]
    assert unread == [m.id for m in sent_after]  # only what it never showed counts as unread
    second.send_signal(signal.SIGTERM)


async def test_close_puts_the_reader_offline_so_the_next_join_resumes(
    transport: Transport,
) -> None:
    tim = await RoomSession.open(transport, "tim", "lobby")
    await tim.close()
    await tim.close()  # idempotent
    again = await RoomSession.open(
        transport, "tim", "lobby"
    )  # would panic if the reader were still online
    await again.close()


def test_send_and_history_commands(pravega_uri: str, scope: str) -> None:
    common = [f"--controller={pravega_uri}", f"--scope={scope}"]
    assert run_cli("send", "--user=tim", "--room=lobby", *common, "hello", "there").returncode == 0
    result = subprocess.run(
        [sys.executable, "-m", "pravechat", "send", "--user=alex", "--room=lobby", *common, "-"],
        input="one\n\ntwo\n", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    plain = run_cli("history", "lobby", *common)
    assert plain.returncode == 0
    lines = plain.stdout.splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == ["<tim> hello there", "<alex> one",
                                                         "<alex> two"]  # fmt: skip
    as_json = run_cli("history", "lobby", "--json", "--limit=2", *common)
    decoded = [ChatMessage.model_validate_json(line) for line in as_json.stdout.splitlines()]
    assert [(m.sender, m.text) for m in decoded] == [("alex", "one"), ("alex", "two")]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--user=bad name", "hi"], "invalid user name 'bad name'"),
        (["--user=tim", "--room=no room", "hi"], "invalid room name 'no room'"),
        (["--user=tim", "x" * 4001], "limit is 4000"),
    ],
)
def test_send_refuses_bad_input_with_one_line(
    pravega_uri: str, scope: str, args: list[str], error: str
) -> None:
    result = run_cli("send", f"--controller={pravega_uri}", f"--scope={scope}", *args)
    assert result.returncode == 1
    assert result.stderr.startswith("pravechat: ") and error in result.stderr
    assert "Traceback" not in result.stderr
    history = run_cli("history", "lobby", f"--controller={pravega_uri}", f"--scope={scope}")
    assert history.stdout == ""  # nothing was sent


def test_send_to_an_unreachable_server_fails_fast() -> None:
    began = time.monotonic()
    result = run_cli("send", "--user=tim", f"--controller=tcp://127.0.0.1:{free_port()}", "hi")
    assert result.returncode == 1
    assert "no Pravega server answers" in result.stderr and "server start" in result.stderr
    assert time.monotonic() - began < 4.0  # interpreter start-up included


def test_refusing_a_line_of_stdin_names_it(pravega_uri: str, scope: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pravechat", "send", "--user=tim", f"--controller={pravega_uri}",
         f"--scope={scope}", "-"],
        input="fine\n" + "x" * 4001 + "\n", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "stdin line 2" in result.stderr
    sent = run_cli("history", "lobby", f"--controller={pravega_uri}", f"--scope={scope}")
    assert sent.stdout.rstrip().endswith("<tim> fine")  # what came before it was sent
    with pytest.raises(PravechatError):
        new_message("lobby", "tim", "x" * 4001)


async def test_a_pipelined_batch_arrives_whole_in_order_after_single_sends(
    transport: Transport, sessions: list[RoomSession]
) -> None:
    reader = await _join(transport, sessions, "reader")
    writer = await transport.open_writer("lobby")
    await writer.send(new_message("lobby", "bot", "before"))
    await writer.send_batch([new_message("lobby", "bot", f"batch {n}") for n in range(2000)])
    await writer.send(new_message("lobby", "bot", "after"))
    texts = [d.message.text for d in await _take(reader, 2002)]
    assert texts == ["before", *(f"batch {n}" for n in range(2000)), "after"]


async def test_a_batch_for_another_room_is_refused_before_anything_is_sent(
    transport: Transport,
) -> None:
    writer = await transport.open_writer("lobby")
    with pytest.raises(PravechatError, match="sent to lobby"):
        await writer.send_batch(
            [new_message("lobby", "bot", "ok"), new_message("elsewhere", "bot", "no")]
        )
    assert await transport.history("lobby", 10) == []


async def test_send_from_a_pipe_sends_each_line_as_it_comes(
    transport: Transport, sessions: list[RoomSession], pravega_uri: str, scope: str
) -> None:
    reader = await _join(transport, sessions, "reader")
    sender = subprocess.Popen(
        [sys.executable, "-m", "pravechat", "send", "--user=bot", f"--controller={pravega_uri}",
         f"--scope={scope}", "-"],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert sender.stdin is not None
    try:
        for line in ("first", "second"):
            sender.stdin.write(line + "\n")
            sender.stdin.flush()  # the pipe stays open: no end of input to wait for
            [got] = await _take(reader, 1, timeout=30)
            assert got.message.text == line
        sender.stdin.write("".join(f"bulk {n}\n" for n in range(3000)))
        sender.stdin.close()
        assert [d.message.text for d in await _take(reader, 3000, timeout=60)] == [
            f"bulk {n}" for n in range(3000)
        ]
        assert sender.wait(timeout=30) == 0
    finally:
        sender.kill()


async def test_a_returning_user_who_missed_much_gets_the_last_ones_and_an_estimate(
    transport: Transport, sessions: list[RoomSession]
) -> None:
    """Past CATCH_UP_BYTES of unread, joining reads the end of the room only: the last N
    as unread, the older count estimated, and the group moved to the tail."""
    tim = await RoomSession.open(transport, "tim", "lobby", scrollback=50)
    await tim.close()
    writer = await transport.open_writer("lobby")
    missed = [new_message("lobby", "alex", f"{n:05d} " + "x" * 400) for n in range(3000)]
    await writer.send_batch(missed)  # about 1.5 MB
    tim = await RoomSession.open(transport, "tim", "lobby", scrollback=50)
    sessions.append(tim)
    changes: list[object] = []
    tim.on_status = changes.append
    got = await _take(tim, 50)
    assert [d.message.id for d in got] == [m.id for m in missed[-50:]]
    assert all(d.unread for d in got) and tim.history == []
    assert 2950 * 0.9 <= tim.missed <= 2950 * 1.1
    assert tim.has_older  # scrolling up reads the missed ones back, newest first
    assert await tim.load_older(1000) == missed[-1050:-50]
    await writer.send(after := new_message("lobby", "alex", "after"))
    [live] = await _take(tim, 1)
    assert live.message == after and not live.unread
    assert changes == []  # read on, never lost and rejoined
    await tim.close()
    sessions.remove(tim)
    again = await _join(transport, sessions, "tim")  # the group was moved: nothing unread
    assert again.missed == 0 and again.history[-1] == after
    await _nothing_more(again)


async def test_a_message_written_twice_is_shown_once_in_history(
    transport: Transport, pravega_uri: str, scope: str
) -> None:
    """A retried write puts the same id in the stream twice: history, as live reading,
    shows it once."""
    transport.ensure_room("lobby")
    raw = _RawWriter(pravega_uri, scope)
    twice = new_message("lobby", "alex", "once, please")
    raw.write(twice.to_json())
    raw.write(twice.to_json())
    assert await transport.history("lobby") == [twice]
    printed = run_cli("history", "lobby", f"--controller={pravega_uri}", f"--scope={scope}")
    assert printed.stdout.count("once, please") == 1


async def test_what_was_delivered_but_never_shown_comes_back_after_leaving(
    transport: Transport, sessions: list[RoomSession]
) -> None:
    """tim's screen never takes the messages his reader delivered (it closed first): the
    reader goes offline where the first of them starts, so they are unread next time."""
    alex = await _join(transport, sessions, "alex")
    tim = await RoomSession.open(transport, "tim", "lobby")
    said = [await alex.send(f"unseen {n}") for n in range(5)]
    async with asyncio.timeout(30):
        while tim._queue.qsize() < 5:  # delivered to the session, taken by nobody
            await asyncio.sleep(0.05)
    await tim.close()
    tim = await _join(transport, sessions, "tim")
    got = await _take(tim, 5)
    assert [d.message for d in got] == said and all(d.unread for d in got)


async def test_lines_submitted_back_to_back_arrive_once_in_order(
    transport: Transport, sessions: list[RoomSession]
) -> None:
    """The first is written at once (nothing in flight), the others queue behind it."""
    alex = await _join(transport, sessions, "alex")
    tim = await _join(transport, sessions, "tim")
    sent = [tim.submit(f"quick {n}") for n in range(30)]
    got = await _take(alex, 30)
    assert [d.message for d in got] == sent
    # alex can read the last line before the server's acknowledgement reaches tim
    async with asyncio.timeout(10):
        while tim.pending:
            await asyncio.sleep(0.02)
    await _nothing_more(alex)


async def test_a_line_is_on_disk_before_it_is_pending_and_gone_once_acknowledged(
    transport: Transport, sessions: list[RoomSession]
) -> None:
    """So a client killed with lines pending (kill -9) sends them at its next start."""
    tim = await _join(transport, sessions, "tim")
    outbox = Path(f"{session_files(transport.scope, 'lobby', 'tim')}.outbox")
    first, second = tim.submit("first"), tim.submit("second")
    assert tim.pending == [first, second]
    kept = [json.loads(line)["id"] for line in outbox.read_text().splitlines()]
    assert kept == [first.id, second.id]  # no await since: written at once
    async with asyncio.timeout(10):
        while tim.pending:
            await asyncio.sleep(0.02)
    assert not outbox.exists()


def test_a_dead_controller_in_a_list_is_passed_over(pravega_uri: str, scope: str) -> None:
    live = parse_controllers(pravega_uri)[0]
    dead = f"127.0.0.1:{free_port()}"
    transport = Transport.connect(f"tcp://{dead},{live.host}:{live.port}", scope)
    assert transport.uri == live.uri
    assert transport.controllers == f"tcp://{dead},{live.host}:{live.port}"
    assert transport.find_controller() and transport.generation == 0  # it stays
    assert controller_answers(f"tcp://{dead},{live.host}:{live.port}")
    with pytest.raises(TransportError, match=f"no Pravega server answers at tcp://{dead} or"):
        Transport.connect(f"tcp://{dead},127.0.0.1:{free_port()}", scope)
