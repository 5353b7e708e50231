"""The Pravega transport: a room is a stream, and each (user, room) has its own reader group.

Every room stream has exactly one segment and every message is written with the room name as
routing key, so all readers of a room see one and the same order (docs/protocol.md).

Two traps of the binding shape this module. Its Rust panics are BaseExceptions: every call goes
through :func:`binding`, which turns failures into :class:`TransportError`. And its blocking
calls hold the GIL: one made while another of the process's futures is in flight can stall for
the client's 30 s request timeout (measured: reader_offline with one other reader polling
stalled 7 times in 20). So a process never mixes them: here, blocking calls and writes take
turns under one gate, and each live reader runs in a process of its own (room_reader.py).
"""

import asyncio
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pravega_client

from pravechat.core.errors import PravechatError
from pravechat.core.names import normalize_room, room_of_stream, room_stream, validate_scope
from pravechat.core.probe import (
    DEFAULT_CONTROLLER_URI,
    controller_problem,
    parse_controller_uri,
    tcp_reachable,
)
from pravechat.core.protocol import (
    MAX_EVENT_BYTES,
    ChatMessage,
    Skipped,
    SkipReason,
    decode_event,
    oversized,
)
from pravechat.core.security import auth_enabled

DEFAULT_SCOPE = "pravechat"
DEFAULT_SCROLLBACK = 1000
READER_ID = "reader"
PIPELINE_WINDOW = 1000
"""Unacknowledged events a batch may have in flight."""
BIRTH_TAG = "born-"
EVENT_HEADER_BYTES = 8
"""Pravega frames each event with a 4-byte type and a 4-byte length."""
_IDLE_SLICES_BEFORE_GIVING_UP = 10
"""Bounded reads (history) stop after this many empty ~1 s slices without progress."""


class TransportError(PravechatError):
    """Pravega refused or failed a request; the message says which and why."""


_NOT_FAILURES = (KeyboardInterrupt, SystemExit, GeneratorExit, asyncio.CancelledError)


@contextmanager
def binding(what: str) -> Iterator[None]:
    """Turn any failure of the binding, Rust panics included, into a TransportError."""
    try:
        yield
    except _NOT_FAILURES:
        raise
    except TransportError:
        raise
    except BaseException as error:  # pyo3's PanicException derives from BaseException
        detail = " ".join(str(error).split())[:300] or type(error).__name__
        raise TransportError(f"{what} failed: {detail}") from error


@dataclass(frozen=True)
class Event:
    """One event of a room stream, decoded, with where it starts and ends in the segment."""

    offset: int
    end: int
    decoded: ChatMessage | Skipped


def single_offset(cut: Any, what: str) -> int:
    """The offset of a stream cut of a one-segment stream."""
    offsets = dict(cut.get_segment_offset_map())
    if len(offsets) != 1:
        raise TransportError(f"{what}: expected a stream of one segment, found {len(offsets)}")
    return int(next(iter(offsets.values())))


async def read_raw_slice(
    reader: Any, stream: str, cancelled: Callable[[], bool] = lambda: False
) -> list[tuple[int, int, bytes]]:
    """Acquire one slice, release it: (offset, end, data) of each event, undecoded.

    When ``cancelled()`` says so once the slice arrives (the reader is stopping and nobody
    would show its events), the slice goes back unread: the position it saves stays before
    those events, so they are delivered to the user's next session instead of being lost.
    """
    with binding(f"reading {stream}"):
        segment_slice = await reader.get_segment_slice_async()
    try:
        events: list[tuple[int, int, bytes]] = []
        if cancelled():
            return events
        for event in segment_slice:
            data = event.data()
            offset = int(event.offset())
            events.append((offset, offset + EVENT_HEADER_BYTES + len(data), data))
        return events
    finally:
        with binding(f"releasing a slice of {stream}"):
            reader.release_segment(segment_slice)


async def read_slice(
    reader: Any, stream: str, cancelled: Callable[[], bool] = lambda: False
) -> list[Event]:
    """Acquire one slice, decode it, release it: one sequential step of a read loop."""
    return [
        Event(offset, end, decode_event(data))
        for offset, end, data in await read_raw_slice(reader, stream, cancelled)
    ]


