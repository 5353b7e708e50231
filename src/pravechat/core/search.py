"""Search a whole room (or direct conversation) as Pravega holds it, from its first event.

The stream is read as bytes, forward from its head, in chunks: no reader group moves and
nothing is written, so searching changes no one's position. Each event is parsed without
checking its signature first (a fast look at its text); only the matches, and the edits and
deletions that may change them, are decoded and checked in full. A message matches when the
text shown now (its author's newest edit, if any) contains the term, ignoring case; deleted
messages do not.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pravechat.core.annotations import Annotations
from pravechat.core.frames import HEADER, HEADER_BYTES, MAX_FRAME_BYTES
from pravechat.core.names import is_direct
from pravechat.core.protocol import ANNOTATIONS, MAX_EVENT_BYTES, ChatMessage, Kind
from pravechat.core.sanitize import sanitize_text
from pravechat.core.transport import Transport, binding

CHUNK_BYTES = 4 * 1024 * 1024
"""Bytes read from Pravega at a time."""
MAX_RESULTS = 1000
"""Matches kept, the newest: a search for "a" in a million messages lists what can be read."""
AROUND = 15
"""Messages shown before and after a result when it is opened."""
_SHOWN = (Kind.CHAT, Kind.ACTION)


@dataclass(frozen=True)
class Found:
    """A message that matched, and where its event is in the stream."""

    message: ChatMessage
    offset: int
    end: int


@dataclass(frozen=True)
class Progress:
    done: int
    """Bytes read so far."""
    total: int
    """Bytes to read (the stream from its head to its tail when the search began)."""
    found: int
    events: int


class Searcher(Protocol):
    """One search of a conversation (a session makes it: ``ChatSession.searcher``)."""

    cancelled: bool

    def search_blocking(
        self, on_progress: Callable[[Progress], None] | None = None
    ) -> list[Found]: ...

    def around_blocking(
        self, hit: Found, count: int = AROUND
    ) -> tuple[list[ChatMessage], list[ChatMessage]]: ...

    def cancel(self) -> None: ...


def _frames(
    read: Callable[[int, int], bytes], start: int, stop: int, chunk: int = CHUNK_BYTES
) -> Iterator[tuple[int, bytes]]:
    """(offset, data) of each event from ``start`` (an event boundary) to ``stop``, in
    order, read ``chunk`` bytes at a time; stops at bytes that are not an event."""
    at, carry = start, b""
    while at < stop:
        end = min(stop, at + chunk)
        data = carry + read(at, end)
        base = at - len(carry)
        position = 0
        while position + HEADER_BYTES <= len(data):
            event_type, length = HEADER.unpack_from(data, position)
            if event_type != 0 or not 0 < length <= MAX_FRAME_BYTES:
                return  # not a frame: what follows cannot be found from here
            if position + HEADER_BYTES + length > len(data):
                break
            body = position + HEADER_BYTES
            yield base + position, data[body : body + length]
            position = body + length
        carry, at = data[position:], end
    # bytes left in ``carry`` at the stop belong to an event written after the search began


class RoomSearch:
    """One search of one stream; ``search_blocking`` runs it (blocking: run it off the
    loop), ``cancel`` stops it between chunks."""

    def __init__(
        self,
        transport: Transport,
        stream: str,
        term: str,
        user: str,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = MAX_RESULTS,
    ) -> None:
        """Messages sent in [``since``, ``until``) when given; the newest ``limit``."""
        self._transport = transport
        self._stream = stream
        self._term = term.casefold()
        self._user = user
        self._since, self._until, self._limit = since, until, limit
        self.cancelled = False
        self.notes = Annotations(user)
        """The edits and deletions read (once searched): how the results look now."""

    def cancel(self) -> None:
        self.cancelled = True

    def _read(self, start: int, end: int) -> bytes:
        if self.cancelled:
            return b""  # not a frame: the scan stops
        transport = self._transport
        with binding(f"searching {self._stream}"):
            return bytes(transport.client.read_bytes(transport.scope, self._stream, start, end))

    def search_blocking(self, on_progress: Callable[[Progress], None] | None = None) -> list[Found]:
        """The matches, oldest first (the newest MAX_RESULTS); ``on_progress`` is called after
        each chunk."""
        transport, stream = self._transport, self._stream
        head, tail = transport.bounds(stream)
        private = is_direct(stream)
        notes = self.notes
        found: list[Found] = []
        edited_to_match: set[str] = set()
        """Messages an edit gave the term: found on a second pass if they did not match."""
        events, last_report = 0, head
        for offset, data in _frames(self._read, head, tail):
            events += 1
            end = offset + HEADER_BYTES + len(data)
            if len(data) <= MAX_EVENT_BYTES:
                message = self._candidate(data, private, stream)
                if message is not None:
                    if message.kind in ANNOTATIONS:
                        notes.add(message, verified=True)  # only edits and deletions matter
                        if message.kind is Kind.EDIT and self._term in message.text.casefold():
                            edited_to_match.add(message.target or "")
                    else:
                        found.append(Found(message, offset, end))
                        del found[: -MAX_RESULTS * 2]  # edits may drop some: keep a margin
            if on_progress is not None and end - last_report >= CHUNK_BYTES:
                last_report = end
                on_progress(Progress(end - head, tail - head, len(found), events))
        edited_to_match -= {hit.message.id for hit in found}
        if edited_to_match and not self.cancelled:
            found = sorted(found + self._by_id(edited_to_match, head, tail), key=lambda h: h.offset)
        kept = [hit for hit in found if self._still_matches(hit.message, notes)]
        kept = kept[-self._limit :]
        if on_progress is not None:
            on_progress(Progress(tail - head, tail - head, len(kept), events))
        return kept

    def _by_id(self, ids: set[str], head: int, tail: int) -> list[Found]:
        """The messages with these ids (a second pass, only when edits made some match)."""
        marks = {f'"id":"{id_}"'.encode(): id_ for id_ in ids}
        hits: list[Found] = []
        for offset, data in _frames(self._read, head, tail):
            if any(mark in data for mark in marks):
                decoded = next(self._transport.decode_events([(0, data)], self._stream)).decoded
                if (
                    isinstance(decoded, ChatMessage)
                    and decoded.id in ids
                    and self._in_time(decoded)
                ):
                    hits.append(Found(decoded, offset, offset + HEADER_BYTES + len(data)))
        return hits

    def _candidate(self, data: bytes, private: bool, stream: str) -> ChatMessage | None:
        """The event, checked in full, when it may be a result (or change one)."""
        if not private and not self._may_match(data):
            return None
        decoded = next(self._transport.decode_events([(0, data)], stream)).decoded
        if not isinstance(decoded, ChatMessage) or decoded.unreadable is not None:
            return None
        if decoded.kind in (Kind.EDIT, Kind.DELETE):
            return decoded
        return decoded if self._wanted(decoded) else None

    def _wanted(self, message: ChatMessage) -> bool:
        """A line of the conversation, of the time asked, holding the term."""
        return self._term in message.text.casefold() and self._in_time(message)

    def _in_time(self, message: ChatMessage) -> bool:
        if message.kind not in _SHOWN:
            return False
        since, until = self._since, self._until
        return (since is None or message.sent_at >= since) and (
            until is None or message.sent_at < until
        )

    def _may_match(self, data: bytes) -> bool:
        """A fast look at an event (JSON only, no validation, no signature check: most events
        do not match): whether it may be a result, or an edit or deletion of one."""
        try:
            raw = json.loads(data)
        except (ValueError, RecursionError):
            return False
        if not isinstance(raw, dict):
            return False
        kind, text = raw.get("kind"), raw.get("text")
        if kind in (Kind.EDIT, Kind.DELETE):
            return True
        if kind not in _SHOWN or not isinstance(text, str):
            return False
        if self._term in text.casefold():
            return True
        # Shown text is sanitized: an escape sequence inside a word hides it from the above.
        return not text.isprintable() and self._term in sanitize_text(text).casefold()

    def _still_matches(self, message: ChatMessage, notes: Annotations) -> bool:
        look = notes.look(message)
        return not look.deleted and self._term in look.text.casefold()

    def around_blocking(
        self, hit: Found, count: int = AROUND
    ) -> tuple[list[ChatMessage], list[ChatMessage]]:
        """The messages (and reactions, edits...) just before a result, the result included
        last, and just after it."""
        transport, stream = self._transport, self._stream
        before, _ = transport.read_until_blocking(stream, hit.end, count + 1)
        _, tail = transport.bounds(stream)
        stop = min(tail, hit.end + max(64 * 1024, count * 4 * 1024))
        after: list[ChatMessage] = []
        raw = list(_frames(self._read, hit.end, stop, chunk=stop - hit.end or 1))
        for event in transport.decode_events(raw, stream):
            if isinstance(event.decoded, ChatMessage):
                after.append(event.decoded)
            if len([m for m in after if m.kind not in ANNOTATIONS]) >= count:
                break
        return before, after
