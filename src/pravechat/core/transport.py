"""The Pravega transport: a room is a stream, and each (user, room) has its own reader group.

Every room stream has exactly one segment and every message is written with the room name as
routing key, so all readers of a room see one and the same order (docs/protocol.md), and a
position in a room is one byte offset.

It stands on pravechat's own binding, :mod:`pravechat._pravega` (native/): its blocking calls
release the GIL and its panics arrive as ordinary exceptions, so the async methods here run
them in threads (:func:`off_loop`) and every reader of the process shares one runtime.
Failures become :class:`TransportError` through :func:`binding`.
"""

import asyncio
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from pravechat import _pravega
from pravechat.core.blocking import in_pool, off_loop
from pravechat.core.errors import PravechatError
from pravechat.core.frames import HEADER_BYTES, MAX_FRAME_BYTES, frames_ending_at
from pravechat.core.identity import Identity
from pravechat.core.names import (
    is_direct,
    normalize_room,
    room_of_stream,
    room_stream,
    validate_scope,
)
from pravechat.core.probe import (
    DEFAULT_CONTROLLER_URI,
    ControllerAddress,
    controller_answers,
    controller_problem,
    join_controllers,
    parse_controllers,
    tcp_reachable,
)
from pravechat.core.protocol import (
    MAX_EVENT_BYTES,
    ChatMessage,
    Skipped,
    SkipReason,
    decode_event,
    dump_event,
    oversized,
)
from pravechat.core.security import Credentials, auth_enabled
from pravechat.core.signing import place

log = logging.getLogger("pravechat.transport")
DEFAULT_SCOPE = "pravechat"
DEFAULT_SCROLLBACK = 1000
READER_ID = "reader"
PIPELINE_WINDOW = 1000
"""Events a batch sends before awaiting their acknowledgements."""
BIRTH_TAG = "born-"
EVENT_HEADER_BYTES = HEADER_BYTES
"""Pravega frames each event with a 4-byte type and a 4-byte length."""
HISTORY_FIRST_WINDOW = 64 * 1024
HISTORY_MAX_WINDOW = MAX_FRAME_BYTES + 4 * 1024 * 1024
"""Bytes of a room read for its history at most: the last messages that fit, one event of
Pravega's largest size included. Honest messages are well under 1 KiB: a thousand fit in
the first window or two."""
BYTES_PER_MESSAGE_GUESS = 400


class Sealer(Protocol):
    """Direct messages' encryption (core.direct.DirectChats)."""

    def seal(self, fields: dict[str, Any]) -> dict[str, Any]: ...

    def open(self, message: ChatMessage, stream: str) -> ChatMessage: ...


class TransportError(PravechatError):
    """Pravega refused or failed a request; the message says which and why."""


class RoomSealedError(TransportError):
    """The room's stream is sealed: it can be read, never written again."""


_SEALED = "StreamSealed {"
"""How the crate names a sealed stream in errors that are not StreamSealedError."""
_RESCALED = "expected a stream of one segment"
"""What the binding says of a stream that is not, or no longer, a single segment."""
_NOT_FAILURES = (KeyboardInterrupt, SystemExit, GeneratorExit, asyncio.CancelledError)


@contextmanager
def binding(what: str) -> Iterator[None]:
    """Turn any failure of the binding into a TransportError naming ``what`` failed."""
    try:
        yield
    except _NOT_FAILURES:
        raise
    except TransportError:
        raise
    except _pravega.StreamSealedError as error:
        raise RoomSealedError(
            f"{what} failed: the room's stream is sealed (anyone with write access to this "
            "Pravega can do it): it can no longer be written"
        ) from error
    except BaseException as error:  # a panic outside the binding's guard would be a BaseException
        detail = " ".join(str(error).split())[:300] or type(error).__name__
        if _SEALED in detail:
            raise RoomSealedError(
                f"{what} failed: the room's stream is sealed (anyone with write access to "
                "this Pravega can do it): it can no longer be read from its end or written"
            ) from error
        if _RESCALED in detail and "found 0" not in detail:
            detail = (
                "the room's stream was rescaled into several segments (anyone with write "
                "access to this Pravega can do it): pravechat reads rooms of one segment only"
            )
        raise TransportError(f"{what} failed: {detail}") from error


