"""What the chat log shows, and how one entry becomes lines of styled text.

Remote text reaches the screen only as plain ``rich.text.Text`` built from strings, never as
markup: ``[bold]`` or ``[@click=app.quit]`` typed by someone else is shown as typed. The core
has already removed control characters and escape sequences.
"""

import zlib
from dataclasses import dataclass
from enum import Enum

from rich.cells import cell_len
from rich.console import Console
from rich.style import Style
from rich.text import Text

from pravechat.core.mentions import MENTION, mentions
from pravechat.core.protocol import ChatMessage, Kind

NICK_WIDTH = 12
_NICK_COLOURS = (
    "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd", "#56b6c2",
    "#d19a66", "#be5046", "#7ec699", "#f0a0c0", "#a0a0ff", "#ffb86c",
)  # fmt: skip
_TIME = Style(color="grey50")
_SYSTEM = Style(color="grey62", italic=True)
_ERROR = Style(color="red", bold=True)
_DIVIDER = Style(color="#e5c07b", bold=True)
_MENTION = Style(color="#e5c07b", bold=True)
_MENTIONED = Style(reverse=True)


class EntryKind(Enum):
    MESSAGE = "message"
    INFO = "info"  # local: help, /rooms, joins
    ERROR = "error"  # local: a refused command, a lost connection
    DIVIDER = "divider"  # where the unread messages start


@dataclass(frozen=True)
class Entry:
    kind: EntryKind
    text: str
    message: ChatMessage | None = None
    own: bool = False
    mention: bool = False
    """The message calls the user by name."""


def nick_style(nick: str) -> Style:
    """A colour per nick that stays the same across runs and machines."""
    return Style(color=_NICK_COLOURS[zlib.crc32(nick.encode()) % len(_NICK_COLOURS)])


def message_entry(message: ChatMessage, user: str) -> Entry:
    own = message.sender == user
    called = not own and message.kind is not Kind.SYSTEM and mentions(message.text, user)
    return Entry(EntryKind.MESSAGE, message.text, message, own=own, mention=called)


def _prefix(entry: Entry) -> Text:
    message = entry.message
    if message is None:
        return Text(" " * 6 + "--".rjust(NICK_WIDTH) + " ", style=_SYSTEM)
    stamp = message.sent_at.astimezone().strftime("%H:%M")
    if message.kind is Kind.ACTION:
        nick = Text("*".rjust(NICK_WIDTH), style=nick_style(message.sender))
    elif message.kind is Kind.SYSTEM:
        nick = Text("--".rjust(NICK_WIDTH), style=_SYSTEM)
    else:
        shown = message.sender if len(message.sender) <= NICK_WIDTH else message.sender[:11] + "…"
        style = nick_style(message.sender) + (Style(bold=True) if entry.own else Style())
        if entry.mention:
            style += _MENTIONED
        nick = Text(shown.rjust(NICK_WIDTH), style=style)
    return Text.assemble((stamp, _TIME), " ", nick, " ")


def _body(entry: Entry) -> Text:
    message = entry.message
    if entry.kind is EntryKind.ERROR:
        return Text(entry.text, style=_ERROR)
    if entry.kind is EntryKind.INFO:
        return Text(entry.text, style=_SYSTEM)
    if message is not None and message.kind is Kind.ACTION:
        return Text.assemble((message.sender, nick_style(message.sender)), " ", message.text)
    if message is not None and message.kind is Kind.SYSTEM:
        return Text(message.text, style=_SYSTEM)
    body = Text(entry.text)
    body.highlight_regex(MENTION, _MENTION)  # styles spans found by a regex: never markup
    return body


PREFIX_WIDTH = 6 + NICK_WIDTH + 1


UNDRAWABLE = Text("(a message here could not be drawn)", style=_ERROR)
"""What stands for an entry whose drawing failed: one line, never a crash of the screen."""


def render_entry(entry: Entry, width: int, console: Console) -> list[Text]:
    """The entry as screen lines: wrapped text with continuation lines indented."""
    try:
        return _render_entry(entry, width, console)
    except Exception:  # remote data, and drawing code: the chat stays up
        return [UNDRAWABLE.copy()]  # a search highlights the lines it is given


def _render_entry(entry: Entry, width: int, console: Console) -> list[Text]:
    if entry.kind is EntryKind.DIVIDER:
        if not entry.text:  # a retired divider
            return []
        label = f" {entry.text} "
        side = max(0, width - len(label)) // 2
        return [Text("─" * side + label + "─" * (width - side - len(label)), style=_DIVIDER)]
    text_width = max(10, width - PREFIX_WIDTH)
    body_lines = _body(entry).wrap(console, text_width, no_wrap=False) or [Text("")]
    prefix = _prefix(entry)
    indent = Text(" " * PREFIX_WIDTH)
    return [Text.assemble(prefix if n == 0 else indent, line) for n, line in enumerate(body_lines)]


def line_count(entry: Entry, width: int, console: Console) -> int:
    """How many lines the entry takes; an entry that fits on one line skips the wrapping."""
    try:
        return _line_count(entry, width, console)
    except Exception:  # as render_entry: the one line that says so
        return 1


def _line_count(entry: Entry, width: int, console: Console) -> int:
    if entry.kind is EntryKind.DIVIDER:
        return 1 if entry.text else 0
    text = (
        entry.text
        if entry.message is None or entry.message.kind is not Kind.ACTION
        else (f"{entry.message.sender} {entry.text}")
    )
    if "\n" not in text and "\t" not in text:  # a tab takes up to 8 cells
        room = max(10, width - PREFIX_WIDTH)
        if len(text) * 2 <= room or cell_len(text) <= room:  # the first needs no measuring
            return 1
    text_width = max(10, width - PREFIX_WIDTH)  # as render_entry wraps, without the prefixes
    return len(_body(entry).wrap(console, text_width, no_wrap=False)) or 1
