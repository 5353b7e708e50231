"""The wire format of a chat message (see docs/protocol.md) and its safe decoding.

Decoding never raises: any event is either a valid, sanitized :class:`ChatMessage` or a
:class:`Skipped` with a reason, which the read loop counts and moves past.
"""

import json
import sys
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pravechat.core.errors import PravechatError, first_problem
from pravechat.core.names import ROOM_PATTERN, USER_PATTERN, normalize_room, validate_user
from pravechat.core.sanitize import sanitize_text
from pravechat.core.signing import signature_valid

PROTOCOL_VERSION = 1
MAX_TEXT_LENGTH = 4000
"""Characters of text in one message, after sanitizing."""
MAX_EVENT_BYTES = 64 * 1024
"""Larger events are skipped unread: 4,000 characters of JSON-escaped UTF-8 fit easily."""
SENT_AT_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
SENT_AT_LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""A message's time is in [SENT_AT_EARLIEST, SENT_AT_LATEST); an event outside is invalid."""


class Kind(StrEnum):
    CHAT = "chat"
    ACTION = "action"  # /me waves
    SYSTEM = "system"
    REACT = "react"  # a reaction to ``target`` (0.5)
    EDIT = "edit"  # new text for ``target``, by its author (0.5)
    DELETE = "delete"  # ``target`` deleted by its author (0.5)


ANNOTATIONS = frozenset({Kind.REACT, Kind.EDIT, Kind.DELETE})
"""Kinds that change an earlier message (``target``) instead of being lines of their own."""
MAX_REACTION_LENGTH = 32
ID_PATTERN = r"^[A-Za-z0-9-]{8,64}$"


def _check_text(text: str) -> str:
    text = sanitize_text(text)
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"text is {len(text)} characters; the limit is {MAX_TEXT_LENGTH}")
    return text


SafeText = Annotated[str, AfterValidator(_check_text)]


