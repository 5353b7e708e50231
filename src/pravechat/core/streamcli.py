"""Chatting with users of StreamCli, the Python chat pravechat grew from.

StreamCli's room is the stream ``stream`` of the scope ``scope``, of two segments, and its
events are ``{"sender": ..., "message": ...}`` and nothing else (docs/protocol.md, *StreamCli
conversations*). Here it is one more conversation, ``streamcli``, behind the same
:class:`~pravechat.core.session.ChatSession` as a room: :class:`StreamCliSession` is a
:class:`~pravechat.core.session.RoomSession` whose reader, writer and history speak
StreamCli. Its events carry no id and no time, and two segments give no order across senders:
what arrives is shown in the order it arrives, and what was shown is kept in a local file,
which is the conversation's history (and what /search reads).
"""

import asyncio
import contextlib
import hashlib
import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Self

from pravechat import _pravega
from pravechat.core.blocking import off_loop
from pravechat.core.commands import jokes
from pravechat.core.errors import PravechatError
from pravechat.core.names import STREAMCLI_ROOM, USER_PATTERN, validate_user
from pravechat.core.paths import private_dir, session_files
from pravechat.core.protocol import (
    MAX_EVENT_BYTES,
    MAX_TEXT_LENGTH,
    ChatMessage,
    Kind,
    Skipped,
    SkipReason,
    decode_event,
    oversized,
)
from pravechat.core.room_reader import (
    DECODED_PER_TURN,
    Arrived,
    Dropped,
    Opened,
    ReaderArgs,
    Ready,
    RoomReader,
)
from pravechat.core.sanitize import sanitize_text
from pravechat.core.search import AROUND, MAX_RESULTS, Found, Progress, Searcher
from pravechat.core.server_watch import server_lost
from pravechat.core.session import Delivery, RoomSession, lock_room
from pravechat.core.transport import DEFAULT_SCROLLBACK, RoomWriter, Transport, binding

SCOPE = "scope"
STREAM = "stream"
SEGMENTS = 2
"""StreamCli's names and layout, fixed in its code."""
GROUP_PREFIX = f"{STREAMCLI_ROOM}."
"""pravechat's group is ``streamcli.<user>``: a StreamCli of the same name reads through
``<user>``, and two programs in one group would each get only some of the segments (no room
group can take the name either: the room name is reserved)."""
LOG_KEEP = 10_000
"""Lines of the local history kept."""
GREET, JOKE = "greet", "joke"
WRITE_GAP = 0.2
"""Seconds between two of the user's events: StreamCli reads a slice as one JSON document,
and a slice of two events stops its reader, so lines go out one by one (a full outbox
after a reconnection too)."""
NOT_HERE = (
    "StreamCli conversations carry plain lines only: no /me, replies, reactions, edits or deletions"
)
CUT = "…"


def streamcli_transport(transport: Transport, scope: str = SCOPE) -> Transport:
    """The same connection, in StreamCli's scope (nothing here is signed or sealed)."""
    return transport.with_scope(scope)


def ensure_stream(transport: Transport) -> None:
    """Create the scope and StreamCli's stream when missing, as StreamCli does. Blocking."""
    with binding(f"creating StreamCli's stream {transport.scope}/{STREAM}"):
        transport.client.create_scope(transport.scope)
        transport.client.create_stream(transport.scope, STREAM, SEGMENTS)


def encode(sender: str, text: str) -> bytes:
    """One event as StreamCli writes it."""
    return json.dumps({"sender": sender, "message": text}, ensure_ascii=False).encode()


def shown_text(sender: str, message: str, rng: random.Random) -> str:
    """What a receiver shows for ``message``: the keywords, in any case, become what
    StreamCli shows."""
    keyword = message.lower()
    if keyword == GREET:
        return f"{sender} says hi!"
    if keyword == JOKE:
        return rng.choice(jokes())
    return message


def event_id(segment: str, offset: int, data: bytes) -> str:
    """An id for an event that has none: the same event read again gets the same one."""
    where = f"{segment}\0{offset}\0".encode()
    return "sc-" + hashlib.sha256(where + data).hexdigest()[:32]


