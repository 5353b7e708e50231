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
NICK_COLOURS = 12
"""Nick colours in the stylesheet (``.nick--0`` to ``.nick--11``)."""


_NONE = Style()


@dataclass(frozen=True)
class Palette:
    """The styles lines are drawn with. Widgets read them from the stylesheet (app.tcss,
    component classes); the default draws plain text."""

    time: Style = _NONE
    system: Style = _NONE
    error: Style = _NONE
    divider: Style = _NONE
    mention: Style = _NONE
    """A @nick in a message."""
    mentioned: Style = _NONE
    """The sender of a message that calls the user."""
    nicks: tuple[Style, ...] = (_NONE,) * NICK_COLOURS

    def nick(self, nick: str) -> Style:
        """A colour per nick that stays the same across runs and machines."""
        return self.nicks[zlib.crc32(nick.encode()) % len(self.nicks)]


PLAIN = Palette()


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
    unverified: bool = False
    """Its sender could not be verified: unsigned, badly signed, or signed by another key."""
    private: bool = False
    """In a direct conversation, where every line from someone else counts as a mention
    (without each sender's name lit up as one)."""


UNVERIFIED = "(unverified) "
"""Before the text of a message whose sender could not be verified."""


def message_entry(
    message: ChatMessage, user: str, verified: bool = True, private: bool = False
) -> Entry:
    own = message.sender == user
    called = (  # an unverified line alerts nobody: anyone can write one
        verified
        and not own
        and message.kind is not Kind.SYSTEM
        and (private or mentions(message.text, user))
    )
    return Entry(
        EntryKind.MESSAGE, message.text, message, own=own, mention=called,
        unverified=not verified, private=private,
    )  # fmt: skip


_BOLD = Style(bold=True)


def _prefix(entry: Entry, palette: Palette) -> Text:
    message = entry.message
    if message is None:
        return Text(" " * 6 + "--".rjust(NICK_WIDTH) + " ", style=palette.system)
    stamp = message.sent_at.astimezone().strftime("%H:%M")
    if message.kind is Kind.ACTION:
        nick = Text("*".rjust(NICK_WIDTH), style=palette.nick(message.sender))
    elif message.kind is Kind.SYSTEM:
        nick = Text("--".rjust(NICK_WIDTH), style=palette.system)
    else:
        shown = message.sender if len(message.sender) <= NICK_WIDTH else message.sender[:11] + "…"
        style = palette.nick(message.sender) + (_BOLD if entry.own else Style())
        if entry.mention and not entry.private:
            style += palette.mentioned
        nick = Text(shown.rjust(NICK_WIDTH), style=style)
    return Text.assemble((stamp, palette.time), " ", nick, " ")


def _body(entry: Entry, palette: Palette) -> Text:
    message = entry.message
    if entry.kind is EntryKind.ERROR:
        return Text(entry.text, style=palette.error)
    if entry.kind is EntryKind.INFO:
        return Text(entry.text, style=palette.system)
    mark = Text(UNVERIFIED if entry.unverified else "", style=palette.error)
    if message is not None and message.unreadable is not None:
        return Text.assemble(mark, (message.text, palette.error))
    if message is not None and message.kind is Kind.ACTION:
        name = (message.sender, palette.nick(message.sender))
        return Text.assemble(mark, name, " ", message.text)
    if message is not None and message.kind is Kind.SYSTEM:
        return Text.assemble(mark, (message.text, palette.system))
    body = Text(entry.text)
    body.highlight_regex(MENTION, palette.mention)  # styles spans found by a regex: never markup
    return Text.assemble(mark, body)


PREFIX_WIDTH = 6 + NICK_WIDTH + 1


UNDRAWABLE = "(a message here could not be drawn)"
"""What stands for an entry whose drawing failed: one line, never a crash of the screen."""


def render_entry(
    entry: Entry, width: int, console: Console, palette: Palette = PLAIN
) -> list[Text]:
    """The entry as screen lines: wrapped text with continuation lines indented."""
    try:
        return _render_entry(entry, width, console, palette)
    except Exception:  # remote data, and drawing code: the chat stays up
        return [Text(UNDRAWABLE, style=palette.error)]  # a search highlights these lines


def _render_entry(entry: Entry, width: int, console: Console, palette: Palette) -> list[Text]:
    if entry.kind is EntryKind.DIVIDER:
        if not entry.text:  # a retired divider
            return []
        label = f" {entry.text} "
        side = max(0, width - len(label)) // 2
        line = "─" * side + label + "─" * (width - side - len(label))
        return [Text(line, style=palette.divider)]
    text_width = max(10, width - PREFIX_WIDTH)
    body_lines = _body(entry, palette).wrap(console, text_width, no_wrap=False) or [Text("")]
    prefix = _prefix(entry, palette)
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
    if entry.unverified:
        text = UNVERIFIED + text
    if "\n" not in text and "\t" not in text:  # a tab takes up to 8 cells
        room = max(10, width - PREFIX_WIDTH)
        if len(text) * 2 <= room or cell_len(text) <= room:  # the first needs no measuring
            return 1
    text_width = max(10, width - PREFIX_WIDTH)  # as render_entry wraps, without the prefixes
    return len(_body(entry, PLAIN).wrap(console, text_width, no_wrap=False)) or 1