class Transport:
    """A connection to one Pravega controller and scope."""

    def __init__(self, manager: Any, uri: str, scope: str) -> None:
        self.manager = manager
        self.uri = uri
        self.scope = scope
        self.gate = asyncio.Lock()
        """Held by every blocking call and every write in flight: they never overlap."""
        self._streams: set[str] = set()

    @classmethod
    def connect(
        cls,
        controller: str = DEFAULT_CONTROLLER_URI,
        scope: str = DEFAULT_SCOPE,
        probe: bool = True,
    ) -> "Transport":
        """Connect, failing within about 2 s when no controller answers; creates the scope.

        ``probe=False`` skips checking that the controller serves requests, for a caller that
        just did.
        """
        address = parse_controller_uri(controller)
        scope = validate_scope(scope)
        hint = ": start one with `pravechat server start`, or pass --controller"
        if not tcp_reachable(address.host, address.port, timeout=1.0):
            raise TransportError(f"no Pravega server answers at {address.uri}{hint}")
        if probe and (problem := controller_problem(address.uri, timeout=3.0)) is not None:
            unsure = "does not answer as a Pravega controller" in problem
            raise TransportError(problem + (hint if unsure else ""))
        with binding(f"connecting to {address.uri}"):
            manager = pravega_client.StreamManager(
                address.uri, auth_enabled=auth_enabled(), tls_enabled=address.scheme == "tls"
            )
            manager.create_scope(scope)
        return cls(manager, address.uri, scope)

    # --- rooms ---------------------------------------------------------------------------

    def ensure_room(self, room: str) -> str:
        """Create the room's stream when missing; returns the stream name. Blocking."""
        return self.ensure_stream(room_stream(room))

    def ensure_stream(self, stream: str, retention_ms: int | None = None) -> str:
        """Create a one-segment stream when missing (with time retention if given). Blocking."""
        if stream not in self._streams:
            self.create_stream(stream, retention_ms)
        return stream

    def create_stream(self, stream: str, retention_ms: int | None = None) -> None:
        """Like ensure_stream, without trusting what this process saw before. Blocking.

        A new stream is tagged with a birth mark of its own (see :meth:`birth_mark`).
        """
        retention = (
            pravega_client.StreamRetentionPolicy.by_time(retention_ms)
            if retention_ms
            else pravega_client.StreamRetentionPolicy.none()
        )
        with binding(f"creating stream {stream}"):
            self.manager.create_stream_with_policy(
                self.scope,
                stream,
                scaling_policy=pravega_client.StreamScalingPolicy.fixed_scaling_policy(1),
                retention_policy=retention,
                tags=[f"{BIRTH_TAG}{uuid.uuid4().hex}"],
            )
        self._streams.add(stream)

    def birth_mark(self, stream: str) -> str | None:
        """The tag that tells this stream from an earlier one of the same name: a restarted
        in-memory server has lost the room, and whoever comes back first creates it anew.
        None for a stream made before pravechat tagged them. Blocking."""
        with binding(f"reading the tags of {stream}"):
            tags = self.manager.get_stream_tags(self.scope, stream) or []
        return next((str(tag) for tag in tags if str(tag).startswith(BIRTH_TAG)), None)

    async def open_stream_writer(
        self, stream: str, retention_ms: int | None = None, inflight: int = 0
    ) -> Any:
        """A writer; ``inflight`` > 0 lets its blocking writes pipeline (see send_batch)."""
        async with self.gate:
            self.ensure_stream(stream, retention_ms)
            with binding(f"opening a writer on {stream}"):
                return self.manager.create_writer(self.scope, stream, max_inflight_events=inflight)

    async def write(self, writer: Any, text: str, routing_key: str) -> None:
        """One acknowledged write, taking its turn at the gate."""
        async with self.gate:
            with binding(f"writing to {routing_key}"):
                await writer.write_event_async(text, routing_key)

    async def list_rooms(self) -> list[str]:
        async with self.gate:
            with binding("listing rooms"):
                streams = self.manager.list_stream(self.scope)
        return sorted({room for s in streams if (room := room_of_stream(str(s))) is not None})

    async def open_writer(self, room: str) -> "RoomWriter":
        room = normalize_room(room)
        return RoomWriter(await self.open_stream_writer(room_stream(room)), room, self)

    # --- bounded reads (blocking calls and futures in turn: run where nothing else reads) ---

    def _temporary_group(self, stream: str, from_tail: bool) -> tuple[str, Any]:
        name = f"tmp-{uuid.uuid4().hex}"
        with binding(f"creating a reader group on {stream}"):
            return name, self.manager.create_reader_group(name, self.scope, stream, from_tail)

    def _delete_group(self, name: str) -> None:
        with binding(f"deleting reader group {name}"):
            self.manager.delete_reader_group(name, self.scope)

    def tail_offset(self, stream: str) -> int:
        """Where the next event of ``stream`` will be written."""
        name, group = self._temporary_group(stream, from_tail=True)
        try:
            with binding(f"reading the tail of {stream}"):
                return single_offset(group.get_streamcut(), stream)
        finally:
            self._delete_group(name)

    async def read_until(
        self, stream: str, stop: int, limit: int
    ) -> tuple[list[ChatMessage], Counter[SkipReason]]:
        """The messages among the last ``limit`` events that end at or before offset
        ``stop``, in order (events that are not valid messages are counted, not shown).

        Events have no index: it reads from the head, but decodes only the last ``limit``
        (decoding every event made a newcomer to a 100,000-message room wait 5 s).
        """
        raw: deque[bytes | int] = deque(maxlen=max(limit, 0))
        """The last events read; an oversized one only as its size (it would be skipped,
        and a thousand 8 MiB events kept whole are gigabytes)."""
        skipped: Counter[SkipReason] = Counter()
        if stop <= 0 or limit <= 0:
            return [], skipped
        name, group = self._temporary_group(stream, from_tail=False)
        with binding(f"reading {stream}"):
            reader = group.create_reader(READER_ID)
        try:
            idle = 0
            reached = False
            while not reached and idle < _IDLE_SLICES_BEFORE_GIVING_UP:
                events = await read_raw_slice(reader, stream)
                idle = 0 if events else idle + 1
                for offset, end, data in events:
                    if offset >= stop:
                        reached = True
                        break
                    raw.append(data if len(data) <= MAX_EVENT_BYTES else len(data))
                    if end >= stop:
                        reached = True
                        break
        finally:
            with binding(f"closing the reader of {stream}"):
                reader.reader_offline()
            self._delete_group(name)
        kept: list[ChatMessage] = []
        for item in raw:
            decoded = decode_event(item) if isinstance(item, bytes) else oversized(item)
            if isinstance(decoded, Skipped):
                skipped[decoded.reason] += 1
            else:
                kept.append(decoded)
        return kept, skipped

    async def history(self, room: str, limit: int = DEFAULT_SCROLLBACK) -> list[ChatMessage]:
        """The room's retained messages (the last ``limit``), in order."""
        async with self.gate:
            stream = self.ensure_room(room)
            messages, _ = await self.read_until(stream, self.tail_offset(stream), limit)
        return messages


