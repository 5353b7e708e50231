"""Reactions, edits, deletions and replies: events that change how an earlier message is shown.

The stream is append-only, so each of these is an event naming its ``target`` (or, for a
reply, ``reply_to``); a conversation's :class:`Annotations` gathers them as they are read and
says how a message looks now (docs/protocol.md, *Replies, reactions, edits and deletions*).

Who may edit or delete is checked when a message is shown, not when the edit arrives: the
edit may come before its message is loaded (scrolling back loads it later). An edit counts
when its sender and signing key are the message's, with valid signatures on both.
"""

from collections import OrderedDict
from dataclasses import dataclass

from pravechat.core.protocol import MAX_REACTION_LENGTH, ChatMessage, Kind

MAX_PAIRS = 256
"""(sender, reaction) pairs kept per message: a flood of reactions stays this small."""
MAX_SIGNERS = 16
"""Signing keys whose edits are kept per message: a forger can sign edits with keys of their
own, which never apply, but must not push the author's out."""
MAX_TARGETS = 100_000
"""Messages with annotations kept, the oldest forgotten first (a scrollback's worth)."""
MAX_REPLIES = 1000
"""Replies listed per message in a thread."""


EXCERPT_LENGTH = 60
"""Characters of the answered message a reply shows."""


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    """The start of a message on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1] + "…"


@dataclass(frozen=True)
class Reaction:
    text: str
    count: int
    mine: bool
    """The reader reacted so."""


@dataclass(frozen=True)
class Look:
    """How a message is shown now."""

    text: str
    edited: bool = False
    deleted: bool = False
    reactions: tuple[Reaction, ...] = ()
    replies: int = 0


Signer = tuple[str, str]  # (sender, key)


class _Notes:
    """What is known about one target."""

    __slots__ = ("deleted", "edits", "reactions", "replies")

    def __init__(self) -> None:
        self.edits: dict[Signer, str] = {}
        """The newest edit text per signer."""
        self.deleted: set[Signer] = set()
        self.reactions: dict[tuple[str, str], bool] = {}
        """(sender, reaction) -> on, in the order first seen."""
        self.replies: list[str] = []


def _signer(message: ChatMessage) -> Signer | None:
    if not message.signature_valid or message.key is None:
        return None
    return message.sender, message.key


class Annotations:
    """One conversation's reactions, edits, deletions and replies, for one reader."""

    def __init__(self, user: str) -> None:
        self.user = user
        self._notes: OrderedDict[str, _Notes] = OrderedDict()

    def _notes_of(self, target: str) -> _Notes:
        notes = self._notes.get(target)
        if notes is None:
            notes = self._notes[target] = _Notes()
            if len(self._notes) > MAX_TARGETS:
                self._notes.popitem(last=False)
        return notes

    def add(
        self,
        message: ChatMessage,
        verified: bool,
        author: ChatMessage | None = None,
        older: bool = False,
    ) -> str | None:
        """Take in a message read from the conversation; returns the id of the message whose
        look may have changed (a reaction's, edit's or deletion's target; a reply's
        original, whose thread grew), or None. ``verified``: the reader's key ring judged the
        sender verified (reactions count only then); ``author``: the target message, when
        loaded (an edit or deletion by anyone else is dropped at once, so a flood of them
        under other keys cannot crowd the author's out); ``older``: read while scrolling
        back, before what was read already (it never replaces a newer edit or reaction)."""
        if message.reply_to is not None:
            replies = self._notes_of(message.reply_to).replies
            if len(replies) < MAX_REPLIES and message.id not in replies:
                replies.append(message.id)
            return message.reply_to
        target = message.target
        if target is None or message.kind not in (Kind.REACT, Kind.EDIT, Kind.DELETE):
            return None
        signer = _signer(message)
        if signer is None:  # unsigned or badly signed: it could never be the author's
            return None
        if author is not None and message.kind is not Kind.REACT and signer != _signer(author):
            return None
        notes = self._notes_of(target)
        match message.kind:
            case Kind.REACT:
                if not verified:
                    return None
                reaction = message.text.strip()
                if not reaction or "\n" in reaction or len(reaction) > MAX_REACTION_LENGTH:
                    return None  # (a direct message's is checked once decrypted, here)
                pair = (message.sender, reaction)
                if pair not in notes.reactions and len(notes.reactions) >= MAX_PAIRS:
                    return None
                if not (older and pair in notes.reactions):
                    notes.reactions[pair] = not message.undo
            case Kind.EDIT:
                if older and signer in notes.edits:
                    return None
                if signer in notes.edits or len(notes.edits) < MAX_SIGNERS:
                    notes.edits[signer] = message.text
            case _:
                if len(notes.deleted) < MAX_SIGNERS:
                    notes.deleted.add(signer)
        return target

    def look(self, message: ChatMessage) -> Look:
        """How ``message`` is shown now: its author's newest edit, deleted or not, and the
        reactions counted."""
        notes = self._notes.get(message.id)
        if notes is None:
            return Look(message.text)
        author = _signer(message)
        if author is not None and author in notes.deleted:
            return Look("", deleted=True)
        edit = notes.edits.get(author) if author is not None else None
        return Look(
            message.text if edit is None else edit,
            edited=edit is not None,
            reactions=self._reactions(notes),
            replies=len(notes.replies),
        )

    def _reactions(self, notes: _Notes) -> tuple[Reaction, ...]:
        counts: dict[str, int] = {}
        mine: set[str] = set()
        for (sender, text), on in notes.reactions.items():
            if on:
                counts[text] = counts.get(text, 0) + 1
                if sender == self.user:
                    mine.add(text)
        return tuple(Reaction(text, count, text in mine) for text, count in counts.items())

    def reacted(self, message_id: str, text: str) -> bool:
        """Whether the reader's reaction ``text`` is on the message (sending it again undoes
        it)."""
        notes = self._notes.get(message_id)
        return notes is not None and notes.reactions.get((self.user, text.strip()), False)

    def replies(self, message_id: str) -> list[str]:
        """Ids of the replies to the message, in the order read."""
        notes = self._notes.get(message_id)
        return list(notes.replies) if notes is not None else []

    def answered(self, reply: ChatMessage, original: ChatMessage | None) -> str:
        """What a reply shows of the message it answers (``None``: not loaded)."""
        if original is None:
            return "a message not loaded"
        look = self.look(original)
        return f"{original.sender}: {'(deleted)' if look.deleted else excerpt(look.text)}"

    def may_change(self, message: ChatMessage, user: str) -> bool:
        """Whether ``user``'s edit or deletion of ``message`` would apply (their own, signed
        message)."""
        return message.sender == user and _signer(message) is not None