def decode(
    segment: str, offset: int, data: bytes, user: str, rng: random.Random
) -> ChatMessage | Skipped | None:
    """One StreamCli event as a line of the ``streamcli`` conversation; None for the
    user's own (StreamCli ignores those); never raises."""
    if len(data) > MAX_EVENT_BYTES:
        return oversized(len(data))
    try:
        raw: Any = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return Skipped(reason=SkipReason.NOT_UTF8)
    except (ValueError, RecursionError):
        return Skipped(reason=SkipReason.NOT_JSON)
    if not isinstance(raw, dict):
        return Skipped(reason=SkipReason.NOT_AN_OBJECT)
    sender, message = raw.get("sender"), raw.get("message")
    if not isinstance(sender, str) or not isinstance(message, str):
        return Skipped(reason=SkipReason.INVALID, detail="sender and message must be text")
    if not USER_PATTERN.fullmatch(sender):
        return Skipped(reason=SkipReason.INVALID, detail="not a name pravechat can show")
    if sender == user:
        return None
    return line(sender, shown_text(sender, message, rng), event_id(segment, offset, data))


def line(sender: str, text: str, message_id: str | None = None) -> ChatMessage | Skipped:
    """A line to show: sanitized, cut to what a message may hold."""
    text = sanitize_text(text)
    if len(text) > MAX_TEXT_LENGTH:
        text = text[: MAX_TEXT_LENGTH - len(CUT)] + CUT
    if not text.strip():
        return Skipped(reason=SkipReason.INVALID, detail="empty message")
    fields: dict[str, Any] = {"room": STREAMCLI_ROOM, "sender": sender, "text": text}
    if message_id is not None:
        fields["id"] = message_id
    return ChatMessage(**fields)


class StreamCliReader(RoomReader):
    """Reads StreamCli's stream through the user's own group, from its head at first.

    Nothing is history here (the session's local file is): everything read is live; what
    was in the stream when the user came (before each segment's end then) is unread.
    """

    async def _serve(self) -> None:
        transport, user = self.transport, validate_user(self.args.user)
        name = f"{GROUP_PREFIX}{user}"

        def open_group() -> Any:
            ensure_stream(transport)
            with binding(f"opening {user}'s reader group on StreamCli's stream"):
                group = transport.client.reader_group(transport.scope, name, STREAM, "head")
                for left_behind in group.online_readers():  # a crash left it online
                    group.reader_offline(left_behind)
            return group

        lost = server_lost(transport.uri)
        group = await self._unless_lost(lost, open_group)
        self._group = group
        # What was in the stream when the user came is what waited for them: unread.
        with binding("reading the end of StreamCli's stream"):
            tails = await self._unless_lost(lost, transport.client.tails, transport.scope, STREAM)
        if self.args.resume:  # after a lost connection, as in a room: nothing is unread
            tails = {}
        await self._put(Opened(None, name))
        await self._put(Ready(Counter()))
        with binding(f"creating {user}'s reader on StreamCli's stream"):
            self._reader = await self._unless_lost(lost, group.reader, self._reader_id)
        rng = random.Random()
        held = False
        while not self._stopping:
            reader = self._reader
            assert reader is not None
            with binding("reading StreamCli's stream"):
                segment, raw = await self._unless_lost(lost, reader.acquire_tagged, held)
            held = True
            if self._stopping:  # nobody will show these: give them back unread
                with binding("giving back a slice of StreamCli's stream"):
                    await self._release(lost, give_back=True)
                held = False
                break
            waited_before = tails.get(segment, 0)
            for n, (offset, data) in enumerate(raw, 1):
                if n % DECODED_PER_TURN == 0:
                    await asyncio.sleep(0)  # a large slice must not hold the keys back
                decoded = decode(segment, offset, data, user, rng)
                if isinstance(decoded, Skipped):
                    await self._put(Dropped(decoded.reason))
                elif decoded is not None:
                    await self._put(Arrived(decoded, offset < waited_before))
        if held and self._reader is not None:
            with binding("releasing a slice of StreamCli's stream"):
                await self._release(lost)

    unshown: list[ChatMessage]

    async def _drain_until_done(self, unshown: list[int]) -> None:
        """Stopping: what was read and not yet taken is kept in :attr:`unshown` (the group
        counts it read, and no single offset could give it back)."""
        self.unshown = []
        assert self._task is not None
        while True:
            while not self.items.empty():
                item = self.items.get_nowait()
                if isinstance(item, Arrived):
                    self.unshown.append(item.message)
            if self._task.done():
                return
            await asyncio.sleep(0.01)


