"""A user in a room: history, live deliveries and sending, as one object for a UI or a bot."""

import asyncio
import contextlib
import fcntl
import json
import logging
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Protocol, Self

from pravechat.core.names import normalize_room, validate_user
from pravechat.core.paths import state_dir
from pravechat.core.protocol import ChatMessage, Kind, SkipReason, new_message
from pravechat.core.room_reader import STOP_COMMAND, ReaderArgs
from pravechat.core.transport import DEFAULT_SCROLLBACK, RoomWriter, Transport, TransportError

_LINE_LIMIT = 1 << 20
_JOIN_STAGE_TIMEOUT = 8.0
_JOIN_ATTEMPTS = 3
log = logging.getLogger("pravechat.session")
_STOP_TIMEOUT = 3.0
"""How long close() lets the reader go offline: normally ~1 s (its pending slice), but the
binding's reader_offline sometimes stalls for its 30 s request timeout. Past this the reader
is killed: the next join recovers it, and the seen log keeps its redelivered messages read."""


class ChatSession(Protocol):
    """What a UI or a bot needs of a joined room; :class:`RoomSession` is the real one."""

    user: str
    room: str
    history: list[ChatMessage]

    def batches(self, max_size: int = 1000) -> AsyncIterator[list["Delivery"]]: ...

    async def send(self, text: str, kind: Kind = Kind.CHAT) -> ChatMessage: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """A message read from a room; ``unread`` when it arrived while the user was away."""

    message: ChatMessage
    unread: bool


class SeenLog:
    """Ids of the messages this user was shown in a room, kept on disk across crashes.

    After a crash Pravega redelivers the events read since the group last saved its position
    (a few seconds); this log tells which of them the user has already seen.
    """

    def __init__(self, path: Path, keep: int = 10_000) -> None:
        try:
            lines = path.read_text().split()
        except OSError:
            lines = []
        self.ids = set(lines[-keep:])
        if len(lines) > keep:
            path.write_text("".join(f"{line}\n" for line in lines[-keep:]))
        self._handle = path.open("a")

    def add(self, message_ids: Iterable[str]) -> None:
        self._handle.write("".join(f"{message_id}\n" for message_id in message_ids))
        self._handle.flush()  # into the page cache: survives a SIGKILL of this process

    def close(self) -> None:
        self._handle.close()


def _lock(path: Path, user: str, room: str) -> IO[str]:
    handle = path.open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise TransportError(
            f"{user} is already in {room} from another pravechat on this machine"
        ) from None
    return handle


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


async def spawn_reader(args: ReaderArgs, log: Path) -> "asyncio.subprocess.Process":
    """Start a reader process (room_reader.py); its stderr goes to ``log``."""
    with log.open("ab") as log_file:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "pravechat.core.room_reader", json.dumps(asdict(args)),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=log_file, limit=_LINE_LIMIT,
        )  # fmt: skip


STALLED_OFFLINE = "reader did not go offline in time: killed; the next join recovers it"


