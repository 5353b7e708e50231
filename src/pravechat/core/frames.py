"""Events found in raw bytes of a room stream, for reading the end of a room without a reader.

Pravega frames each event as a 4-byte type (0) and a 4-byte big-endian length, then the
data. Reading the last N messages of a room should cost what they weigh, not the room's age,
so history is read as a window of bytes that ends at a known event boundary (the tail, or a
reader group's position) and starts wherever the window does. Where the first whole event of
the window starts is found by chaining: a start is right when header after header, it lands
exactly on the window's end. Honest events are JSON text, which holds no zero bytes, so
candidates are few; a hostile writer can make a window unreadable (it is then reported as
such), never make it show something that is not an event of the stream.
"""

import struct
from dataclasses import dataclass

HEADER = struct.Struct(">ii")
HEADER_BYTES = HEADER.size
EVENT_TYPE = 0
MAX_FRAME_BYTES = 8 * 1024 * 1024
"""Pravega's own limit on one event."""
STEPS_ALLOWED = 100_000
"""Headers read in one window, over every candidate start, before giving up on it: honest
messages are hundreds of bytes, so the largest window holds some 50,000; a hostile event of
tiny fake frames would hold a million (seconds of Python holding the GIL)."""


@dataclass(frozen=True)
class Frame:
    offset: int
    """Where the event's header starts in the segment."""
    size: int
    """Its data's length."""
    data: bytes | None
    """Its data, or None when larger than the caller wanted to keep."""

    @property
    def end(self) -> int:
        return self.offset + HEADER_BYTES + self.size


def _length_at(data: bytes, at: int) -> int | None:
    if at + HEADER_BYTES > len(data):
        return None
    event_type, length = HEADER.unpack_from(data, at)
    if event_type != EVENT_TYPE or not 0 < length <= MAX_FRAME_BYTES:
        return None
    return int(length)


class _Budget:
    def __init__(self, steps: int) -> None:
        self.steps = steps


def _chains_to_end(
    data: bytes, at: int, dead: set[int], budget: _Budget
) -> list[tuple[int, int]] | None:
    """(start, length) of each event from ``at`` when they end exactly at ``len(data)``.

    ``dead`` marks the starts known not to chain (a walk that failed through them): a walk
    stops there, and marks what it passed on failing, so each start is walked once however
    many candidates are tried (a hostile event of 1-byte fake frames would be quadratic).
    """
    found: list[tuple[int, int]] = []
    while at < len(data):
        budget.steps -= 1
        if budget.steps < 0:
            return None
        length = None if at in dead else _length_at(data, at)
        if length is None or at + HEADER_BYTES + length > len(data):
            dead.add(at)
            dead.update(start for start, _ in found)
            return None
        found.append((at, length))
        at += HEADER_BYTES + length
    return found


def frames_ending_at(
    data: bytes, base: int, starts_at_event: bool, keep_up_to: int
) -> list[Frame] | None:
    """The whole events of ``data`` (bytes of a segment from offset ``base``, ending at an
    event boundary), oldest first; None when no start chains to the end.

    ``starts_at_event``: ``data`` is known to begin with an event (the stream's head).
    Events whose data is larger than ``keep_up_to`` bytes keep only their size.
    """
    if not data:
        return []
    dead: set[int] = set()  # at most STEPS_ALLOWED starts
    budget = _Budget(STEPS_ALLOWED)
    if starts_at_event:
        chain = _chains_to_end(data, 0, dead, budget)
    else:
        chain = None
        at = data.find(b"\0\0\0\0")
        while at != -1 and budget.steps > 0:
            if (chain := _chains_to_end(data, at, dead, budget)) is not None:
                break
            at = data.find(b"\0\0\0\0", at + 1)
    if chain is None:
        return None
    view = memoryview(data)
    return [
        Frame(
            base + start,
            length,
            bytes(view[start + HEADER_BYTES : start + HEADER_BYTES + length])
            if length <= keep_up_to
            else None,
        )
        for start, length in chain
    ]