class ShownLog:
    """The lines shown in the StreamCli conversation, kept on disk: its history."""

    def __init__(self, path: Path, keep: int = LOG_KEEP) -> None:
        """Blocking (it reads and checks the file)."""
        self._path, self._keep = path, keep
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
        lines = data.splitlines()
        decoded = (decode_event(line) for line in lines[-keep:] if line.strip())
        self.messages = [message for message in decoded if isinstance(message, ChatMessage)]
        self.ids = {message.id for message in self.messages}
        if len(lines) > keep:
            self._rewrite()
        self._handle = path.open("a", encoding="utf-8")
        if data and not data.endswith(b"\n"):  # a torn last line must not swallow the next
            self._handle.write("\n")

    def add(self, messages: Iterable[ChatMessage]) -> None:
        added = [message for message in messages if message.id not in self.ids]
        if not added:
            return
        self.messages.extend(added)
        self.ids.update(message.id for message in added)
        self._handle.write("".join(f"{message.to_json()}\n" for message in added))
        self._handle.flush()  # into the page cache: survives a SIGKILL of this process
        if len(self.messages) > 2 * self._keep:  # a flood: the file stays bounded
            del self.messages[: len(self.messages) - self._keep]
            self.ids = {message.id for message in self.messages}
            self._handle.close()
            self._rewrite()
            self._handle = self._path.open("a", encoding="utf-8")

    def _rewrite(self) -> None:
        """The file holds the kept lines only, replaced whole (a crash keeps one or the
        other)."""
        temporary = self._path.with_name(self._path.name + ".new")
        temporary.write_text("".join(f"{message.to_json()}\n" for message in self.messages))
        temporary.replace(self._path)

    def close(self) -> None:
        self._handle.close()


class LoggedSearch:
    """/search in a StreamCli conversation: the lines kept locally (events carry no time or
    id, and the stream has no order to read back in)."""

    def __init__(self, messages: list[ChatMessage], term: str) -> None:
        self._messages = messages
        self._term = term.casefold()
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def search_blocking(self, on_progress: Callable[[Progress], None] | None = None) -> list[Found]:
        found: list[Found] = []
        total = len(self._messages)
        for index, message in enumerate(self._messages):
            if self.cancelled:
                break
            if self._term in message.text.casefold():
                found.append(Found(message, index, index + 1))
        found = found[-MAX_RESULTS:]
        if on_progress is not None:
            on_progress(Progress(total, total, len(found), total))
        return found

    def around_blocking(
        self, hit: Found, count: int = AROUND
    ) -> tuple[list[ChatMessage], list[ChatMessage]]:
        at = hit.offset
        return self._messages[max(0, at - count) : at + 1], self._messages[at + 1 : at + 1 + count]