class RoomWriter:
    """Writes a room's messages in the order they are sent, each one acknowledged."""

    def __init__(self, writer: Any, room: str, transport: Transport) -> None:
        self._writer = writer
        self.room = room
        self._transport = transport  # its StreamManager runs the writer's runtime
        self._pipelined: Any = None

    def _check(self, message: ChatMessage) -> None:
        if message.room != self.room:
            raise PravechatError(f"message for {message.room} sent to {self.room}")

    async def send(self, message: ChatMessage) -> None:
        """Returns once Pravega has acknowledged the message."""
        self._check(message)
        # One write at a time: concurrent writes are separate tokio tasks that may reorder.
        await self._transport.write(self._writer, message.to_json(), self.room)

    async def send_batch(self, messages: Sequence[ChatMessage]) -> None:
        """Send in order, pipelined; returns once Pravega has acknowledged them all.

        For bots and scripts with many messages at once: one awaited write per message tops
        out near 1,200 msg/s, this near 30,000 (measured, framing included). The binding
        pipelines only its blocking writes, which hold the event loop (and the GIL) until the
        batch is acknowledged: about 30 ms per thousand messages, up to its 120 s timeout when
        Pravega is away. So keep a screen's own typing on send().
        """
        for message in messages:
            self._check(message)
        texts = [message.to_json() for message in messages]
        if self._pipelined is None:
            self._pipelined = await self._transport.open_stream_writer(
                room_stream(self.room), inflight=PIPELINE_WINDOW
            )
        async with self._transport.gate:
            with binding(f"writing {len(texts)} messages to {self.room}"):
                for text in texts:
                    self._pipelined.write_event(text, self.room)
                self._pipelined.flush()

    async def flush(self) -> None:
        async with self._transport.gate:
            with binding(f"flushing the writer of {self.room}"):
                self._writer.flush()
