"""A user's live reader of one room (or of the presence stream), inside this process.

:class:`pravechat.core.session.RoomSession` starts one with :meth:`RoomReader.start` and takes
what it reads from :attr:`RoomReader.items`, in order::

    Opened(born)          the user's reader group is open; ``born`` tells this room from a
                          lost one of the same name
    History(message)      already read, oldest first (up to the scrollback limit)
    Ready(skipped)        history done; live deliveries follow
    Arrived(message, unread)
    Dropped(reason)       an event that is not a valid message
    Failed(error)         the reader ended on an error (the server went away...)
    None                  the reader has ended

Each reader has an id of its own, so a reader left behind (by a crash, or abandoned when
the server went away) can never be mistaken for the one that replaced it: joining first
takes every online reader of the user's group offline at its last saved position.
"""

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NoReturn, ParamSpec, TypeVar

from pravechat import _pravega
from pravechat.core.blocking import in_pool, off_loop
from pravechat.core.names import (
    is_direct,
    normalize_room,
    reader_group_name,
    reader_group_names,
    room_stream,
    validate_user,
)
from pravechat.core.presence import (
    PRESENCE_RETENTION_MS,
    PRESENCE_STREAM,
    Presence,
    decode_presence,
)
from pravechat.core.protocol import ChatMessage, Skipped, SkipReason
from pravechat.core.recent import RecentIds
from pravechat.core.server_watch import server_lost
from pravechat.core.transport import (
    BYTES_PER_MESSAGE_GUESS,
    READER_ID,
    Transport,
    TransportError,
    Window,
    binding,
)

log = logging.getLogger("pravechat.room_reader")
P = ParamSpec("P")
T = TypeVar("T")

DEDUPE_WINDOW = 100_000
QUEUE_LIMIT = 10_000
"""Items waiting for the session: past this the reader waits (and Pravega keeps the rest)."""
DECODED_PER_TURN = 50
"""Events decoded before the loop gets a turn: a slice of 30,000 presence events decoded in
one go held key presses back for 0.8 s (benchmarks/presence.py)."""
CATCH_UP_BYTES = 1 << 20
"""A returning user's unread part of a room larger than this (a few thousand messages) is
not read through: the last messages before the tail are shown as unread, how many older ones
were missed is estimated, and the user's group moves to the tail. Joining then costs what is
shown, however much was missed."""
_BROKEN_GROUP = ("TableDoesNotExist", "Expected a StreamCut but none found")
"""How the crate fails to use a reader group whose state someone deleted, or whose stream
was deleted and created again under it."""
OFFLINE_TIMEOUT = 5.0
"""Seconds a stopping reader has to go offline; past it the reader is left to the next join
(which takes it offline at its last saved position)."""


@dataclass(frozen=True)
class ReaderArgs:
    user: str
    room: str
    scrollback: int
    presence: bool = False
    """Read the scope's presence stream from its tail instead of a room."""
    resume: bool = False
    """Rejoin after a lost connection: no history, nothing unread, and a reader group the
    server lost starts at the head of the room (everything in it came after the loss)."""
    resume_at: int | None = None
    """On a rejoin: where the last reader stopped. A group that was deleted while the room
    stayed (the same ``born``) starts there instead of at the head: nothing is replayed."""
    born: str | None = None
    """On a rejoin: the birth mark of the room the last reader read."""


@dataclass(frozen=True)
class Opened:
    born: str | None
    group: str = ""
    """The reader group read through."""
    group_replaced: bool = False
    """Someone deleted the user's reader group: another one, under the next name, reads."""


@dataclass(frozen=True)
class History:
    message: ChatMessage


@dataclass(frozen=True)
class Ready:
    skipped: Counter[SkipReason]
    missed: int = 0
    """Unread messages before those delivered, not loaded (an estimate): see CATCH_UP_BYTES."""
    oldest: int = 0
    """Where the first event loaded starts: older messages are read back from there."""
    older: bool = False
    """The room holds events before ``oldest``."""


@dataclass(frozen=True)
class Arrived:
    message: ChatMessage
    unread: bool
    offset: int = -1
    """Where its event starts: a reader stopped before it was shown gives back from there."""


@dataclass(frozen=True)
class Dropped:
    reason: SkipReason


@dataclass(frozen=True)
class Failed:
    error: str


@dataclass(frozen=True)
class PresenceSeen:
    presence: Presence


