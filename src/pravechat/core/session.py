"""A user in a room: history, live deliveries and sending, as one object for a UI or a bot."""

import asyncio
import contextlib
import fcntl
import logging
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import IO, Protocol, Self

from pravechat.core.blocking import off_loop
from pravechat.core.errors import PravechatError
from pravechat.core.names import normalize_room, room_stream, validate_user
from pravechat.core.paths import private_dir, session_files
from pravechat.core.protocol import ChatMessage, Kind, SkipReason, decode_event, new_message
from pravechat.core.recent import RecentIds
from pravechat.core.retry import backoff
from pravechat.core.room_reader import (
    Arrived,
    Dropped,
    Failed,
    History,
    Opened,
    ReaderArgs,
    Ready,
    RoomReader,
)
from pravechat.core.search import RoomSearch, Searcher
from pravechat.core.server_watch import server_back, server_lost
from pravechat.core.transport import (
    DEFAULT_SCROLLBACK,
    RoomSealedError,
    RoomWriter,
    Transport,
    TransportError,
)

_JOIN_TIMEOUT = 30.0
"""Seconds a join may take to open the user's reader group before it is given up."""
_RETRY_FIRST, _RETRY_MAX = 0.5, 5.0
"""Seconds between reconnection attempts: doubling from the first to the most."""
_PROBE_TIMEOUT = 5.0
_CLOSE_DRAIN = 2.0
"""How long close() waits for the outbox to empty before saving what is left."""
_DEDUPE_WINDOW = 10_000
"""Message ids remembered across reader restarts, to drop Pravega's redeliveries."""
_OLDER_OVERLAP = 100
ROOM_CHECK_EVERY = 20.0
"""Seconds between two checks that the room was neither sealed nor deleted (two calls, to the
controller and the segment store: 10 a second for 100 rooms)."""
_GROUP_REPLACED = (
    "someone deleted your reader group of #{room} (anyone with write access to this Pravega "
    "can do it): another one, named {group}, reads in its place"
)
_LOAD_TIMEOUT = 20.0
_TAKEN = "ReaderAlreadyOffline"
"""How a reader learns that another joined its group and took it offline."""
_TAKEOVER_WAIT = 8.0
"""Seconds a reader put offline looks for the one that took its place before rejoining (the
taker's reader comes online once it has read the room's history)."""
_TAKEN_NOTICE = (
    "another session of {user} (or someone using that name) joined #{room} and took over "
    "its reading here: this one no longer receives #{room}; leave and join it again to take "
    "it back, or quit the other one"
)
log = logging.getLogger("pravechat.session")


class Connection(StrEnum):
    """A room's connection, as a status bar shows it."""

    JOINING = "joining"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    READ_ONLY = "read-only"
    """The room was sealed: it can be read, not written."""
    TAKEN = "taken"
    """Another session of the same user took over the room's reader."""
    NOT_CONNECTED = "not connected"
    """Joining failed."""
    DISCONNECTED = "disconnected"
    """The room's reader failed for good."""

    @property
    def warning(self) -> bool:
        """Whether the user should know at once (shown in red, its notice as an error)."""
        return self not in (Connection.JOINING, Connection.CONNECTED)


@dataclass(frozen=True)
class SessionStatus:
    """The connection changed: ``state`` for a status bar, ``notice`` for the user to read."""

    state: Connection
    notice: str


StatusListener = Callable[[SessionStatus], None]


class ChatSession(Protocol):
    """What a UI or a bot needs of a joined room; :class:`RoomSession` is the real one."""

    user: str
    room: str
    history: list[ChatMessage]
    missed: int
    notices: list[str]
    on_status: StatusListener | None

    @property
    def has_older(self) -> bool: ...

    @property
    def pending(self) -> list[ChatMessage]: ...

    def batches(self, max_size: int = 1000) -> AsyncIterator[list["Delivery"]]: ...

    def submit(
        self, text: str, kind: Kind = Kind.CHAT, *, reply_to: str | None = None,
        target: str | None = None, undo: bool = False,
    ) -> ChatMessage: ...  # fmt: skip

    async def send(self, text: str, kind: Kind = Kind.CHAT) -> ChatMessage: ...

    async def load_older(self, limit: int = DEFAULT_SCROLLBACK) -> list[ChatMessage]: ...

    def searcher(self, term: str) -> Searcher: ...

    async def close(self) -> None: ...

    def keep_unsent(self) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """A message read from a room; ``unread`` when it arrived while the user was away."""

    message: ChatMessage
    unread: bool
    offset: int = -1
    """Where its event starts in the room (-1: not known)."""


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