@dataclass(frozen=True)
class Event:
    """One event of a room stream, decoded, with where it starts and ends in the segment."""

    offset: int
    end: int
    decoded: ChatMessage | Skipped


@dataclass(frozen=True)
class Window:
    """Events read as bytes from a room (Transport.read_window_blocking)."""

    events: list[Event]
    start: int
    """Where the first of them starts (the window's end when there are none)."""
    unreadable: bool
    """No start in the window chained to its end: a hostile writer's bytes, say."""
    older: bool = False
    """Events before ``start`` can be read: the room's first one is not among these."""

    def messages(self) -> tuple[list[ChatMessage], Counter[SkipReason]]:
        """The valid messages, each id once, and the rest counted by reason."""
        skipped: Counter[SkipReason] = Counter()
        if self.unreadable:
            skipped[SkipReason.INVALID] += 1
        kept: list[ChatMessage] = []
        ids: set[str] = set()
        for event in self.events:
            if isinstance(event.decoded, Skipped):
                skipped[event.decoded.reason] += 1
            elif event.decoded.id not in ids:
                ids.add(event.decoded.id)
                kept.append(event.decoded)
        return kept, skipped


def decode_events(raw: list[tuple[int, bytes]], where: str) -> Iterator[Event]:
    """Each event read ``where`` (``scope/stream``) as it is reached: a caller can yield
    between them."""
    for offset, data in raw:
        yield Event(offset, offset + EVENT_HEADER_BYTES + len(data), decode_event(data, where))


class _Link:
    """The client and the controller it talks to, shared by every Transport of a connection
    (one per scope): when that controller dies, :meth:`Transport.find_controller` moves them
    all to another."""

    def __init__(self, client: _pravega.Client, current: str, every: list[ControllerAddress]):
        self.client = client
        self.current = current
        self.every = every
        self.generation = 0
        """Counts the moves: writers opened on an earlier client are on a dead controller."""
        self.lock = threading.Lock()


def _new_client(address: ControllerAddress) -> _pravega.Client:
    with binding(f"connecting to {address.uri}"):
        return _pravega.Client(
            address.uri, auth_enabled=auth_enabled(), tls_enabled=address.scheme == "tls"
        )