async def stop_reader(process: "asyncio.subprocess.Process", log_path: Path) -> None:
    """Ask a reader process to stop (it goes offline), draining its output; kill it past
    _STOP_TIMEOUT, saying so in its log."""
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(STOP_COMMAND)
    process.stdin.close()
    stdout = process.stdout

    async def drain() -> None:  # a reader blocked on a full pipe could not stop
        while await stdout.read(1 << 16):
            pass

    try:
        await asyncio.wait_for(asyncio.gather(drain(), process.wait()), _STOP_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        with log_path.open("a") as log_file:
            log_file.write(f"{STALLED_OFFLINE}\n")


class RoomSession:
    """Join with :meth:`open`; iterate for deliveries; :meth:`close` saves the position."""

    def __init__(
        self,
        user: str,
        room: str,
        writer: RoomWriter,
        process: "asyncio.subprocess.Process",
        history: list[ChatMessage],
        skipped: Counter[SkipReason],
        files: Path,
        lock: IO[str],
        seen: SeenLog,
    ) -> None:
        self.user = user
        self.room = room
        self.history = history
        """Messages this user had already read, oldest first, up to the scrollback limit."""
        self.skipped = skipped
        """Events that were not valid messages, by reason."""
        self._writer = writer
        self._process = process
        self._files = files
        self._lock = lock
        self._seen = seen
        self._queue: asyncio.Queue[Delivery | TransportError | None] = asyncio.Queue(10_000)
        self._closed = False
        self._pump = asyncio.get_running_loop().create_task(self._pump_deliveries())

    @classmethod
    async def open(
        cls, transport: Transport, user: str, room: str, scrollback: int = DEFAULT_SCROLLBACK
    ) -> Self:
        """Join ``room`` as ``user``: history up to where they stopped reading, then live."""
        user, room = validate_user(user), normalize_room(room)
        files = state_dir() / "sessions" / f"{transport.scope}.{room}.{user}"
        files.parent.mkdir(parents=True, exist_ok=True)
        lock = _lock(Path(f"{files}.lock"), user, room)
        try:
            writer = await transport.open_writer(room)
            args = ReaderArgs(transport.uri, transport.scope, user, room, scrollback)
            process = await cls._start_reader(args, files)
            history, skipped = await cls._read_history(process, files)
        except BaseException:
            lock.close()
            raise
        seen = SeenLog(Path(f"{files}.seen"))
        return cls(user, room, writer, process, history, skipped, files, lock, seen)

    @staticmethod
    async def _start_reader(args: ReaderArgs, files: Path) -> "asyncio.subprocess.Process":
        """Start the reader and wait until it holds the user's reader group.

        The binding's blocking calls now and then stall for its 30 s request timeout (seen in
        CI: a join that never got past the reader group). A reader that has not opened the
        group within _JOIN_STAGE_TIMEOUT is killed and started again.
        """
        for attempt in range(1, _JOIN_ATTEMPTS + 1):
            process = await spawn_reader(args, Path(f"{files}.log"))
            assert process.stdout is not None
            try:
                line = await asyncio.wait_for(process.stdout.readline(), _JOIN_STAGE_TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()
                log.warning("room reader stalled opening the group (attempt %d)", attempt)
                continue
            if b'"opened"' in line:
                return process
            await process.wait()
            item = json.loads(line) if line.startswith(b"{") else {}
            detail = item.get("error") or _last_line(Path(f"{files}.log"))
            raise TransportError(detail or f"the room reader exited ({process.returncode})")
        raise TransportError(
            f"Pravega did not open the reader group within {_JOIN_STAGE_TIMEOUT:.0f} s, "
            f"{_JOIN_ATTEMPTS} times; is the server overloaded?"
        )

    @staticmethod
    async def _read_history(
        process: "asyncio.subprocess.Process", files: Path
    ) -> tuple[list[ChatMessage], Counter[SkipReason]]:
        assert process.stdout is not None
        history: list[ChatMessage] = []
        while line := await process.stdout.readline():
            item = json.loads(line)
            if "history" in item:
                history.append(ChatMessage.from_trusted(item["history"]))
            elif "ready" in item:
                skipped = Counter({SkipReason(k): v for k, v in item["ready"]["skipped"].items()})
                return history, skipped
            elif "error" in item:
                await process.wait()
                raise TransportError(item["error"])
        await process.wait()
        detail = _last_line(Path(f"{files}.log")) or f"exit status {process.returncode}"
        raise TransportError(f"the room reader stopped while joining: {detail}")

    async def _pump_deliveries(self) -> None:
        assert self._process.stdout is not None
        try:
            while line := await self._process.stdout.readline():
                item = json.loads(line)
                if "message" in item:
                    message = ChatMessage.from_trusted(item["message"])
                    unread = item["unread"] and message.id not in self._seen.ids
                    await self._queue.put(Delivery(message, unread))
                elif "skipped" in item:
                    self.skipped[SkipReason(item["skipped"])] += 1
                elif "error" in item:
                    await self._queue.put(TransportError(item["error"]))
            if not self._closed:
                detail = _last_line(Path(f"{self._files}.log")) or "it exited"
                await self._queue.put(TransportError(f"lost the room reader: {detail}"))
        finally:
            await self._queue.put(None)

    def __aiter__(self) -> AsyncIterator[Delivery]:
        return self._deliveries()

    async def _deliveries(self) -> AsyncIterator[Delivery]:
        async for batch in self.batches(1):
            for delivery in batch:
                yield delivery

    async def batches(self, max_size: int = 1000) -> AsyncIterator[list[Delivery]]:
        """Deliveries in lists of what has arrived (at most ``max_size``): a UI renders a
        burst of thousands as a few updates instead of thousands."""
        while (item := await self._queue.get()) is not None:
            batch: list[Delivery] = []
            failure: TransportError | None = None
            while True:
                if isinstance(item, TransportError):
                    failure = item
                    break
                batch.append(item)
                if len(batch) >= max_size or self._queue.empty():
                    break
                item = self._queue.get_nowait()
                if item is None:
                    break
            if batch:
                self._seen.add(delivery.message.id for delivery in batch)  # one write a batch
                yield batch
            if failure is not None:
                raise failure
            if item is None:
                return

    async def send(self, text: str, kind: Kind = Kind.CHAT) -> ChatMessage:
        """Frame, send and await the acknowledgement; returns the message sent."""
        message = new_message(self.room, self.user, text, kind)
        await self._writer.send(message)
        return message

    async def close(self) -> None:
        """Stop the reader (it goes offline, saving the position) and flush the writer."""
        if self._closed:
            return
        self._closed = True
        try:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            await stop_reader(self._process, Path(f"{self._files}.log"))
            await self._writer.flush()
        finally:
            self._seen.close()
            self._lock.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()
