"""The Textual messages the chat's widgets exchange, all of them.

The input posts ``LineSubmitted`` and ``LineRefused`` to the app; a log posts
``UnseenChanged`` and ``WantsOlder`` to its pane.

A room pane's reading worker posts ``Joined``, ``Delivered`` and ``ConnectionChanged`` to its
pane; the pane tells the app what the app needs (``Mentioned``, ``Spoke``, ``NicksSeen``,
``PaneChanged``, ``Entered``) and never calls into it. ``Delivered`` and ``Joined`` bubble on
to the app after the pane has shown them, where a benchmark or a test can observe them.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual.message import Message

from pravechat.core.presence import Presence
from pravechat.core.protocol import ChatMessage
from pravechat.core.session import ChatSession, Connection, Delivery
from pravechat.ui.entries import Entry

if TYPE_CHECKING:
    from pravechat.ui.chat_log import ChatLog


@dataclass
class Joined(Message):
    """The room's session is open: its history is ready to show."""

    room: str
    session: ChatSession


@dataclass
class Delivered(Message):
    """A batch of messages read from a room."""

    room: str
    deliveries: list[Delivery]


@dataclass
class ConnectionChanged(Message):
    """The room's connection changed; ``error`` and ``notice`` are lines for its log."""

    bubble: ClassVar[bool] = False

    room: str
    state: Connection
    error: str | None = None
    notice: str | None = None


@dataclass
class PaneChanged(Message):
    """What the status bar or the room list shows of this room changed (its state, its
    unseen counts)."""

    room: str


@dataclass
class Mentioned(Message):
    """Someone called the user in this room (``entry`` is the newest such message)."""

    room: str
    entry: Entry


@dataclass
class Spoke(Message):
    """Someone else said something in this room just now (not a catch-up)."""

    room: str


@dataclass
class NicksSeen(Message):
    """Senders read in a room, for Tab to complete."""

    nicks: list[str]


@dataclass
class Entered(Message):
    """The pane joined its room: presence may announce the user there."""

    room: str


@dataclass
class PresenceEvent(Message):
    """A presence event read from the presence stream."""

    event: Presence


@dataclass
class LineSubmitted(Message):
    """Enter in the input: the line to send, or a command."""

    value: str


@dataclass
class LineRefused(Message):
    """Something was not let into the input; ``reason`` says what and why."""

    reason: str


@dataclass
class UnseenChanged(Message):
    """How many messages from others have not been on screen yet changed (the counts are
    the log's ``unseen`` and ``mentions``)."""

    log: "ChatLog"


@dataclass
class MessageChosen(Message):
    """In selection mode, a key chose what to do with the selected message (``what``: reply,
    react, edit, delete, thread, info), or left the mode (``unselect``, no message)."""

    log: "ChatLog"
    what: str
    message: ChatMessage | None
    typed: str = ""
    """On leaving: a character typed in selection mode that no key there takes (typing
    goes on in the input with it)."""


@dataclass
class WantsOlder(Message):
    """The view reached the top and the room holds older messages: load some and
    :meth:`ChatLog.prepend` them."""

    log: "ChatLog"
