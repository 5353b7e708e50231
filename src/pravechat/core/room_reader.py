"""A user's live reader of one room, run in a process of its own.

The parent (:class:`pravechat.core.session.RoomSession`) starts it, reads JSON lines from its
stdout and writes ``stop`` to its stdin to end it: the reader then goes offline, which saves
the user's position. A quitting parent does not wait for that, so a reader holds a lock on
the user's room until it exits: the next reader of that room waits for it, or the earlier
one's going offline could take the reader the next one just created.

When the parent dies instead, the reader exits at once without going
offline, like a crash: the position it read ahead to is not saved, so what the parent never
showed is delivered again to the next session (which drops what it had shown, by id).

Lines written, in order::

    {"opened": GROUP, "born": MARK}  the user's reader group is open (a stalled one is
                                     restarted); MARK tells this room from a lost one
    {"history": MESSAGE}             already read, oldest first (up to the scrollback limit)
    {"ready": {"skipped": {...}}}    history done; live deliveries follow
    {"message": MESSAGE, "unread": bool}
    {"skipped": REASON}
    {"error": TEXT}                  then the process exits with status 1
"""

import asyncio
import faulthandler
import fcntl
import json
import logging
import os
import signal
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

from pravechat.core.names import normalize_room, reader_group_name, room_stream, validate_user
from pravechat.core.paths import owner_only, session_files
from pravechat.core.presence import PRESENCE_RETENTION_MS, PRESENCE_STREAM, decode_presence
from pravechat.core.probe import parse_controller_uri, tcp_reachable
from pravechat.core.process import exit_process
from pravechat.core.protocol import ChatMessage, Skipped
from pravechat.core.recent import RecentIds
from pravechat.core.transport import READER_ID, Transport, TransportError, binding, read_slice
from pravechat.core.transport import single_offset as offset_of

log = logging.getLogger("pravechat.room_reader")

DEDUPE_WINDOW = 100_000
WATCH_EVERY = 1.0
"""Seconds between checks that the controller still takes connections."""
STOP_COMMAND = b"stop\n"
STOP_GRACE = 5
"""Seconds a stopping reader has to go offline before it is ended: a parent that quit does
not wait for it, and the binding can stall for 30 s. Its log then says ``Timeout (0:00:05)!``
with where it was stuck."""


@dataclass(frozen=True)
class ReaderArgs:
    controller: str
    scope: str
    user: str
    room: str
    scrollback: int
    presence: bool = False
    """Read the scope's presence stream from its tail instead of a room."""
    resume: bool = False
    """Rejoin after a lost connection: no history, nothing unread, and a reader group the
    server lost starts at the head of the room (everything in it came after the loss)."""


class _Output:
    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def line(self, item: dict[str, Any]) -> None:
        self._stream.write(json.dumps(item, ensure_ascii=False).encode() + b"\n")

    def message(self, key: str, message: ChatMessage, **extra: Any) -> None:
        self._stream.write(
            b'{"' + key.encode() + b'":' + message.to_json().encode()
            + b"".join(f',"{k}":{json.dumps(v)}'.encode() for k, v in extra.items())
            + b"}\n"
        )  # fmt: skip

    def flush(self) -> None:
        self._stream.flush()


def _leave_like_a_crash(out: _Output, error: TransportError) -> NoReturn:
    """The server is lost. Going offline needs it and can block for a minute: say why and
    exit at once. The session rejoins, and drops what Pravega delivers again by id."""
    out.line({"error": str(error)})
    out.flush()
    exit_process(1)


def _hold_reader_lock(files: Path) -> None:
    """Wait for an earlier reader of this room to exit (it has STOP_GRACE once told to
    stop), then hold the lock until this process exits, when the kernel releases it."""
    handle = Path(f"{files}.reader.lock").open("w")  # noqa: SIM115 (held for life)
    deadline = time.monotonic() + STOP_GRACE + 1
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise TransportError(
                    f"an earlier reader of this room is still running (its lock: {handle.name})"
                ) from None
            time.sleep(0.05)
    _held.append(handle)


_held: list[IO[str]] = []


