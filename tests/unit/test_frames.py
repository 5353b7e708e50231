"""Finding events in raw bytes of a room (core/frames.py), without a server."""

import struct
import time

from hypothesis import given
from hypothesis import strategies as st

from pravechat.core.frames import HEADER, frames_ending_at


def _frame(data: bytes) -> bytes:
    return HEADER.pack(0, len(data)) + data


@given(st.lists(st.binary(min_size=1, max_size=300).filter(lambda b: b"\0" not in b), min_size=1,
                max_size=40), st.integers(min_value=0, max_value=400))  # fmt: skip
def test_honest_events_are_found_from_any_cut(events: list[bytes], cut: int) -> None:
    """Cut anywhere into a run of events without zero bytes (as JSON text is): every whole
    event after the cut is found, with its offset (before them, at most one false start,
    which the transport drops)."""
    stream = b"".join(_frame(e) for e in events)
    cut = min(cut, len(stream) - 1)
    starts, offset = [], 0
    for event in events:
        starts.append(offset)
        offset += 8 + len(event)
    whole = [(s, e) for s, e in zip(starts, events, strict=True) if s >= cut]
    found = frames_ending_at(stream[cut:], cut, cut == 0, 1000)
    if not whole:  # the cut is inside the last event: nothing whole to find
        return
    assert found is not None
    assert [(f.offset, f.data) for f in found][-len(whole) :] == whole
    assert len(found) - len(whole) <= 1
    assert all(f.end <= len(stream) for f in found)


@given(st.binary(max_size=2000), st.booleans())
def test_any_bytes_never_raise(data: bytes, at_head: bool) -> None:
    found = frames_ending_at(data, 100, at_head, 50)
    if found is not None:
        assert all(f.data is None or len(f.data) == f.size <= 50 for f in found)


def test_large_events_keep_only_their_size() -> None:
    found = frames_ending_at(_frame(b"a" * 100) + _frame(b"b"), 0, True, 10)
    assert found is not None and [(f.size, f.data) for f in found] == [(100, None), (1, b"b")]


def test_a_hostile_window_costs_bounded_time(capsys: object) -> None:
    """An event full of 1-byte fake frames whose chain overshoots the end: each start is
    walked once, and the headers read are capped (it was quadratic: hours for 8 MiB)."""
    fake = b"".join(struct.pack(">ii", 0, 1) + b"\0" for _ in range((8 << 20) // 9))
    data = b"x" * 10 + fake + struct.pack(">ii", 0, 100)
    began = time.perf_counter()
    assert frames_ending_at(data, 0, False, 1000) is None
    print(f"\n[frames] 8 MiB hostile window given up in {time.perf_counter() - began:.2f} s")