Item = Opened | History | Ready | Arrived | Dropped | Failed | PresenceSeen


class RoomReader:
    """Reads one room for one user until :meth:`stop`; see the module's docstring."""

    def __init__(self, transport: Transport, args: ReaderArgs) -> None:
        self.transport = transport
        self.args = args
        self.items: asyncio.Queue[Item | None] = asyncio.Queue(QUEUE_LIMIT)
        self._reader: _pravega.Reader | None = None
        self._reader_id = f"{READER_ID}-{uuid.uuid4().hex[:12]}"
        self._group: _pravega.Group | None = None
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.read_to: int | None = None
        """Where the last event passed on ends (live reading only)."""
        self._calling: asyncio.Future[Any] | None = None
        """The binding call in flight, which the server's loss cancels."""
        self._watched: asyncio.Event | None = None
        self._watcher: asyncio.Task[None] | None = None

    @classmethod
    def start(cls, transport: Transport, args: ReaderArgs) -> "RoomReader":
        reader = cls(transport, args)
        reader._task = asyncio.get_running_loop().create_task(reader._run())
        return reader

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        serve = self._serve_presence if self.args.presence else self._serve
        try:
            await serve()
        except TransportError as error:
            await self.items.put(Failed(str(error)))
        finally:
            if self._watcher is not None:
                self._watcher.cancel()
            await self.items.put(None)

    async def _put(self, item: Item) -> None:
        await self.items.put(item)

    async def _serve(self) -> None:
        """Join the room, pass on its history, then live messages until stopped."""
        args, transport = self.args, self.transport
        user, room = validate_user(args.user), normalize_room(args.room)
        stream = room_stream(room)

        def open_group() -> tuple[_pravega.Group, str | None, int, int]:
            transport.create_stream(stream)
            born = transport.birth_mark(stream)
            # An existing group keeps its position; a new user starts at the tail.
            # A direct conversation's new group starts at the head: what was said before the
            # member's first visit waits for them.
            new_at_head = args.resume or is_direct(room)
            start: Literal["head", "tail"] | int = "head" if new_at_head else "tail"
            if args.resume and args.resume_at is not None and born == args.born:
                start = args.resume_at
            group, online = self._open_group(stream, start)
            with binding(f"opening {user}'s reader group on {room}"):
                for left_behind in online:
                    group.reader_offline(left_behind)
                boundary = group.position()
            tail = boundary if args.resume else transport.tail_offset(stream)
            return group, born, boundary, tail

        # Every call below is raced with the server's loss: a call the server's loss left
        # waiting would otherwise hold this reader (and its session's reconnecting) for the
        # client's retries, minutes.
        lost = server_lost(transport.uri)
        group, born, boundary, unread_before = await self._unless_lost(lost, open_group)
        self._group = group
        await self._put(Opened(born, group.name, group.name != reader_group_name(user, room)))
        recent = RecentIds(DEDUPE_WINDOW)
        if unread_before - boundary > CATCH_UP_BYTES:
            shown = await self._catch_up(lost, group, stream, boundary, unread_before, recent)
        else:
            window = await self._unless_lost(
                lost, transport.read_window_blocking, stream, boundary, args.scrollback
            )
            history, skipped = window.messages()
            for message in history:
                recent.first_time(message.id)
                await self._put(History(message))
            await self._put(Ready(skipped, oldest=window.start, older=window.older))
            shown = len(history)
            self.read_to = boundary  # where the group reads from: a rejoin resumes there
        with binding(f"creating {user}'s reader on {room}"):
            self._reader = await self._unless_lost(lost, group.reader, self._reader_id)
        log.info("joined %s as %s: %d messages of history", room, user, shown)
        held = False  # a slice whose events were passed on: released by the next acquire
        while not self._stopping:
            with binding(f"reading {room}"):
                raw = await self._acquire(lost, release_previous=held)
            held = True
            if self._stopping:  # nobody will show these: give them back unread
                with binding(f"giving back a slice of {room}"):
                    await self._release(lost, give_back=True)
                held = False
                break
            decoded = transport.decode_events(raw, stream)  # one at a time, as they are reached
            for n, event in enumerate(decoded, 1):
                if n % DECODED_PER_TURN == 0:
                    await asyncio.sleep(0)  # a large slice must not hold the keys back
                if isinstance(event.decoded, Skipped):
                    await self._put(Dropped(event.decoded.reason))
                elif recent.first_time(event.decoded.id):
                    unread = event.offset < unread_before
                    await self._put(Arrived(event.decoded, unread, event.offset))
                self.read_to = event.end
        if held and self._reader is not None:
            with binding(f"releasing a slice of {room}"):
                await self._release(lost)

    def _open_group(
        self, stream: str, start: Literal["head", "tail"] | int
    ) -> tuple[_pravega.Group, list[str]]:
        """The user's reader group, or the first of its replacements (names.
        reader_group_names) that someone did not delete, with its online readers (reading
        them, or its position, is what fails for a broken group). Blocking."""
        transport, user, room = self.transport, self.args.user, self.args.room
        for name in reader_group_names(user, room):
            try:
                with binding(f"opening {user}'s reader group on {room}"):
                    group = transport.client.reader_group(transport.scope, name, stream, start)
                    group.position()
                    return group, group.online_readers()
            except TransportError as error:
                if not any(broken in str(error) for broken in _BROKEN_GROUP):
                    raise
                log.warning("%s: reader group %s is broken: trying the next name", room, name)
        raise TransportError(
            f"{user}'s reader groups on {room} were all deleted (anyone with write access to "
            "this Pravega can do it), and a deleted name cannot be used again"
        )

    async def _catch_up(
        self,
        lost: asyncio.Event,
        group: _pravega.Group,
        stream: str,
        boundary: int,
        tail: int,
        recent: RecentIds,
    ) -> int:
        """Show the room's last messages, those from ``boundary`` on as unread, estimate the
        unread ones before them, and move the user's group to ``tail``; returns how many
        messages it shows."""
        transport, args = self.transport, self.args
        window = await self._unless_lost(
            lost, transport.read_window_blocking, stream, tail, args.scrollback
        )
        seen = Window([e for e in window.events if e.offset < boundary], 0, window.unreadable)
        missed = 0
        if window.start > boundary:  # the unread ones before the window, by their size
            per_event = (
                (tail - window.start) / len(window.events)
                if window.events
                else BYTES_PER_MESSAGE_GUESS
            )
            missed = max(1, round((window.start - boundary) / per_event))
        history, skipped = seen.messages()
        for message in history:
            recent.first_time(message.id)
            await self._put(History(message))
        unread = [e for e in window.events if e.offset >= boundary]
        for event in unread:
            if isinstance(event.decoded, Skipped):
                skipped[event.decoded.reason] += 1
        await self._put(Ready(skipped, missed, window.start, window.older))
        shown = len(history)
        for event in unread:
            if not isinstance(event.decoded, Skipped) and recent.first_time(event.decoded.id):
                await self._put(Arrived(event.decoded, True, event.offset))
                shown += 1
        with binding(f"moving {args.user}'s reader group to the end of {args.room}"):
            await self._unless_lost(lost, group.move_to, tail)
        self.read_to = tail
        log.info("%s: caught up past about %d unread messages", args.room, missed)
        return shown

    async def _serve_presence(self) -> None:
        """Pass on presence events from now on, through a temporary reader group."""
        transport = self.transport
        group_name = f"tmp-{uuid.uuid4().hex}"
        where = transport.place(PRESENCE_STREAM)

        def open_group() -> _pravega.Group:
            stream = transport.ensure_stream(PRESENCE_STREAM, PRESENCE_RETENTION_MS)
            with binding("opening the presence stream"):
                return transport.client.reader_group(transport.scope, group_name, stream, "tail")

        lost = server_lost(transport.uri)
        group = await self._unless_lost(lost, open_group)
        try:
            with binding("opening the presence stream"):
                self._reader = await self._unless_lost(lost, group.reader, READER_ID)
            await self._put(Ready(Counter()))
            held = False
            while not self._stopping:
                with binding("reading presence"):
                    raw = await self._acquire(lost, release_previous=held)
                held = True
                for n, (_, data) in enumerate(raw, 1):
                    if n % DECODED_PER_TURN == 0:
                        await asyncio.sleep(0)  # a flood must not hold the keys back
                    if (presence := decode_presence(data, where)) is not None:
                        await self._put(PresenceSeen(presence))
        finally:
            with contextlib.suppress(TransportError), binding("deleting the presence group"):
                await self._unless_lost(
                    lost, transport.client.delete_reader_group, transport.scope, group_name
                )

    async def _acquire(
        self, lost: asyncio.Event, release_previous: bool
    ) -> list[tuple[int, bytes]]:
        """The next slice's events (the previous slice released first, if asked), unless
        the server goes away first."""
        reader = self._reader
        assert reader is not None
        return await self._unless_lost(lost, reader.acquire, release_previous)

    async def _release(self, lost: asyncio.Event, give_back: bool = False) -> None:
        reader = self._reader
        assert reader is not None
        await self._unless_lost(lost, reader.release, give_back)

    async def _unless_lost(
        self, lost: asyncio.Event, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``call(*args)`` in a thread, unless the server goes away first: then the reader is
        abandoned, as a crash would leave it (the next join takes it offline), and its call
        left to end on its own.

        One watcher per reader cancels the call in flight (:meth:`_watch`): racing each call
        with the event cost two tasks per slice read, a third of the reader's CPU at 250
        msg/s (measured)."""
        if self._watcher is None or self._watched is not lost:
            if self._watcher is not None:
                self._watcher.cancel()
            self._watched = lost
            self._watcher = asyncio.get_running_loop().create_task(self._watch(lost))
        if lost.is_set():
            self._abandon()
        calling: asyncio.Future[T] = in_pool(call, *args, **kwargs)
        self._calling = calling
        try:
            return await calling
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if lost.is_set() and not (task is not None and task.cancelling()):
                self._abandon()
            raise
        finally:
            self._calling = None

    async def _watch(self, lost: asyncio.Event) -> None:
        await lost.wait()
        if self._calling is not None:
            self._calling.cancel()  # its awaiter raises, see _abandon

    def _abandon(self) -> NoReturn:
        if self._reader is not None:
            self._reader.interrupt()
        self._reader = None
        raise TransportError(f"the server at {self.transport.uri} went away")

    @property
    def reader_id(self) -> str:
        return self._reader_id

    def others_online(self, mine: set[str]) -> bool:
        """Whether a reader not in ``mine`` (the ids its session started) is online in this
        reader's group: someone took it over. False when the group cannot be read (someone
        deleted it), or when nobody else is there (a cluster losing a piece can put a
        reader offline too), or only one of ``mine`` is (a join given up on may still have
        got in). Blocking."""
        if self._group is None:
            return False
        try:
            online = self._group.online_readers()
        except Exception:  # the binding's errors, whatever they say
            return False
        return any(reader not in mine for reader in online)

    def end(self) -> None:
        """End reading soon (the pending read is interrupted); whoever reads :attr:`items`
        sees it end, then calls :meth:`stop`."""
        self._stopping = True
        if self._reader is not None:
            self._reader.interrupt()

    async def stop(self, unshown_from: int | None = None) -> None:
        """Stop reading and go offline, saving the position read up to, or, when messages it
        delivered were not shown (``unshown_from``, or still in :attr:`items`), the start of
        the first of them: they are delivered again next time. A reader that cannot go
        offline within OFFLINE_TIMEOUT (the server is away) is left for the next join."""
        self._stopping = True
        if self._reader is not None:
            self._reader.interrupt()
        starts = [] if unshown_from is None else [unshown_from]
        if self._task is not None:
            if self._reader is None:  # still joining: nothing read yet to save
                self._task.cancel()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.shield(self._drain_until_done(starts)), OFFLINE_TIMEOUT
                )
        if self._reader is None:
            return
        reader, self._reader = self._reader, None
        group, position = self._group, min(starts, default=None)
        try:
            with binding("going offline"):
                if position is None or group is None:
                    await asyncio.wait_for(off_loop(reader.offline), OFFLINE_TIMEOUT)
                else:
                    offline = off_loop(group.reader_offline, self._reader_id, position)
                    await asyncio.wait_for(offline, OFFLINE_TIMEOUT)
        except (TransportError, TimeoutError) as error:
            log.warning("%s: reader not taken offline: %s", self.args.room, error)

    async def _drain_until_done(self, unshown: list[int]) -> None:
        """Empty the queue (nobody reads it any more) until the task has ended, noting where
        each delivery it held starts."""
        assert self._task is not None
        while True:
            while not self.items.empty():
                item = self.items.get_nowait()
                if isinstance(item, Arrived) and item.offset >= 0:
                    unshown.append(item.offset)
            if self._task.done():
                return
            await asyncio.sleep(0.01)
