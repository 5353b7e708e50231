"""What the chat log shows, and how one entry becomes lines of styled text.

Remote text reaches the screen only as plain ``rich.text.Text`` built from strings, never as
markup: ``[bold]`` or ``[@click=app.quit]`` typed by someone else is shown as typed. The core
has already removed control characters and escape sequences.
"""

import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum

from rich.cells import cell_len
from rich.console import Console
from rich.style import Style
from rich.text import Text

from pravechat.core.annotations import Look, Reaction
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
    time_format: str = field(default="%H:%M", compare=False)
    """How a line's time is written (strftime); the ``time_format`` setting."""

    def nick(self, nick: str) -> Style:
        """A colour per nick that stays the same across runs and machines."""
        return self.nicks[zlib.crc32(nick.encode()) % len(self.nicks)]


PLAIN = Palette()


class EntryKind(Enum):
    MESSAGE = "message"
    INFO = "info"  # local: help, /rooms, joins
    ERROR = "error"  # local: a refused command, a lost connection
    DIVIDER = "divider"  # where the unread messages start
    DAY = "day"  # the date, above the first message of each day


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
    reply: str = ""
    """For a reply: the start of the message it answers (its sender first)."""
    edited: bool = False
    deleted: bool = False
    reactions: tuple[Reaction, ...] = ()
    replies: int = 0
    """How many replies it has (its thread)."""

    @property
    def decorated(self) -> bool:
        """Whether anything is drawn besides the text (a reply's quote, marks, reactions)."""
        return bool(self.reply or self.edited or self.deleted or self.reactions or self.replies)


UNVERIFIED = "(unverified) "
"""Before the text of a message whose sender could not be verified."""


def message_entry(
    message: ChatMessage,
    user: str,
    verified: bool = True,
    private: bool = False,
    look: Look | None = None,
    reply: str = "",
    highlight: tuple[str, ...] = (),
) -> Entry:
    """``look``: its edits, deletion and reactions; ``reply``: the start of the message it
    answers; ``highlight``: more words that make it a mention."""
    look = look or Look(message.text)
    own = message.sender == user
    called = (  # an unverified line alerts nobody: anyone can write one
        verified
        and not own
        and not look.deleted
        and message.kind is not Kind.SYSTEM
        and (private or mentions(look.text, user, highlight))
    )
    return Entry(
        EntryKind.MESSAGE, look.text, message, own=own, mention=called,
        unverified=not verified, private=private, reply=reply, edited=look.edited,
        deleted=look.deleted, reactions=look.reactions, replies=look.replies,
    )  # fmt: skip


def day_label(day: date) -> str:
    return day.strftime("%A %d %B %Y")


def day_entry(day: date) -> Entry:
    """The line above a day's first message (its local date)."""
    return Entry(EntryKind.DAY, day_label(day))


REPLY_MARK = "↪ "
EDITED = " (edited)"
DELETED = "(deleted)"


_BOLD = Style(bold=True)


def _prefix(entry: Entry, palette: Palette) -> Text:
    message = entry.message
    if message is None:
        blank = " " * (time_width(palette) + 1)
        return Text(blank + "--".rjust(NICK_WIDTH) + " ", style=palette.system)
    stamp = _stamp(message.sent_at, palette)
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


_TIME_SAMPLE = datetime(2026, 12, 31, 23, 59, 59)
"""A time whose fields are as wide as any: day 31, hour 23."""


def _stamp(when: datetime, palette: Palette) -> str:
    return when.astimezone().strftime(palette.time_format)


def time_width(palette: Palette) -> int:
    """Cells a line's time takes (at least 1)."""
    return max(1, cell_len(_TIME_SAMPLE.strftime(palette.time_format)))


def prefix_width(palette: Palette) -> int:
    """Cells before a line's text: its time, the nick column and two spaces."""
    return time_width(palette) + 1 + NICK_WIDTH + 1


