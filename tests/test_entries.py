"""Line counting must agree with rendering, or the log misplaces lines."""

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from textual.strip import Strip

from pravechat.core.protocol import ChatMessage, Kind, Skipped, decode_event
from pravechat.ui.entries import Entry, EntryKind, line_count, message_entry, render_entry
from tests.fakes import message

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
"""What must never reach the terminal from a message: escapes, and tabs or newlines
(lines are split and tabs expanded before they are drawn)."""

_TEXT = st.text(
    st.sampled_from([*"abc xyz-\t\n", "漢", "字", "\u200b", "\u202e", "é", "👍"]),
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.integers(min_value=20, max_value=200), st.sampled_from(list(Kind)))
def test_line_count_is_the_rendered_line_count(text: str, width: int, kind: Kind) -> None:
    console = Console(width=width)
    entries = [message_entry(message("alex", text or "x", kind), "tim"),
               Entry(EntryKind.INFO, text), Entry(EntryKind.ERROR, text)]  # fmt: skip
    for entry in entries:
        assert line_count(entry, width, console) == len(render_entry(entry, width, console))


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