class StreamCliSession(RoomSession):
    """The ``streamcli`` conversation for one user: join with :meth:`open`."""

    reader_type = StreamCliReader
    _log: ShownLog
    _older_end = 0
    """Where, in the local history, the oldest line loaded is."""

    @classmethod
    async def open(
        cls,
        transport: Transport,
        user: str,
        room: str = STREAMCLI_ROOM,
        scrollback: int = DEFAULT_SCROLLBACK,
    ) -> Self:
        """``transport``: one in StreamCli's scope (:func:`streamcli_transport`)."""
        user = validate_user(user)
        files = session_files(transport.scope, STREAMCLI_ROOM, user)
        private_dir(files.parent)
        lock = lock_room(Path(f"{files}.lock"), user, STREAMCLI_ROOM)
        args = ReaderArgs(user, STREAMCLI_ROOM, scrollback)
        shown: ShownLog | None = None
        try:
            shown = await off_loop(ShownLog, Path(f"{files}.log"))
            writer = await open_writer(transport, user)
            reader, _ = await cls._start_reader(transport, args)
            _, ready = await cls._history_or_stop(reader)
        except BaseException:
            if shown is not None:
                shown.close()
            lock.close()
            raise
        history = shown.messages[len(shown.messages) - scrollback :] if scrollback else []
        session = cls(transport, args, writer, reader, history, ready.skipped, files, lock, None)
        session._log = shown
        for message in shown.messages:  # a slice read again after a crash is dropped
            session._recent.first_time(message.id)
        session._older_end = len(shown.messages) - len(history)
        session.has_older = session._older_end > 0
        return session

    # --- what differs from a room -------------------------------------------------------

    def submit(
        self, text: str, kind: Kind = Kind.CHAT, *, reply_to: str | None = None,
        target: str | None = None, undo: bool = False,
    ) -> ChatMessage:  # fmt: skip
        if kind is not Kind.CHAT or reply_to is not None or target is not None:
            raise PravechatError(NOT_HERE)
        return super().submit(text)

    async def send(self, text: str, kind: Kind = Kind.CHAT) -> ChatMessage:
        if kind is not Kind.CHAT:
            raise PravechatError(NOT_HERE)
        return await super().send(text)

    def _acknowledged(self, message: ChatMessage) -> None:
        """StreamCli readers skip their own lines: the user's is shown once written, as
        the others see it (a keyword as what it stands for)."""
        shown = line(message.sender, shown_text(message.sender, message.text, random.Random()),
                     message.id)  # fmt: skip
        if isinstance(shown, ChatMessage):
            self._log.add([shown])  # written: kept, whatever happens to the screen
            with contextlib.suppress(asyncio.QueueFull):  # far behind: the history has it
                self._queue.put_nowait(Delivery(shown, unread=False))

    def _shown(self, batch: list[Delivery]) -> None:
        super()._shown(batch)
        self._log.add(delivery.message for delivery in batch)

    def _first_unshown(self) -> int | None:
        """Closing: what was read but not shown goes to the local history (the group has
        counted it read; there is no single offset to give it back from)."""
        self._log.add(delivery.message for delivery in self._take_unshown())
        return None

    async def _open_writer(self) -> RoomWriter:
        return await open_writer(self._transport, self.user)

    async def _check_room(self) -> None:
        """A StreamCli stream is not checked in the background (a write that fails asks
        :meth:`_sealed`); deletion under a running server is not handled (README)."""

    async def _sealed(self) -> bool:
        """Whether someone sealed StreamCli's stream (its current segments are none)."""
        transport = self._transport
        asking = off_loop(transport.client.tails, transport.scope, STREAM)
        try:
            return not await asyncio.wait_for(asking, 5.0)
        except _pravega.StreamSealedError:
            return True
        except Exception:  # the server is away, or slow: not sealed as far as is known
            return False

    def searcher(self, term: str) -> Searcher:
        return LoggedSearch(list(self._log.messages), term)

    async def load_older(self, limit: int = DEFAULT_SCROLLBACK) -> list[ChatMessage]:
        """Earlier lines of the local history."""
        end = self._older_end
        start = max(0, end - limit)
        self._older_end, self.has_older = start, start > 0
        return self._log.messages[start:end]

    async def close(self) -> None:
        if self._closed:
            return
        try:
            await super().close()
            self._log.add(getattr(self._reader, "unshown", []))
        finally:
            self._log.close()


async def open_writer(transport: Transport, user: str) -> RoomWriter:
    """A writer of the user's StreamCli events, routed by the user's name: one segment, in
    the order sent."""
    await off_loop(ensure_stream, transport)
    with binding("opening a writer on StreamCli's stream"):
        writer = transport.client.writer(transport.scope, STREAM)

    def encoded(fields: dict[str, Any]) -> bytes:
        return encode(fields["sender"], fields["text"])

    return PacedWriter(writer, STREAMCLI_ROOM, encoded, routing_key=user)


class PacedWriter(RoomWriter):
    """Writes at most one event every WRITE_GAP seconds (see there), in order."""

    _last = 0.0
    """When the last write was acknowledged (monotonic)."""

    def start(self, message: ChatMessage) -> "asyncio.Future[None]":
        self._check(message)
        paced = asyncio.ensure_future(self._paced(message))
        paced.add_done_callback(_retrieved)  # a session closed meanwhile never awaits it
        return paced

    async def _paced(self, message: ChatMessage) -> None:
        wait = self._last + WRITE_GAP - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            await super().start(message)
        finally:
            self._last = time.monotonic()


def _retrieved(future: "asyncio.Future[None]") -> None:
    if not future.cancelled():
        future.exception()
