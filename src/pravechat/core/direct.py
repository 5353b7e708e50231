"""Direct conversations: private rooms of 2-8 users, encrypted end to end, announced in each
member's inbox (docs/protocol.md, Direct conversations).

:class:`DirectChats` is the transport's :class:`~pravechat.core.transport.Sealer`: what is
written to a ``dm-`` stream is sealed to its members' published box keys, what is read from one
is opened with the user's own. A conversation is then read and written as any room
(:class:`~pravechat.core.session.RoomSession`).
"""

import contextlib
import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pravechat.core.blocking import off_loop
from pravechat.core.errors import PravechatError
from pravechat.core.frames import frames_ending_at
from pravechat.core.identity import Identity
from pravechat.core.keys import Directory, read_key_events
from pravechat.core.names import (
    MAX_MEMBERS,
    USER_PATTERN,
    conversation_id,
    inbox_stream,
    validate_user,
)
from pravechat.core.protocol import MAX_TEXT_LENGTH, ChatMessage, dump_event
from pravechat.core.sanitize import sanitize_text
from pravechat.core.sealing import SealError, open_sealed, seal
from pravechat.core.signing import signature_valid
from pravechat.core.transport import HISTORY_MAX_WINDOW, Transport, TransportError, binding
from pravechat.core.trust import KeyRing

INVITATION_BYTES = 4096