class Transport:
    """A connection to a Pravega controller (or to one of a cluster's) and a scope."""

    def __init__(self, link: _Link, scope: str) -> None:
        """Made by :meth:`connect`, or :meth:`with_scope` for another scope."""
        self._link = link
        self.controllers = join_controllers(self._link.every)
        """Every controller given (the one in use may change)."""
        self.identity = self._link.every[0].uri
        """What names this Pravega for what is kept per server (trusted keys): the first
        controller given, so that naming a cluster's others too keeps what was kept."""
        self.scope = scope
        self._streams: set[str] = set()
        self.signer: Identity | None = None
        """Whose keys sign what this transport's writers send (docs/protocol.md, Signatures)."""
        self.sealer: Sealer | None = None
        """Encrypts what is written to direct conversations and decrypts what is read."""

    @property
    def client(self) -> _pravega.Client:
        return self._link.client

    @property
    def uri(self) -> str:
        """The controller in use."""
        return self._link.current

    @property
    def generation(self) -> int:
        """Changes when the transport moves to another controller (find_controller)."""
        return self._link.generation

    def with_scope(self, scope: str) -> "Transport":
        """The same connection, in another scope."""
        return Transport(self._link, validate_scope(scope))

    @classmethod
    def connect(
        cls,
        controller: str = DEFAULT_CONTROLLER_URI,
        scope: str = DEFAULT_SCOPE,
        probe: bool = True,
        credentials: Credentials | None = None,
    ) -> "Transport":
        """Connect, failing within about 2 s when no controller answers; creates the scope.

        ``controller`` may name several (``tcp://host1:port,host2:port``): the first that
        answers is used, and another when it dies. ``probe=False`` skips checking that the
        controller serves requests, for a caller that just did. ``credentials`` (a CA
        certificate, an account) are handed to the client first; without them, those
        already handed over, if any, stay.
        """
        addresses = parse_controllers(controller)
        if credentials is not None:
            credentials.check(tls=addresses[0].scheme == "tls")
            credentials.apply()
        scope = validate_scope(scope)
        hint = ": start one with `pravechat server start`, or pass --controller"
        reachable = [a for a in addresses if tcp_reachable(a.host, a.port, timeout=1.0)]
        if not reachable:
            where = " or ".join(a.uri for a in addresses)
            raise TransportError(f"no Pravega server answers at {where}{hint}")
        address = reachable[0]
        if probe:
            first = ""
            for candidate in reachable:
                if (problem := controller_problem(candidate.uri, timeout=3.0)) is None:
                    address = candidate
                    break
                first = first or problem
            else:
                problem = first
                if len(addresses) > 1:  # a cluster: its controllers are there, not serving
                    raise TransportError(
                        f"{problem}; no controller of {controller} serves requests (a "
                        "cluster missing a piece? `pravechat server status` tells)"
                    )
                unsure = "does not answer as a Pravega controller" in problem
                raise TransportError(problem + (hint if unsure else ""))
        client = _new_client(address)
        with binding(f"connecting to {address.uri}"):
            client.create_scope(scope)
        return cls(_Link(client, address.uri, addresses), scope)

    def find_controller(self, timeout: float = 5.0) -> bool:
        """Whether a controller serves: the one in use, else another of those given, to
        which the connection then moves (readers and writers opened from now on use it;
        those opened before are on the dead one). Blocking."""
        link = self._link
        generation = link.generation
        if controller_answers(link.current, timeout):  # sessions ask at once: unlocked
            return True
        if len(link.every) == 1:
            return False
        with link.lock:
            if link.generation != generation:
                return True  # another session just moved it
            for address in link.every:
                if address.uri == link.current or not controller_answers(address.uri, timeout):
                    continue
                try:
                    client = _new_client(address)
                except TransportError as error:  # died since, or refuses us: the next
                    log.warning("controller %s: %s", address.uri, error)
                    continue
                link.client, link.current = client, address.uri
                link.generation += 1
                return True
            return False

    # --- rooms ---------------------------------------------------------------------------

    def place(self, stream: str) -> str:
        """Where events of ``stream`` are, as their signatures cover it."""
        return place(self.scope, stream)

    def forget(self, stream: str) -> None:
        """Create ``stream`` again at its next use: a restarted in-memory server lost it."""
        self._streams.discard(stream)

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
        tags = [f"{BIRTH_TAG}{uuid.uuid4().hex}"]
        try:
            with binding(f"creating stream {stream}"):
                self.client.create_stream(self.scope, stream, 1, retention_ms, tags)
        except TransportError as error:
            if "Scope Not Found" not in str(error):
                raise
            # A restarted in-memory server lost the scope too: make it again, once.
            with binding(f"creating scope {self.scope}"):
                self.client.create_scope(self.scope)
            with binding(f"creating stream {stream}"):
                self.client.create_stream(self.scope, stream, 1, retention_ms, tags)
        self._streams.add(stream)

    def birth_mark(self, stream: str) -> str | None:
        """The tag that tells this stream from an earlier one of the same name: a restarted
        in-memory server has lost the room, and whoever comes back first creates it anew.
        None for a stream made before pravechat tagged them. Blocking."""
        with binding(f"reading the tags of {stream}"):
            tags = self.client.stream_tags(self.scope, stream)
        return next((tag for tag in tags if tag.startswith(BIRTH_TAG)), None)

    def bounds(self, stream: str) -> tuple[int, int]:
        """Where ``stream``'s oldest retained event starts, and where the next will be
        written. Raises RoomSealedError for a sealed stream. Blocking."""
        with binding(f"reading the bounds of {stream}"):
            return self.client.bounds(self.scope, stream)

    def stream_exists(self, stream: str) -> bool:
        """Blocking."""
        with binding(f"looking for {stream}"):
            return self.client.stream_exists(self.scope, stream)

    def is_sealed(self, stream: str) -> bool:
        """Whether ``stream`` is sealed (False when that cannot be told). Blocking."""
        try:
            self.bounds(stream)
        except RoomSealedError:
            return True
        except TransportError:
            return False
        return False

    def tail_offset(self, stream: str) -> int:
        """Where the next event of ``stream`` will be written. Blocking."""
        return self.bounds(stream)[1]

    async def open_stream_writer(
        self, stream: str, retention_ms: int | None = None
    ) -> _pravega.Writer:
        await off_loop(self.ensure_stream, stream, retention_ms)
        with binding(f"opening a writer on {stream}"):
            return self.client.writer(self.scope, stream)

    async def write(self, writer: _pravega.Writer, text: str, routing_key: str) -> None:
        """One acknowledged write."""
        with binding(f"writing to {routing_key}"):
            await off_loop(writer.write, text.encode(), routing_key)

    async def list_rooms(self) -> list[str]:
        with binding("listing rooms"):
            streams = await off_loop(self.client.list_streams, self.scope)
        return sorted({room for s in streams if (room := room_of_stream(s)) is not None})

    async def open_writer(self, room: str) -> "RoomWriter":
        room = normalize_room(room)
        stream = room_stream(room)
        return RoomWriter(await self.open_stream_writer(stream), room, self.event_encoder(stream))

    def event_encoder(self, stream: str) -> "Callable[[dict[str, Any]], bytes]":
        """How events written to ``stream`` become bytes: signed when the transport has a
        signer (whose name they must carry)."""
        signer = self.signer

        sealer, direct, where = self.sealer, is_direct(stream), self.place(stream)

        def encode(fields: dict[str, Any]) -> bytes:
            if direct:  # never in clear: without a sealer, nothing is written
                if sealer is None:
                    raise TransportError(f"{stream} is private: nothing can encrypt to it here")
                fields = sealer.seal(fields)
            if signer is not None and signer.user in (fields.get("sender"), fields.get("user")):
                fields = signer.sign(fields, where)
            return dump_event(fields).encode()

        return encode

    def decode_events(self, raw: list[tuple[int, bytes]], stream: str) -> Iterator[Event]:
        """Each event of ``stream`` as it is reached, direct messages decrypted."""
        for event in decode_events(raw, self.place(stream)):
            opened = self._open(event.decoded, stream)
            yield event if opened is event.decoded else Event(event.offset, event.end, opened)

    def _open(self, decoded: ChatMessage | Skipped, stream: str) -> ChatMessage | Skipped:
        if isinstance(decoded, Skipped) or self.sealer is None or not is_direct(stream):
            return decoded
        return self.sealer.open(decoded, stream)

    # --- history: the end of a room, read as bytes ----------------------------------------

    def read_window_blocking(self, stream: str, stop: int, limit: int) -> "Window":
        """The last ``limit`` events that end at or before offset ``stop`` (an event
        boundary), decoded, oldest first. Blocking.

        It reads a window of bytes ending at ``stop``, as large as ``limit`` events need
        (up to HISTORY_MAX_WINDOW): the cost is what is shown, not the room's age. An
        event larger than MAX_EVENT_BYTES is kept only as its size.
        """
        if stop <= 0 or limit <= 0:
            return Window([], stop, unreadable=False, older=stop > 0)
        where = self.place(stream)
        head, _ = self.bounds(stream)
        if stop <= head:  # retention removed everything up to here
            return Window([], stop, unreadable=False)
        size = min(
            HISTORY_MAX_WINDOW, max(HISTORY_FIRST_WINDOW, (limit + 1) * BYTES_PER_MESSAGE_GUESS)
        )
        while True:
            start = max(head, stop - size)
            with binding(f"reading {stream}"):
                data = self.client.read_bytes(self.scope, stream, start, stop)
            frames = frames_ending_at(data, start, start == head, MAX_EVENT_BYTES)
            del data
            enough = frames is not None and len(frames) > limit
            if enough or start == head or size >= HISTORY_MAX_WINDOW:
                break
            size = min(HISTORY_MAX_WINDOW, size * 4)
        if frames is None:  # nothing in the window chains: unreadable
            return Window([], stop, unreadable=True)
        if start != head:
            frames = frames[1:]  # its start was found by chaining: it could be a false one
        events = [
            Event(
                frame.offset,
                frame.end,
                self._open(decode_event(frame.data, where), stream)
                if frame.data is not None
                else oversized(frame.size),
            )
            for frame in frames[-limit:]
        ]
        start = events[0].offset if events else stop
        # No event found before ``stop`` (only a giant one there): nothing older can be reached.
        return Window(events, start, unreadable=False, older=bool(events) and start > head)

    def read_events_since(self, stream: str, since: int, largest: int) -> tuple[list[bytes], int]:
        """A small stream's events (keys, an inbox) from offset ``since`` (an event boundary
        read before, or 0), oldest first, with where they end (the next ``since``). From 0,
        it is the stream's last 12 MiB, whose first event is dropped unless it starts at the
        head (its start was found by chaining: it could be a false one). Events over
        ``largest`` bytes are left out. Blocking."""
        try:
            self.ensure_stream(stream)
            head, tail = self.bounds(stream)
            if tail < since:  # a restarted in-memory server: the stream is a new one
                since = 0
            if tail == since:
                return [], tail
            resume = since > head
            start = since if resume else max(head, tail - HISTORY_MAX_WINDOW)
            with binding(f"reading {stream}"):
                data = self.client.read_bytes(self.scope, stream, start, tail)
        except TransportError:
            self.forget(stream)  # a restarted in-memory server lost it: create it next time
            raise
        at_event = resume or start == head
        frames = frames_ending_at(data, start, at_event, largest) or []
        events = [frame.data for frame in frames[0 if at_event else 1 :] if frame.data]
        return events, tail

    def read_until_blocking(
        self, stream: str, stop: int, limit: int
    ) -> tuple[list[ChatMessage], Counter[SkipReason]]:
        """The messages among :meth:`read_window_blocking`'s events, in order, each id once
        (a retried write can put a message in the stream twice); events that are not valid
        messages are counted, not shown. Blocking."""
        return self.read_window_blocking(stream, stop, limit).messages()

    async def history(self, room: str, limit: int = DEFAULT_SCROLLBACK) -> list[ChatMessage]:
        """The room's retained messages (the last ``limit``), in order."""

        def read() -> list[ChatMessage]:
            stream = self.ensure_room(room)
            return self.read_until_blocking(stream, self.tail_offset(stream), limit)[0]

        return await off_loop(read)