class ChatMessage(BaseModel):
    """One event of a room stream. Unknown fields are ignored, so later versions may add some."""

    model_config = ConfigDict(extra="ignore", frozen=True, validate_default=True)

    v: Literal[1] = 1
    id: str = Field(default_factory=lambda: uuid.uuid4().hex, pattern=ID_PATTERN)
    room: str = Field(pattern=ROOM_PATTERN.pattern.join("^$"))
    sender: str = Field(pattern=USER_PATTERN.pattern.join("^$"))
    kind: Kind = Kind.CHAT
    text: SafeText
    sent_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    reply_to: str | None = Field(None, pattern=ID_PATTERN)
    """The message a ``chat`` or ``action`` line answers (0.5)."""
    target: str | None = Field(None, pattern=ID_PATTERN)
    """The message a ``react``, ``edit`` or ``delete`` event changes (0.5)."""
    undo: bool | None = None
    """On a ``react`` event: the sender takes that reaction back (absent: false)."""
    key: str | None = Field(None, max_length=100)
    """The sender's public signing key, on signed events (docs/protocol.md, Signatures)."""
    sig: str | None = Field(None, max_length=200)
    sealed: dict[str, Any] | None = None
    """A direct message's encrypted text (``text`` is then empty on the wire)."""
    unreadable: str | None = Field(None, exclude=True)
    """Why a direct message could not be decrypted (its ``text`` says so): never from the
    wire."""
    signature_valid: bool = Field(False, exclude=True)
    """Whether ``sig`` verified under ``key`` when the event was read: never from the wire.
    Whose key that is, the reader's key ring judges."""

    @field_validator("sent_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("sent_at needs a time zone")
        try:  # 9999-12-31T23:59:59-23:59 is past datetime's last day once in UTC
            utc = value.astimezone(UTC)
        except OverflowError:
            raise ValueError("sent_at is out of range") from None
        if not SENT_AT_EARLIEST <= utc < SENT_AT_LATEST:
            # Any time outside would overflow when shown in a time zone far from UTC.
            raise ValueError(
                f"sent_at is outside {SENT_AT_EARLIEST.year}-{SENT_AT_LATEST.year - 1}"
            )
        # The wire carries milliseconds; keep no more, so a message equals its decoded copy.
        return utc.replace(microsecond=value.microsecond // 1000 * 1000)

    @model_validator(mode="after")
    def _fits_its_kind(self) -> "ChatMessage":
        if self.kind in ANNOTATIONS:
            if self.target is None:
                raise ValueError(f"{self.kind} events need a target")
            if self.reply_to is not None:
                raise ValueError(f"{self.kind} events cannot be replies")
        elif self.target is not None or self.undo is not None:
            raise ValueError(f"{self.kind} events have no target")
        if self.kind is Kind.REACT and self.sealed is None:  # a sealed one: once decrypted
            reaction = self.text.strip()
            if not reaction or "\n" in reaction or len(reaction) > MAX_REACTION_LENGTH:
                raise ValueError(f"a reaction is 1-{MAX_REACTION_LENGTH} characters on one line")
        if self.kind is Kind.DELETE and self.text:
            raise ValueError("delete events have no text")
        return self

    @classmethod
    def from_trusted(cls, data: dict[str, Any]) -> "ChatMessage":
        """Rebuild a message that a validating process of ours wrote with to_json.

        Our room reader process validates and sanitizes every event it passes on; checking
        each again in the session was half of its CPU per message (measured). Anything from
        Pravega itself goes through decode_event instead. A scrollback keeps many messages:
        names are interned and the set of fields is shared, 579 bytes a message instead of
        1,299 (measured).
        """
        return cls.model_construct(
            _fields_set=_ALL_FIELDS, v=1, id=data["id"], room=sys.intern(data["room"]),
            sender=sys.intern(data["sender"]), kind=Kind(data["kind"]), text=data["text"],
            sent_at=datetime.fromisoformat(data["sent_at"]),
        )  # fmt: skip

    def wire_fields(self) -> dict[str, Any]:
        """The event's fields as written to Pravega (no signature fields when unsigned)."""
        data = self.model_dump(mode="json", exclude_none=True)
        data["sent_at"] = wire_time(self.sent_at)
        return data

    def to_json(self) -> str:
        """The event as written to Pravega: compact UTF-8 JSON, fields in a stable order."""
        return dump_event(self.wire_fields())


def wire_time(when: datetime | None = None) -> str:
    """A time as events carry it: UTC, milliseconds, ``Z`` (now by default)."""
    when = when or datetime.now(UTC)
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def dump_event(fields: dict[str, Any]) -> str:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


_ALL_FIELDS = set(ChatMessage.model_fields)
"""Shared by every message from_trusted builds; frozen models never change it."""


def new_message(
    room: str,
    sender: str,
    text: str,
    kind: Kind = Kind.CHAT,
    *,
    reply_to: str | None = None,
    target: str | None = None,
    undo: bool = False,
) -> ChatMessage:
    """A message to send; refuses invalid names, oversized text and text with nothing to
    read (empty or blank once sanitized) with a clear error. ``reply_to``: the message a line
    answers; ``target``: the message a reaction, edit or deletion is about."""
    room, sender = normalize_room(room), validate_user(sender)
    try:
        message = ChatMessage(
            room=room, sender=sender, kind=kind, reply_to=reply_to, target=target,
            text=text.strip() if kind is Kind.REACT else text,
            undo=True if undo else None,
        )  # fmt: skip
    except ValidationError as error:
        field, reason = first_problem(error)
        told = reason if not field or reason.startswith(f"{field} ") else f"{field}: {reason}"
        raise PravechatError(f"cannot send: {told}") from None
    if kind is not Kind.DELETE and not message.text.strip():
        raise PravechatError("cannot send: the message is empty")
    return message


class SkipReason(StrEnum):
    OVERSIZED = "oversized"
    NOT_UTF8 = "not UTF-8"
    NOT_JSON = "not JSON"
    NOT_AN_OBJECT = "not a JSON object"
    UNKNOWN_VERSION = "unknown version"
    INVALID = "invalid message"


class Skipped(BaseModel):
    model_config = ConfigDict(frozen=True)
    reason: SkipReason
    detail: str = ""


def oversized(size: int) -> Skipped:
    """What an event of ``size`` bytes, over MAX_EVENT_BYTES, decodes to."""
    return Skipped(reason=SkipReason.OVERSIZED, detail=f"{size} bytes")


def decode_event(data: bytes, where: str | None = None) -> ChatMessage | Skipped:
    """Decode one event read ``where`` (``scope/stream``), checking its signature; never
    raises. Without a place (our own outbox) no signature is checked."""
    if len(data) > MAX_EVENT_BYTES:
        return oversized(len(data))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Skipped(reason=SkipReason.NOT_UTF8)
    try:
        raw: Any = json.loads(text)
    except (ValueError, RecursionError):
        return Skipped(reason=SkipReason.NOT_JSON)
    if not isinstance(raw, dict):
        return Skipped(reason=SkipReason.NOT_AN_OBJECT)
    version = raw.get("v")
    if type(version) is not int or version != PROTOCOL_VERSION:  # true and 1.0 are not 1
        return Skipped(reason=SkipReason.UNKNOWN_VERSION, detail=repr(raw.get("v"))[:20])
    checked = "sig" in raw and where is not None and signature_valid(raw, where)
    raw = {**raw, "signature_valid": checked, "unreadable": None}  # never from the wire
    try:
        return ChatMessage.model_validate(raw)
    except Exception as error:  # never raises: whatever a field holds, the reader goes on
        return Skipped(reason=SkipReason.INVALID, detail=str(error).splitlines()[0][:200])