async def serve(args: ReaderArgs, out: _Output, stop: asyncio.Event) -> None:
    """Join the room, write its history, then pass on live messages until ``stop``."""
    user, room = validate_user(args.user), normalize_room(args.room)
    _hold_reader_lock(session_files(args.scope, room, user))
    transport = Transport.connect(args.controller, args.scope, probe=False)
    stream = room_stream(room)
    transport.create_stream(stream)
    born = transport.birth_mark(stream)
    with binding(f"opening {user}'s reader group on {room}"):
        # An existing group keeps its position; a new user starts at the tail.
        group_name = reader_group_name(user, room)
        from_tail = not args.resume
        group = transport.manager.create_reader_group(
            group_name, transport.scope, stream, from_tail
        )
        # A reader left online by a crashed process: give its segment back first.
        group.reader_offline(READER_ID)
        boundary = offset_of(group.get_streamcut(), stream)
    out.line({"opened": group_name, "born": born})
    out.flush()
    unread_before = 0 if args.resume else transport.tail_offset(stream)
    history, skipped = await transport.read_until(stream, boundary, args.scrollback)
    recent = RecentIds(DEDUPE_WINDOW)
    for message in history:
        recent.first_time(message.id)
        out.message("history", message)
    out.line({"ready": {"skipped": {str(k): v for k, v in skipped.items()}}})
    out.flush()
    with binding(f"creating {user}'s reader on {room}"):
        reader = group.create_reader(READER_ID)
    log.info("joined %s as %s: %d history messages", room, user, len(history))
    try:
        while not stop.is_set():
            try:
                events = await read_slice(reader, stream, cancelled=stop.is_set)
            except TransportError as error:
                _leave_like_a_crash(out, error)
            for event in events:
                if isinstance(event.decoded, Skipped):
                    out.line({"skipped": str(event.decoded.reason)})
                elif recent.first_time(event.decoded.id):
                    out.message("message", event.decoded, unread=event.offset < unread_before)
            out.flush()
    finally:
        # Only now, with no acquire pending, is going offline safe.
        log.info("stopping: reader going offline")
        with binding(f"closing {user}'s reader on {room}"):
            reader.reader_offline()
        log.info("reader offline")


async def serve_presence(args: ReaderArgs, out: _Output, stop: asyncio.Event) -> None:
    """Pass on presence events from now on, through a temporary reader group."""
    transport = Transport.connect(args.controller, args.scope, probe=False)
    stream = transport.ensure_stream(PRESENCE_STREAM, PRESENCE_RETENTION_MS)
    group_name = f"tmp-{uuid.uuid4().hex}"
    with binding("opening the presence stream"):
        group = transport.manager.create_reader_group(group_name, transport.scope, stream, True)
        reader = group.create_reader(READER_ID)
    out.line({"ready": {"skipped": {}}})
    out.flush()
    try:
        while not stop.is_set():
            try:
                with binding("reading presence"):
                    segment_slice = await reader.get_segment_slice_async()
            except TransportError as error:
                _leave_like_a_crash(out, error)
            try:
                for event in segment_slice:
                    if (presence := decode_presence(event.data())) is not None:
                        out.line({"presence": presence.model_dump(mode="json")})
            finally:
                with binding("releasing presence"):
                    reader.release_segment(segment_slice)
            out.flush()
    finally:
        with binding("closing the presence reader"):
            reader.reader_offline()
            transport.manager.delete_reader_group(group_name, transport.scope)


async def watch_server(controller: str, out: _Output, stop: asyncio.Event) -> None:
    """Leave once the controller stops taking connections.

    An idle reader does not notice a lost server: its pending read just waits (seen with a
    restarted standalone, whose reader group was gone when it came back). A TCP connect every
    WATCH_EVERY seconds notices, in a thread, without the binding.
    """
    address = parse_controller_uri(controller)
    while not stop.is_set():
        await asyncio.sleep(WATCH_EVERY)
        up = await asyncio.to_thread(tcp_reachable, address.host, address.port, WATCH_EVERY)
        if not up and not stop.is_set():
            _leave_like_a_crash(out, TransportError(f"the server at {address.uri} went away"))


async def _main(args: ReaderArgs) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def stopping() -> None:
        if not stop.is_set():
            # faulthandler's watchdog is a C thread: it ends the process even while a blocking
            # call holds the GIL, writing where each thread was to the log (stderr).
            faulthandler.dump_traceback_later(STOP_GRACE, exit=True)
        stop.set()

    def on_stdin() -> None:
        data = os.read(sys.stdin.fileno(), 4096)
        if STOP_COMMAND in data or (not data and stop.is_set()):
            log.info("stop requested")
            stopping()
            loop.remove_reader(sys.stdin.fileno())
        elif not data:  # EOF without "stop": the parent died. Crash alike, saving nothing:
            exit_process(3)  # what it never showed is redelivered to the next session.

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    loop.add_signal_handler(signal.SIGTERM, stopping)
    # The protocol gets its own descriptor; anything else written to stdout (the binding's
    # Rust logs) goes to stderr, the session's log file.
    out = _Output(os.fdopen(os.dup(sys.stdout.fileno()), "wb"))
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    watcher = loop.create_task(watch_server(args.controller, out, stop))
    try:
        await (serve_presence if args.presence else serve)(args, out, stop)
    except TransportError as error:
        out.line({"error": str(error)})
        out.flush()
        return 1
    except BrokenPipeError:
        return 0
    finally:
        watcher.cancel()
    return 0


def main() -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    # Ctrl-C reaches the whole foreground process group: let the parent decide when to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    owner_only()
    args = ReaderArgs(**json.loads(sys.argv[1]))
    exit_process(asyncio.run(_main(args)))


if __name__ == "__main__":
    main()
