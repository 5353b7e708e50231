"""Line counting must agree with rendering, or the log misplaces lines."""

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from pravechat.core.protocol import Kind
from pravechat.ui.entries import Entry, EntryKind, line_count, message_entry, render_entry
from tests.fakes import message

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
