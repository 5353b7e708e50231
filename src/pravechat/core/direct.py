"""Direct conversations: private rooms of 2-8 users, encrypted end to end, announced in each
member's inbox (docs/protocol.md, Direct conversations).

:class:`DirectChats` is the transport's :class:`~pravechat.core.transport.Sealer`: what is
written to a ``dm-`` stream is sealed to its members' published box keys, what is read from one
is opened with the user's own. A conversation is then read and written as any room
(:class:`~pravechat.core.session.RoomSession`).
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pravechat.core.blocking import off_loop
from pravechat.core.errors import PravechatError
from pravechat.core.identity import Identity
from pravechat.core.keys import Directory, sync_keys
from pravechat.core.names import (
    MAX_MEMBERS,
    USER_PATTERN,
    conversation_id,
    inbox_stream,
    validate_user,
)
from pravechat.core.protocol import MAX_TEXT_LENGTH, ChatMessage, dump_event, wire_time
from pravechat.core.sanitize import sanitize_text
from pravechat.core.sealing import SealError, open_sealed, seal
from pravechat.core.signing import signed_object
from pravechat.core.transport import Transport, TransportError, binding
from pravechat.core.trust import KeyRing

INVITATION_BYTES = 4096
UserName = Annotated[str, Field(pattern=USER_PATTERN.pattern.join("^$"))]


class Invitation(BaseModel):
    """``sender`` started the conversation ``room`` with ``members``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    v: Literal[1] = 1
    kind: Literal["conversation"] = "conversation"
    room: str = Field(max_length=40)
    members: list[UserName] = Field(min_length=2, max_length=MAX_MEMBERS)
    sender: UserName
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
    """One user's direct conversations, and the sealing of what they write to them. Used
    from the event loop (its blocking reads run off it)."""

    def __init__(self, transport: Transport, identity: Identity, ring: KeyRing) -> None:
        self._transport = transport
        self._identity = identity
        self._ring = ring
        self.user = identity.user
        self.members: dict[str, tuple[str, ...]] = {}
        """Each known conversation's members, by id."""
        self._directory = Directory([], ring, identity)
        self._inbox_read = 0
        """Where the next unread invitation of the inbox starts."""

    def attach(self) -> None:
        """From now on the transport signs with these keys, and seals and opens direct
        messages."""
        self._transport.signer = self._identity
        self._transport.sealer = self

    async def sync(self) -> None:
        """Publish the user's keys if needed, and read everyone's again."""
        self._directory = await sync_keys(self._transport, self._identity, self._ring)

    # --- starting and learning conversations ---------------------------------------------

    async def start(self, members: tuple[str, ...]) -> str:
        """The conversation of ``members``, announced to each of them the first time."""
        room = conversation_id(members)
        if self.missing_keys(members):
            await self.sync()
        if missing := self.missing_keys(members):
            raise PravechatError(self._no_key(missing))
        if room not in self.members:
            await off_loop(self._announce, room, members)
            self.members[room] = members
        return room

    def missing_keys(self, members: tuple[str, ...]) -> list[str]:
        return [member for member in members if member not in self._directory.box_keys]

    def problem(self, room: str) -> str | None:
        """Why a line cannot be sent to ``room`` now, or None."""
        members = self.members.get(room)
        if members is None:
            return "this conversation's members are not known yet"
        missing = self.missing_keys(members)
        return self._no_key(missing) if missing else None

    def _no_key(self, missing: list[str]) -> str:
        changed = [name for name in missing if self._ring.pinned(name) is not None]
        if changed:
            return (
                f"{', '.join(changed)} now signs with another key than the one pinned: "
                "compare it (/verify), then /trust it, to write to them"
            )
        return (
            f"no published key for {', '.join(missing)}: nobody by that name has started "
            "pravechat 0.4 or later in this chat yet"
        )

    def _announce(self, room: str, members: tuple[str, ...]) -> None:
        """Create the conversation's stream, then tell each member. Blocking."""
        self._transport.create_stream(room)
        sent_at = wire_time()
        for member in members:
            stream = self._transport.ensure_stream(inbox_stream(member))
            fields = {"v": 1, "kind": "conversation", "room": room, "members": list(members),
                      "sender": self.user, "sent_at": sent_at}  # fmt: skip
            event = self._identity.sign(fields, self._transport.place(stream))
            with binding(f"telling {member} of the conversation"):
                writer = self._transport.client.writer(self._transport.scope, stream)
                writer.write(dump_event(event).encode(), stream)

    async def read_inbox(self) -> list[tuple[str, tuple[str, ...]]]:
        """Conversations announced since the last call (all of them the first time), each
        once: (id, members)."""
        raw = await off_loop(self._read_inbox)
        found = [invitation for data in raw if (invitation := self._invitation(data))]
        if any(self._ring.pinned(invitation.sender) is None for invitation in found):
            await self.sync()  # a newcomer: their key is on the stream by now
        new = []
        for invitation in found:
            if not self._ring.accepts(invitation.sender, invitation.key):
                continue
            if invitation.room not in self.members:
                members = tuple(sorted(set(invitation.members)))
                self.members[invitation.room] = members
                new.append((invitation.room, members))
        if any(self.missing_keys(members) for _, members in new):
            await self.sync()  # someone who wrote to us is newer than our last read
        return new

    def _read_inbox(self) -> list[bytes]:
        """The inbox's events from where the last read stopped. Blocking."""
        events, self._inbox_read = self._transport.read_events_since(
            inbox_stream(self.user), self._inbox_read, INVITATION_BYTES
        )
        return events

    def _invitation(self, data: bytes) -> Invitation | None:
        """A validly signed invitation for this user, or None (forged, altered, or not for
        them); whether its signer is who it says, the key ring judges."""
        raw = signed_object(data, self._transport.place(inbox_stream(self.user)))
        if raw is None:
            return None
        try:
            invitation = Invitation.model_validate(raw)
        except (ValidationError, ValueError):
            return None
        members = set(invitation.members)
        if (
            invitation.sender not in members
            or self.user not in members
            or conversation_id(members) != invitation.room
        ):
            return None
        return invitation

    # --- the transport's sealer ------------------------------------------------------------

    def seal(self, fields: dict[str, Any]) -> dict[str, Any]:
        """``fields`` of a message to a direct conversation, its text sealed to the members.
        Raises TransportError (the session keeps the line) when that cannot be done now."""
        room = fields["room"]
        problem = self.problem(room)
        if problem is not None:
            raise TransportError(f"cannot encrypt: {problem}")
        members = self.members[room]
        keys = {member: self._directory.box_keys[member] for member in members}
        try:
            sealed = seal(fields["text"], fields["id"], room, fields["sender"], keys)
        except ValueError as error:  # checked when published: cannot happen, unless it does
            raise TransportError(f"cannot encrypt: {error}") from None
        return {**fields, "text": "", "sealed": sealed}

    def open(self, message: ChatMessage, stream: str) -> ChatMessage:
        """A message read from a direct conversation's ``stream``, its text decrypted, or
        saying why it cannot be (never showing what was not private as if it were)."""
        try:
            if message.room != stream:
                raise SealError("it names another conversation")
            members = self.members.get(stream)
            if members is not None and message.sender not in members:
                raise SealError(f"{message.sender} is not in this conversation")
            if message.sealed is None:
                raise SealError("it was not encrypted")
            text = sanitize_text(
                open_sealed(message.sealed, message.id, message.room, message.sender,
                            self.user, self._identity.box)
            )  # fmt: skip
            if len(text) > MAX_TEXT_LENGTH:
                raise SealError("too long")
        except SealError as why:
            reason = str(why)
            return message.model_copy(
                update={"text": f"(a private message that cannot be read: {reason})",
                        "sealed": None, "unreadable": reason}
            )  # fmt: skip
        return message.model_copy(update={"text": text, "sealed": None})