def _body(entry: Entry, palette: Palette) -> Text:
    if entry.kind is EntryKind.ERROR:
        return Text(entry.text, style=palette.error)
    if entry.kind is EntryKind.INFO:
        return Text(entry.text, style=palette.system)
    text = _text(entry, palette)
    if entry.edited:
        text.append(EDITED, style=palette.time)
    if entry.reply:
        text = Text.assemble((REPLY_MARK + entry.reply, palette.system), "\n", text)
    notes = _reactions(entry, palette)
    if notes:
        text = Text.assemble(text, "\n", notes)
    return text


def _reactions(entry: Entry, palette: Palette) -> Text:
    """The line under a message: its reactions (the reader's in brackets), its replies."""
    if entry.deleted:
        return Text()
    parts = [
        Text(f"[{r.text} {r.count}]" if r.mine else f"{r.text} {r.count}", style=palette.time)
        for r in entry.reactions
    ]
    if entry.replies:
        replies = f"{entry.replies} repl{'y' if entry.replies == 1 else 'ies'}"
        parts.append(Text(replies, style=palette.system))
    return Text("  ").join(parts)


def _text(entry: Entry, palette: Palette) -> Text:
    message = entry.message
    mark = Text(UNVERIFIED if entry.unverified else "", style=palette.error)
    if entry.deleted:
        return Text.assemble(mark, (DELETED, palette.system))
    if message is not None and message.unreadable is not None:
        return Text.assemble(mark, (message.text, palette.error))
    if message is not None and message.kind is Kind.ACTION:
        name = (message.sender, palette.nick(message.sender))
        return Text.assemble(mark, name, " ", entry.text)
    if message is not None and message.kind is Kind.SYSTEM:
        return Text.assemble(mark, (message.text, palette.system))
    body = Text(entry.text)
    body.highlight_regex(MENTION, palette.mention)  # styles spans found by a regex: never markup
    return Text.assemble(mark, body)


PREFIX_WIDTH = prefix_width(PLAIN)
"""With the default time format: 25 cells."""


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
    if entry.kind in _RULES:
        if not entry.text:  # a retired divider
            return []
        label = f" {entry.text} "
        side = max(0, width - len(label)) // 2
        line = "─" * side + label + "─" * (width - side - len(label))
        style = palette.divider if entry.kind is EntryKind.DIVIDER else palette.time
        return [Text(line, style=style)]
    indent_width = prefix_width(palette)
    text_width = max(10, width - indent_width)
    body_lines = _body(entry, palette).wrap(console, text_width, no_wrap=False) or [Text("")]
    prefix = _prefix(entry, palette)
    indent = Text(" " * indent_width)
    return [Text.assemble(prefix if n == 0 else indent, line) for n, line in enumerate(body_lines)]


_RULES = (EntryKind.DIVIDER, EntryKind.DAY)
"""Entries drawn as a rule across the log with a label."""


def line_count(entry: Entry, width: int, console: Console, palette: Palette = PLAIN) -> int:
    """How many lines the entry takes; an entry that fits on one line skips the wrapping."""
    try:
        return _line_count(entry, width, console, palette)
    except Exception:  # as render_entry: the one line that says so
        return 1


def _line_count(entry: Entry, width: int, console: Console, palette: Palette) -> int:
    if entry.kind in _RULES:
        return 1 if entry.text else 0
    text_width = max(10, width - prefix_width(palette))  # as render_entry wraps them
    if entry.decorated:
        return len(_body(entry, palette).wrap(console, text_width, no_wrap=False)) or 1
    text = (
        entry.text
        if entry.message is None or entry.message.kind is not Kind.ACTION
        else (f"{entry.message.sender} {entry.text}")
    )
    if entry.unverified:
        text = UNVERIFIED + text
    one_line = "\n" not in text and "\t" not in text  # a tab takes up to 8 cells
    if one_line and (len(text) * 2 <= text_width or cell_len(text) <= text_width):
        return 1  # the first test needs no measuring
    return len(_body(entry, palette).wrap(console, text_width, no_wrap=False)) or 1