class Invitation(BaseModel):
    """``sender`` started the conversation ``room`` with ``members``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    v: Literal[1] = 1
    kind: Literal["conversation"] = "conversation"
    room: str = Field(max_length=40)
    members: list[str] = Field(min_length=2, max_length=MAX_MEMBERS)
    sender: str = Field(pattern=USER_PATTERN.pattern.join("^$"))
    key: str = Field(max_length=100)


def parse_members(user: str, names: str) -> tuple[str, ...]:
    """The members of the conversation ``user`` means by ``bob`` or ``bob,carol``: sorted,
    ``user`` included; a clear error for a bad name, nobody else, or too many."""
    others = {validate_user(name.strip().removeprefix("@")) for name in names.split(",") if name}
    others.discard(user)
    if not others:
        raise PravechatError("a direct conversation needs someone else: /msg NICK TEXT")
    members = tuple(sorted({user, *others}))
    if len(members) > MAX_MEMBERS:
        raise PravechatError(f"a direct conversation has at most {MAX_MEMBERS} members")
    return members


def label(members: tuple[str, ...], user: str) -> str:
    """How a conversation is named on screen: ``@bob`` or ``@bob,carol``."""
    return "@" + ",".join(member for member in members if member != user)


class DirectChats:
    """One user's direct conversations, and the sealing of what they write to them."""

    def __init__(self, transport: Transport, identity: Identity, ring: KeyRing) -> None:
        self._transport = transport
        self._identity = identity
        self._ring = ring
        self.user = identity.user
        self.members: dict[str, tuple[str, ...]] = {}
        """Each known conversation's members, by id."""
        self._directory = Directory()
        self._inbox_read = 0
        """Where the next unread invitation of the inbox starts."""

    def attach(self) -> None:
        """From now on the transport seals and opens direct messages with these keys."""
        self._transport.signer = self._identity
        self._transport.sealer = self

    # --- starting and learning conversations ---------------------------------------------

    async def start(self, members: tuple[str, ...]) -> str:
        """The conversation of ``members``, announced to each of them the first time."""
        room = conversation_id(members)
        await self._need_keys(members)
        if room not in self.members:
            await off_loop(self._announce, room, members)
            self.members[room] = members
        return room

    def _announce(self, room: str, members: tuple[str, ...]) -> None:
        """Create the conversation's stream, then tell each member. Blocking."""
        self._transport.create_stream(room)
        sent_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for member in members:
            stream = self._transport.ensure_stream(inbox_stream(member))
            fields = {"v": 1, "kind": "conversation", "room": room, "members": list(members),
                      "sender": self.user, "sent_at": sent_at}  # fmt: skip
            event = dump_event(self._identity.sign(fields, stream)).encode()
            with binding(f"telling {member} of the conversation"):
                self._transport.client.writer(self._transport.scope, stream).write(event, stream)

    def _learn_keys(self) -> None:
        """Read the keys stream again: the box keys of everyone pinned. Blocking."""
        directory = Directory()
        directory.learn(read_key_events(self._transport), self._ring)
        directory.box_keys[self.user] = self._identity.box_key
        self._directory = directory

    async def _need_keys(self, members: tuple[str, ...]) -> None:
        """Every member's box key, from the keys stream read again if one is missing."""
        missing = [m for m in members if m not in self._directory.box_keys]
        if missing:
            await off_loop(self._learn_keys)
            missing = [m for m in members if m not in self._directory.box_keys]
        if missing:
            raise PravechatError(
                f"no published key for {', '.join(missing)}: they must start pravechat 0.4 "
                "or later once (or their key changed: /verify, then /trust)"
            )

    async def read_inbox(self) -> list[tuple[str, tuple[str, ...]]]:
        """Conversations announced since the last call (all of them the first time), each
        once: (id, members)."""
        found = await off_loop(self._read_inbox)
        new = []
        for invitation in found:
            members = tuple(sorted(set(invitation.members)))
            if invitation.room not in self.members:
                self.members[invitation.room] = members
                new.append((invitation.room, members))
        if new:
            with contextlib.suppress(PravechatError):  # sending says so, if still missing
                await self._need_keys(tuple({m for _, members in new for m in members}))
        return new

    def _read_inbox(self) -> list[Invitation]:
        """Valid invitations from where the last read stopped. Blocking."""
        stream = self._transport.ensure_stream(inbox_stream(self.user))
        head, tail = self._transport.bounds(stream)
        start = max(head, self._inbox_read, tail - HISTORY_MAX_WINDOW)
        if tail <= start:
            return []
        with binding("reading your inbox"):
            data = self._transport.client.read_bytes(self._transport.scope, stream, start, tail)
        at_event = start in (head, self._inbox_read)
        frames = frames_ending_at(data, start, at_event, INVITATION_BYTES) or []
        self._inbox_read = tail
        return [
            invitation
            for frame in frames
            if frame.data is not None
            and (invitation := self._invitation(frame.data, stream)) is not None
        ]

    def _invitation(self, data: bytes, stream: str) -> Invitation | None:
        """A genuine invitation for this user, or None (forged, altered, or not for them)."""
        try:
            raw: Any = json.loads(data)
            if not isinstance(raw, dict) or not signature_valid(raw, stream):
                return None
            invitation = Invitation.model_validate(raw)
        except (ValidationError, ValueError, RecursionError):
            return None
        members = set(invitation.members)
        if (
            invitation.sender not in members
            or self.user not in members
            or conversation_id(members) != invitation.room
            or not self._ring.see(invitation.sender, invitation.key)
        ):
            return None
        return invitation

    # --- the transport's sealer ------------------------------------------------------------

    def seal(self, fields: dict[str, Any]) -> dict[str, Any]:
        """``fields`` of a message to a direct conversation, its text sealed to the members."""
        room = fields["room"]
        members = self.members.get(room)
        if members is None:
            raise TransportError(f"cannot encrypt to {room}: its members are not known")
        if any(member not in self._directory.box_keys for member in members):
            self._learn_keys()  # rare: a conversation someone else started, keys new since
        missing = [member for member in members if member not in self._directory.box_keys]
        if missing:  # a TransportError: the session keeps the line and tries again
            raise TransportError(f"cannot encrypt: no published key for {', '.join(missing)}")
        keys = {member: self._directory.box_keys[member] for member in members}
        sealed = seal(fields["text"], fields["id"], room, fields["sender"], keys)
        return {**fields, "text": "", "sealed": sealed}

    def open(self, message: ChatMessage, stream: str) -> ChatMessage:
        """A message read from a direct conversation's ``stream``, its text decrypted, or
        saying why it cannot be (never showing what was not private as if it were)."""
        try:
            if message.room != stream:
                raise SealError("it names another conversation")
            if message.sealed is None:
                raise SealError("it was not encrypted")
            text = sanitize_text(
                open_sealed(
                    message.sealed,
                    message.id,
                    message.room,
                    message.sender,
                    self.user,
                    self._identity.box,
                )
            )
            if len(text) > MAX_TEXT_LENGTH:
                raise SealError("too long")
        except SealError as why:
            reason = str(why)
            return message.model_copy(
                update={
                    "text": f"(a private message that cannot be read: {reason})",
                    "sealed": None,
                    "unreadable": reason,
                }
            )
        return message.model_copy(update={"text": text, "sealed": None})
