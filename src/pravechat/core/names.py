"""User and room names, and how they map to Pravega names.

Pravega allows letters, digits, ``.`` and ``-`` in scope, stream and reader-group names. User
and room names use a subset of that (no ``.``), so a name maps to Pravega unchanged and
``.`` can join two names without ambiguity.
"""

import hashlib
import re
from collections.abc import Iterable

from pravechat.core.errors import PravechatError

MAX_NAME_LENGTH = 32
USER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,31}")
ROOM_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
SCOPE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,62}")
ROOM_STREAM_PREFIX = "room-"
DIRECT_PREFIX = "dm-"
"""Direct conversations: ``dm-`` and 24 hex digits, a room name no user may choose."""
INBOX_PREFIX = "inbox-"
STREAMCLI_ROOM = "streamcli"
"""The conversation with StreamCli users (core.streamcli): not a pravechat room."""
MAX_MEMBERS = 8


def _checked(pattern: re.Pattern[str], value: str, what: str, as_typed: str) -> str:
    if not pattern.fullmatch(value):
        raise PravechatError(
            f"invalid {what} name {as_typed!r}: use 1-{MAX_NAME_LENGTH} ASCII letters, digits "
            "or '-', starting with a letter or digit"
        )
    return value


def validate_user(name: str) -> str:
    return _checked(USER_PATTERN, name, "user", name)


def normalize_room(name: str) -> str:
    """Room names are case-insensitive: ``#Lobby`` and ``lobby`` are the same room."""
    return _checked(ROOM_PATTERN, name.strip().removeprefix("#").lower(), "room", name)


def public_room(name: str) -> str:
    """A room a user names (/join, --room): never a direct conversation's id."""
    room = normalize_room(name)
    if is_direct(room):
        raise PravechatError(
            f"invalid room name {name!r}: names starting with {DIRECT_PREFIX} are direct "
            "conversations (/msg NICK TEXT starts one)"
        )
    return room


def is_direct(room: str) -> bool:
    return room.startswith(DIRECT_PREFIX)


def conversation_id(members: Iterable[str]) -> str:
    """The id of the direct conversation of exactly these members (docs/protocol.md)."""
    names = sorted({validate_user(member) for member in members})
    digest = hashlib.sha256("\n".join(names).encode()).hexdigest()
    return DIRECT_PREFIX + digest[:24]


def inbox_stream(user: str) -> str:
    """Where others announce the direct conversations they start with ``user``."""
    return INBOX_PREFIX + validate_user(user)


def validate_scope(name: str) -> str:
    if not SCOPE_PATTERN.fullmatch(name):
        raise PravechatError(f"invalid scope {name!r}: use letters, digits, '.' or '-'")
    return name


def room_stream(room: str) -> str:
    """The Pravega stream that holds a room's messages (a direct conversation's stream is
    named as its id)."""
    room = normalize_room(room)
    if room == STREAMCLI_ROOM:
        raise PravechatError(
            f"#{STREAMCLI_ROOM} is the conversation with StreamCli users, not a pravechat "
            "room: open it in the chat (pravechat --streamcli, or /join streamcli)"
        )
    return room if is_direct(room) else ROOM_STREAM_PREFIX + room


def room_of_stream(stream: str) -> str | None:
    """The room a stream holds, or None for a stream that is not a room."""
    if not stream.startswith(ROOM_STREAM_PREFIX):
        return None
    room = stream.removeprefix(ROOM_STREAM_PREFIX)
    return room if ROOM_PATTERN.fullmatch(room) else None


def reader_group_name(user: str, room: str) -> str:
    """One reader group per (user, room): it keeps that user's read position in that room."""
    return f"{normalize_room(room)}.{validate_user(user)}"


GROUP_NAMES_TRIED = 16


def reader_group_names(user: str, room: str) -> list[str]:
    """The user's reader group for the room, then the names that take its place once someone
    deleted it: Pravega never lets a deleted group's name be created again."""
    first = reader_group_name(user, room)
    return [first] + [f"{first}.{n}" for n in range(2, GROUP_NAMES_TRIED + 1)]