def lock_room(path: Path, user: str, room: str) -> IO[str]:
    handle = path.open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise TransportError(
            f"{user} is already in {room} from another pravechat on this machine"
        ) from None
    return handle


def _load_outbox(path: Path) -> list[ChatMessage]:
    """Messages a previous session did not send (it left, or it was killed); the file stays
    until this session has them in its own outbox file."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError:
        return []
    decoded = (decode_event(line) for line in lines if line.strip())
    return [message for message in decoded if isinstance(message, ChatMessage)]


@dataclass
class _Outgoing:
    message: ChatMessage
    acknowledged: "asyncio.Future[None]"
    write: "asyncio.Future[None] | None" = None
    """The write begun when the message was queued, if nothing else was in flight."""


class RoomSession:
    """Join with :meth:`open`; iterate for deliveries; :meth:`close` saves the position.

    It rides out a lost server: its reader ends with the connection, and the session
    starts another until the server is back, saying so through :attr:`on_status`.
    What is sent meanwhile waits in an outbox, in order, and goes out once, when it can.
    """

    def __init__(
        self,
        transport: Transport,
        args: ReaderArgs,
        writer: RoomWriter,
        reader: RoomReader,
        history: list[ChatMessage],
        skipped: Counter[SkipReason],
        files: Path,
        lock: IO[str],
        born: str | None,
    ) -> None:
        self.user = args.user
        self.room = args.room
        self.history = history
        """Messages this user had already read, oldest first, up to the scrollback limit."""
        self.skipped = skipped
        """Events that were not valid messages, by reason."""
        self.missed = 0
        """Unread messages older than those delivered, not loaded (an estimate): a user
        who missed more than a few thousand gets the last ones (room_reader.CATCH_UP_BYTES)."""
        self.has_older = False
        """The room holds messages older than those loaded: :meth:`load_older` reads them."""
        self._oldest = 0
        """Where the oldest message loaded starts in the room stream."""
        self._oldest_ids = {message.id for message in history[:_OLDER_OVERLAP]}
        """Ids of the oldest messages loaded: a write retried across the edge of two reads
        would be shown twice."""
        self._loading_older = asyncio.Lock()
        self.on_status: StatusListener | None = None
        self.state = Connection.CONNECTED
        self.read_only = False
        """The room was sealed under this session: nothing more can be sent."""
        self._reader_ended = "the room reader ended"
        """Why the reader ends, if it is not a failure it reports."""
        self.notices: list[str] = []
        """What the user should be told on joining (a UI shows them with the history)."""
        self._transport = transport
        self._args = args
        self._writer = writer
        self._writer_generation = transport.generation
        """The connection's generation when the writer was opened (Transport.generation)."""
        self._reader = reader
        self._mine = {reader.reader_id}
        """Ids of the readers this session started: another online in the group took it."""
        self._files = files
        self._lock = lock
        self._seen = SeenLog(Path(f"{files}.seen"))
        self._recent = RecentIds(_DEDUPE_WINDOW)
        for message in history:
            self._recent.first_time(message.id)
        self._born = born
        """The birth mark of the room stream this session reads (Transport.birth_mark)."""
        self._queue: asyncio.Queue[Delivery | None] = asyncio.Queue(10_000)
        self._in_hand: Delivery | None = None
        """A delivery waiting for room in the queue."""
        self._closed = False
        self._connected = asyncio.Event()
        self._connected.set()
        self._outbox: deque[_Outgoing] = deque()
        self._outbox_changed = asyncio.Event()
        for message in _load_outbox(Path(f"{files}.outbox")):
            self._enqueue(message)
        loop = asyncio.get_running_loop()
        self._pump = loop.create_task(self._pump_deliveries())
        self._sender = loop.create_task(self._send_outbox())
        self._checker = loop.create_task(self._check_room())

    @classmethod
    async def open(
        cls, transport: Transport, user: str, room: str, scrollback: int = DEFAULT_SCROLLBACK
    ) -> Self:
        """Join ``room`` as ``user``: history up to where they stopped reading, then live."""
        user, room = validate_user(user), normalize_room(room)
        files = session_files(transport.scope, room, user)
        private_dir(files.parent)
        lock = lock_room(Path(f"{files}.lock"), user, room)
        args = ReaderArgs(user, room, scrollback)
        try:
            writer = await transport.open_writer(room)
            reader, opened = await cls._start_reader(transport, args)
            history, ready = await cls._history_or_stop(reader)
        except BaseException:
            lock.close()
            raise
        session = cls(
            transport, args, writer, reader, history, ready.skipped, files, lock, opened.born
        )
        session.missed = ready.missed
        if opened.group_replaced:
            session.notices.append(_GROUP_REPLACED.format(room=room, group=opened.group))
        session.has_older, session._oldest = ready.older, ready.oldest
        return session

    reader_type: type[RoomReader] = RoomReader
    """What reads the conversation: a StreamCli conversation reads its own way."""

    @classmethod
    async def _start_reader(
        cls, transport: Transport, args: ReaderArgs, started: set[str] | None = None
    ) -> tuple[RoomReader, Opened]:
        """Start a reader and wait until it holds the user's reader group (its id is added
        to ``started`` first: given up on, it may get in all the same)."""
        reader = cls.reader_type.start(transport, args)
        if started is not None:
            started.add(reader.reader_id)
        try:
            first = await asyncio.wait_for(reader.items.get(), _JOIN_TIMEOUT)
        except BaseException as error:
            await reader.stop()
            if isinstance(error, TimeoutError):
                raise TransportError(
                    f"Pravega did not open the reader group within {_JOIN_TIMEOUT:.0f} s; "
                    "is the server overloaded?"
                ) from None
            raise
        if isinstance(first, Opened):
            return reader, first
        await reader.stop()
        raise TransportError(first.error if isinstance(first, Failed) else "the reader ended")

    @staticmethod
    async def _history_or_stop(reader: RoomReader) -> tuple[list[ChatMessage], Ready]:
        """The history, or the reader is stopped (a join given up, or cancelled by a /leave)."""
        history: list[ChatMessage] = []
        try:
            while (item := await reader.items.get()) is not None:
                if isinstance(item, History):
                    history.append(item.message)
                elif isinstance(item, Ready):
                    return history, item
                elif isinstance(item, Failed):
                    raise TransportError(item.error)
            raise TransportError("the room reader stopped while joining")
        except BaseException:
            await reader.stop()
            raise

    # --- reading, and reconnecting -------------------------------------------------------

    def _status(self, state: Connection, notice: str) -> None:
        self.state = state
        if self.on_status is not None:
            self.on_status(SessionStatus(state, notice))

    async def _pump_deliveries(self) -> None:
        try:
            while True:
                why = await self._pump_reader()
                if self._closed:
                    return
                if _TAKEN in why and await self._taken_over():  # rejoining would take it
                    # back, and the other session would do the same, forever
                    log.warning("%s: reader taken over: %s", self.room, why)
                    self._status(
                        Connection.TAKEN, _TAKEN_NOTICE.format(room=self.room, user=self.user)
                    )
                    return
                await self._reconnect(why)
        finally:
            if self._closed:  # nobody reads any more: a full queue would hold close() forever
                with contextlib.suppress(asyncio.QueueFull):
                    self._queue.put_nowait(None)
            else:
                await self._queue.put(None)

    async def _pump_reader(self) -> str:
        """Pass the reader's deliveries on until it ends; returns why it ended."""
        failure = ""
        while (item := await self._reader.items.get()) is not None:
            if isinstance(item, Arrived):
                if self._recent.first_time(item.message.id):
                    unread = item.unread and item.message.id not in self._seen.ids
                    self._in_hand = Delivery(item.message, unread, item.offset)
                    await self._queue.put(self._in_hand)  # closing may cancel it here
                    self._in_hand = None
            elif isinstance(item, Dropped):
                self.skipped[item.reason] += 1
            elif isinstance(item, Failed):
                failure = item.error
        return failure or self._reader_ended

    async def _taken_over(self) -> bool:
        """Whether another session holds the reader group now (the crate says "already
        offline" of that, of a deleted group, and of a reader a cluster's fault put offline:
        only the first must not be rejoined). A session taking over puts this one offline
        before its own reader is online: nobody else is looked for a while."""
        deadline = time.monotonic() + _TAKEOVER_WAIT
        while True:
            try:
                taken = off_loop(self._reader.others_online, self._mine)
                if await asyncio.wait_for(taken, _PROBE_TIMEOUT):
                    return True
            except TimeoutError:
                pass
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.5)

    async def _reconnect(self, why: str) -> None:
        """Start readers until one rejoins: no history, and the group's saved position."""
        self._connected.clear()
        log.warning("lost %s: %s", self.room, why)
        self._status(Connection.RECONNECTING, f"lost #{self.room}: {why}; reconnecting")
        uri = self._transport.uri
        # Set, now or before the server answers again, if the server went away: then a room
        # created anew was lost with it; otherwise someone deleted it.
        server_went_away = server_lost(uri)
        async for _ in backoff(_RETRY_FIRST, _RETRY_MAX):
            # The controller in use, or another of a cluster's (the connection moves there).
            if not await asyncio.to_thread(self._transport.find_controller, _PROBE_TIMEOUT):
                continue
            server_back(self._transport.uri)
            read_to = self._reader.read_to
            await self._reader.stop()  # the one the server's loss ended: never read again
            # A group someone deleted starts again where this reader stopped, not at the
            # head (which would replay the room): when the room is still the same one.
            args = replace(self._args, scrollback=0, resume=True, resume_at=read_to,
                           born=self._born)  # fmt: skip
            try:
                reader, opened = await self._start_reader(self._transport, args, self._mine)
                await self._history_or_stop(reader)
            except TransportError as error:
                log.warning("rejoining %s failed: %s", self.room, error)
                continue
            break
        self._reader = reader
        self._reader_ended = "the room reader ended"
        moved = self._transport.generation != self._writer_generation
        if moved and not self._sender.done():  # done: read-only, nothing more is sent
            # The writer is on the dead controller's client: its write in flight may never
            # end. A new writer sends it again (readers drop a copy by id).
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
            self._sender = asyncio.get_running_loop().create_task(self._send_outbox())
        self._connected.set()
        notice = f"reconnected to #{self.room}"
        if moved:
            notice += f" through the controller at {self._transport.uri}"
        room_is_new = opened.born != self._born
        if room_is_new:
            self._born = opened.born
            self.has_older = False  # what was loaded before is all the old room held
            if self.read_only:  # sealed, then deleted: the new room can be written
                self.read_only = False
                self._sender = asyncio.get_running_loop().create_task(self._send_outbox())
            notice += (
                ": the server had lost this room (it restarted without durable storage), "
                "so it was created again and starts empty"
                if server_went_away.is_set()
                else ": the room was deleted while the server stayed up (anyone with write "
                "access to this Pravega can do it), so it was created again and starts empty"
            )
        if opened.group_replaced and not room_is_new:  # a new room breaks every group
            notice += "; " + _GROUP_REPLACED.format(room=self.room, group=opened.group)
            notice += ", from where you were"
        self._status(Connection.CONNECTED, notice)

    def searcher(self, term: str) -> Searcher:
        """A search of the whole room for ``term`` (core.search), as Pravega holds it."""
        return RoomSearch(self._transport, room_stream(self.room), term, self.user)

    async def load_older(self, limit: int = DEFAULT_SCROLLBACK) -> list[ChatMessage]:
        """Up to ``limit`` messages from before the oldest loaded, oldest first, read back
        from the room (none once :attr:`has_older` is false). Events that are not valid
        messages are left out; :class:`TransportError` if the server cannot be read."""
        async with self._loading_older:
            if not self.has_older:
                return []
            stream = room_stream(self.room)
            reading = off_loop(self._transport.read_window_blocking, stream, self._oldest, limit)
            try:
                window = await asyncio.wait_for(reading, _LOAD_TIMEOUT)
            except TimeoutError:
                raise TransportError(
                    f"reading older messages of #{self.room} took over {_LOAD_TIMEOUT:.0f} s"
                ) from None
            messages, _ = window.messages()
            messages = [m for m in messages if m.id not in self._oldest_ids]
            self._oldest, self.has_older = window.start, window.older
            self._oldest_ids = {message.id for message in messages[:_OLDER_OVERLAP]}
            return messages

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
            batch = [item]
            while len(batch) < max_size and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    break
                batch.append(item)
            self._shown(batch)
            yield batch
            if item is None:
                return

    def _shown(self, batch: list[Delivery]) -> None:
        """Note what is handed to the UI (one write a batch)."""
        self._seen.add(delivery.message.id for delivery in batch)

    # --- sending -------------------------------------------------------------------------

    @property
    def pending(self) -> list[ChatMessage]:
        """Sent and not yet acknowledged by Pravega, oldest first."""
        return [item.message for item in self._outbox]

    def _enqueue(self, message: ChatMessage) -> _Outgoing:
        if self._closed:
            raise TransportError(f"left #{self.room}: nothing more can be sent there")
        if self.read_only:
            raise RoomSealedError(f"#{self.room} is sealed: it can be read, not written")
        item = _Outgoing(message, asyncio.get_running_loop().create_future())
        if not self._outbox and self._connected.is_set():
            # Nothing in flight: write now. Waking the sending task first let a screen paint
            # in between, 2-5 ms before the line left (measured).
            with contextlib.suppress(PravechatError):  # the sending task tries and says why
                item.write = self._writer.start(message)
        self._outbox.append(item)
        self._write_outbox()  # on disk before anyone is shown it pending
        self._outbox_changed.set()
        return item

    def submit(
        self, text: str, kind: Kind = Kind.CHAT, *, reply_to: str | None = None,
        target: str | None = None, undo: bool = False,
    ) -> ChatMessage:  # fmt: skip
        """Frame the message and queue it to be sent; returns at once. ``reply_to``, ``target``
        and ``undo`` as :func:`new_message` takes them.

        Raises PravechatError for what could never be sent (too long, bad characters).
        """
        message = new_message(
            self.room, self.user, text, kind, reply_to=reply_to, target=target, undo=undo
        )
        return self._enqueue(message).message

    async def send(self, text: str, kind: Kind = Kind.CHAT) -> ChatMessage:
        """Frame, send and await the acknowledgement; returns the message sent."""
        item = self._enqueue(new_message(self.room, self.user, text, kind))
        await asyncio.shield(item.acknowledged)
        return item.message

    async def _send_outbox(self) -> None:
        """Send queued messages one at a time, in order, each acknowledged before the next.

        While the server is away the binding's writer keeps retrying the message in flight
        (it was measured to deliver it once, in order, when the room is back). Should a write
        fail outright, a new writer sends it again once connected; readers drop the copy, if
        the first one landed after all, by id.
        """
        while True:
            while not self._outbox:
                self._outbox_changed.clear()
                await self._outbox_changed.wait()
            item = self._outbox[0]
            begun, item.write = item.write, None
            if self._writer_generation != self._transport.generation:
                begun = None  # begun on a dead controller's writer: a new one sends it
                await self._reopen_writer()
            try:
                if begun is not None:
                    await self._writer.sent(begun)
                else:
                    await self._writer.send(item.message)
            except TransportError as error:
                if await self._sealed():
                    self._go_read_only()
                    return
                log.warning("sending to %s failed, will resend: %s", self.room, error)
                await self._reopen_writer()
                continue
            self._outbox.popleft()
            self._write_outbox()
            self._acknowledged(item.message)
            if not item.acknowledged.done():
                item.acknowledged.set_result(None)

    def _acknowledged(self, message: ChatMessage) -> None:
        """Pravega acknowledged ``message``: a room's reader delivers it back, nothing to do."""

    async def _check_room(self) -> None:
        """Every ROOM_CHECK_EVERY seconds: a reader does not always notice that someone
        sealed or deleted its room (seen in tests), so the room's bounds are read. Sealed:
        read-only. Deleted, or created anew (its tail is before what was read): rejoin,
        which says so."""
        stream = room_stream(self.room)
        while True:
            await asyncio.sleep(ROOM_CHECK_EVERY)
            if not self._connected.is_set():
                continue
            read_to = self._reader.read_to  # before the bounds: the reader reads on meanwhile
            exists = off_loop(self._transport.stream_exists, stream)
            try:
                if not await asyncio.wait_for(exists, _PROBE_TIMEOUT):
                    self._reader_ended = "the room's stream was deleted"
                    self._reader.end()  # the pump sees it end, and rejoins
                    continue
                _, tail = await asyncio.wait_for(
                    off_loop(self._transport.bounds, stream), _PROBE_TIMEOUT
                )
            except RoomSealedError:
                self._go_read_only()  # once
                continue
            except (TransportError, TimeoutError):  # the server is away: its watch says so
                continue
            if read_to is not None and tail < read_to:
                self._reader_ended = "the room's stream was deleted and created again"
                self._reader.end()

    async def _sealed(self) -> bool:
        """Whether the room's stream is sealed (a write to it fails, but not as sealed)."""
        checking = off_loop(self._transport.is_sealed, room_stream(self.room))
        try:
            return await asyncio.wait_for(checking, _PROBE_TIMEOUT)
        except TimeoutError:
            return False

    def _go_read_only(self) -> None:
        """Someone sealed the room: reading goes on, writing never can; what was not sent
        is kept in the outbox file (this session never writes again)."""
        if self.read_only:
            return
        self.read_only = True
        unsent = len(self._outbox)
        path = self._write_outbox() if unsent else None
        self._fail_outbox(RoomSealedError(f"#{self.room} is sealed: not sent"))
        notice = (
            f"#{self.room} was sealed (anyone with write access to this Pravega can do it): "
            "it can be read, no longer written"
        )
        if path is not None:
            notice += f"; {unsent} line(s) not sent are kept in {path}"
        self._status(Connection.READ_ONLY, notice)

    def _fail_outbox(self, failure: TransportError) -> None:
        for item in self._outbox:
            if not item.acknowledged.done():
                item.acknowledged.set_exception(failure)
                item.acknowledged.exception()  # retrieved: nobody else may await it
        self._outbox.clear()

    async def _reopen_writer(self) -> None:
        async for _ in backoff(_RETRY_FIRST, _RETRY_MAX):
            await self._connected.wait()
            try:
                generation = self._transport.generation
                self._writer = await self._open_writer()
                self._writer_generation = generation
                return
            except TransportError as error:
                log.warning("reopening the writer of %s failed: %s", self.room, error)

    async def _open_writer(self) -> RoomWriter:
        return await self._transport.open_writer(self.room)

    async def _drain_outbox(self) -> None:
        while self._outbox:
            await asyncio.shield(self._outbox[-1].acknowledged)

    def keep_unsent(self) -> None:
        """Save a copy of the outbox now, without waiting for Pravega: the app is crashing.
        The sender may still deliver one of them; the next session's copy then carries
        the same id, which readers drop."""
        if self._outbox:  # empty: a sealed room's leftovers may be in the file, kept
            self._write_outbox()

    def _write_outbox(self) -> Path:
        """The outbox file as the outbox is now (none when it is empty), replaced whole: a
        process killed at any moment (kill -9) leaves every unacknowledged line there, for
        its next session to send. Acknowledged and still there, it goes out twice, and
        readers drop the copy by id. Into the page cache, not synced: a power cut may lose
        the last lines typed."""
        path = Path(f"{self._files}.outbox")
        try:
            if not self._outbox:
                path.unlink(missing_ok=True)
                return path
            temporary = Path(f"{self._files}.outbox.tmp")
            temporary.write_text("".join(f"{i.message.to_json()}\n" for i in self._outbox))
            temporary.replace(path)
        except OSError as error:  # a full disk: sending goes on, from memory
            log.warning("the outbox of %s could not be saved: %s", self.room, error)
        return path

    def _save_outbox(self) -> None:
        """Keep what could not be sent for the next session in this room to send."""
        if not self._outbox:
            return
        path = self._write_outbox()
        self._fail_outbox(TransportError(f"not sent yet: kept in {path} for your next visit"))

    def _first_unshown(self) -> int | None:
        """Where the first delivery nobody took starts, if any (the UI stopped reading)."""
        return min((d.offset for d in self._take_unshown() if d.offset >= 0), default=None)

    def _take_unshown(self) -> list[Delivery]:
        """The deliveries nobody took (the UI stopped reading), the queue emptied."""
        unshown = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None:
                unshown.append(item)
        return unshown if self._in_hand is None else [*unshown, self._in_hand]

    async def close(self) -> None:
        """Send what is queued (waiting at most _CLOSE_DRAIN s, saving what is left for the
        next session), stop the reader (it goes offline, saving the position)."""
        if self._closed:
            return
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drain_outbox(), _CLOSE_DRAIN)
            self._closed = True
            drained = not self._outbox
            for task in (self._sender, self._pump, self._checker):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._save_outbox()
            await self._reader.stop(self._first_unshown())
            if drained and not self.read_only:
                await self._writer.flush()
        finally:
            self._closed = True
            self._seen.close()
            self._lock.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()