def _retrieved(future: "asyncio.Future[None]") -> None:
    """Mark a write's failure as seen: whoever began it may be gone."""
    if not future.cancelled():
        future.exception()


class RoomWriter:
    """Writes a room's messages in the order they are sent, each one acknowledged."""

    def __init__(
        self,
        writer: _pravega.Writer,
        room: str,
        encode: Callable[[dict[str, Any]], bytes] = lambda fields: dump_event(fields).encode(),
        routing_key: str | None = None,
    ) -> None:
        """``routing_key``: the room's name unless given (a StreamCli conversation routes by
        sender)."""
        self._writer = writer
        self.room = room
        self._encode = encode
        self._key = routing_key or room

    def _check(self, message: ChatMessage) -> None:
        if message.room != self.room:
            raise PravechatError(f"message for {message.room} sent to {self.room}")

    async def send(self, message: ChatMessage) -> None:
        """Returns once Pravega has acknowledged the message."""
        await self.sent(self.start(message))

    def start(self, message: ChatMessage) -> "asyncio.Future[None]":
        """Begin writing now, before the caller's next ``await`` gives the loop to anything
        else (a screen's paint, 5 ms); :meth:`sent` awaits the acknowledgement. One write at a
        time: concurrent writes could be reordered."""
        self._check(message)
        write = in_pool(self._writer.write, self._encode(message.wire_fields()), self._key)
        write.add_done_callback(_retrieved)  # a session closed meanwhile never awaits it
        return write

    async def sent(self, write: "asyncio.Future[None]") -> None:
        """Returns once Pravega has acknowledged the write :meth:`start` began."""
        with binding(f"writing to {self.room}"):
            await write

    async def send_batch(self, messages: Sequence[ChatMessage]) -> None:
        """Send in order, pipelined (PIPELINE_WINDOW events before awaiting their
        acknowledgements); returns once Pravega has acknowledged them all. For bots and
        scripts with many messages at once."""
        for message in messages:
            self._check(message)
        events = [self._encode(message.wire_fields()) for message in messages]
        with binding(f"writing {len(events)} messages to {self.room}"):
            for first in range(0, len(events), PIPELINE_WINDOW):
                chunk = events[first : first + PIPELINE_WINDOW]
                await off_loop(self._writer.write_all, chunk, self._key)

    async def flush(self) -> None:
        """Every write returns acknowledged: nothing is left to flush."""
