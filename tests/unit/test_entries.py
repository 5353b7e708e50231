"""Line counting must agree with rendering, or the log misplaces lines."""

import json
import os
import re
import time
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text
from textual.strip import Strip

from pravechat.core.annotations import Look, Reaction
from pravechat.core.protocol import (
    SENT_AT_EARLIEST,
    SENT_AT_LATEST,
    ChatMessage,
    Kind,
    Skipped,
    SkipReason,
    decode_event,
)
from pravechat.ui.entries import (
    Entry,
    EntryKind,
    Palette,
    day_entry,
    line_count,
    message_entry,
    render_entry,
)
from tests.fakes import FIXED_TIME, message

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
"""What must never reach the terminal from a message: escapes, and tabs or newlines
(lines are split and tabs expanded before they are drawn)."""

_TEXT = st.text(
    st.sampled_from([*"abc xyz-\t\n", "漢", "字", "\u200b", "\u202e", "é", "👍"]),
    max_size=300,
)


_LINE_KINDS = st.sampled_from([Kind.CHAT, Kind.ACTION, Kind.SYSTEM])
_FORMATS = st.sampled_from(["%H:%M", "%H:%M:%S", "%d/%m %H:%M", "%I:%M %p", ""])


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.integers(min_value=20, max_value=200), _LINE_KINDS, _TEXT, _FORMATS)
def test_line_count_is_the_rendered_line_count(
    text: str, width: int, kind: Kind, other: str, time_format: str
) -> None:
    console = Console(width=width)
    palette = Palette(time_format=time_format)
    said = message("alex", text or "x", kind)
    look = Look(other or "y", edited=True, reactions=(Reaction(other[:32] or "+1", 2, True),),
                replies=3)  # fmt: skip
    entries = [
        message_entry(said, "tim"),
        Entry(EntryKind.INFO, text),
        Entry(EntryKind.ERROR, text),
        message_entry(said, "tim", look=look, reply=other),
        message_entry(said, "tim", look=Look("", deleted=True)),
        day_entry(FIXED_TIME.date()),
    ]
    for entry in entries:
        rendered = render_entry(entry, width, console, palette)
        assert line_count(entry, width, console, palette) == len(rendered)


_ESCAPES = st.sampled_from(["\x1b[31m", "\x1b]8;;http://x\x07", "\x9b2J", "\r", "\x08", "\x00"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=50), _ESCAPES), max_size=12),
       st.integers(min_value=20, max_value=160))  # fmt: skip
def test_hostile_events_render_without_escapes_and_stay_aligned(
    parts: list[str], width: int
) -> None:
    text = "".join(parts) or "x"
    fields = {"v": 1, "id": "a" * 32, "room": "lobby", "sender": "mallory", "kind": "chat"}
    event = json.dumps({**fields, "text": text, "sent_at": "2026-11-27T09:30:00Z"})
    decoded = decode_event(event.encode())
    if isinstance(decoded, Skipped):
        return  # refused, e.g. too long once sanitized
    console = Console(width=width)
    for line in render_entry(message_entry(decoded, "tim"), width, console):
        segments = list(line.render(console))
        for segment in segments:
            assert not _CONTROL.search(segment.text), repr(segment.text)
        strip = Strip(segments, line.cell_len).adjust_cell_length(width)  # as ChatLog draws it
        assert strip.cell_length == width  # every line exactly fills the log: stays aligned


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=512), st.integers(min_value=20, max_value=160))
def test_any_bytes_decode_to_a_skip_or_safe_lines(data: bytes, width: int) -> None:
    decoded = decode_event(data)
    if isinstance(decoded, ChatMessage):
        console = Console(width=width)
        for line in render_entry(message_entry(decoded, "tim"), width, console):
            assert not any(_CONTROL.search(s.text) for s in line.render(console))


_EDGES = [
    "2000-01-01T00:00:00Z", "2000-01-01T00:00:00.000+14:00", "2199-12-31T23:59:59.999Z",
    "2199-12-31T23:59:59.999-12:00", "1999-12-31T23:59:59.999Z", "2200-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999-23:59",
    "0001-01-01T00:00:00+23:59", "1970-01-01T00:00:00Z",
]  # fmt: skip
_ZONES = ["Pacific/Kiritimati", "Etc/GMT+12", "UTC", "Asia/Kolkata", "America/St_Johns"]
"""UTC+14 and UTC-12, the farthest east and west, and zones with half and odd hours."""


def _event(sent_at: str, **fields: object) -> bytes:
    data = {"v": 1, "id": "abcdefgh12", "room": "lobby", "sender": "mallory", "kind": "chat",
            "text": "hello", "sent_at": sent_at, **fields}  # fmt: skip
    return json.dumps(data).encode()


def _draw_in(zone: str, decoded: ChatMessage) -> list[str]:
    os.environ["TZ"] = zone
    time.tzset()
    try:
        entry = message_entry(decoded, "tim")
        return [line.plain for line in render_entry(entry, 80, Console(width=80))]
    finally:
        os.environ["TZ"] = "UTC"
        time.tzset()


@pytest.mark.parametrize("sent_at", _EDGES)
def test_times_at_and_past_the_edges_decode_or_skip_and_draw_in_every_zone(sent_at: str) -> None:
    decoded = decode_event(_event(sent_at))
    if isinstance(decoded, Skipped):
        assert decoded.reason is SkipReason.INVALID
        return
    assert SENT_AT_EARLIEST <= decoded.sent_at < SENT_AT_LATEST
    for zone in _ZONES:
        assert "mallory hello" in _draw_in(zone, decoded)[0]


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(timezones=st.timezones()),
    st.sampled_from(_ZONES),
    st.dictionaries(
        st.sampled_from(["id", "room", "sender", "kind", "text", "v"]),
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=40)),
        max_size=3,
    ),
)
def test_any_time_and_any_field_decode_without_raising_and_draw(
    when: datetime, zone: str, fields: dict[str, object]
) -> None:
    decoded = decode_event(_event(when.isoformat(), **fields))
    if isinstance(decoded, ChatMessage):
        assert _draw_in(zone, decoded)


def test_an_entry_that_cannot_be_drawn_is_one_line_saying_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(entry: Entry) -> Text:
        raise RuntimeError("a drawing bug")

    monkeypatch.setattr("pravechat.ui.entries._body", broken)
    entry = message_entry(message("alex", "a line long enough to need wrapping " * 4), "tim")
    console = Console(width=80)
    assert line_count(entry, 80, console) == 1
    assert [line.plain for line in render_entry(entry, 80, console)] == [
        "(a message here could not be drawn)"
    ]
