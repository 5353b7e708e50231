"""Presence: who is in which room, from heartbeats on a stream of their own.

Every client writes a heartbeat per followed room every HEARTBEAT seconds on the scope's
``presence`` stream (10 minutes of retention, so room history stays clean), and ``left`` when it
leaves. A member silent for TIMEOUT seconds has vanished: a crash, a lost network.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pravechat.core.names import ROOM_PATTERN, USER_PATTERN

PRESENCE_STREAM = "presence"
PRESENCE_RETENTION_MS = 10 * 60 * 1000
HEARTBEAT = 5.0
TIMEOUT = 15.0
TYPING_EVERY = 3.0
"""A typing client says so at most this often; readers show it for TYPING_SHOWN seconds."""
TYPING_SHOWN = 5.0


class Presence(BaseModel):
    """One presence event: ``{"v":1,"user":..,"room":..,"state":"here"|"left"}`` (see
    docs/protocol.md)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    v: Literal[1] = 1
    user: str = Field(pattern=USER_PATTERN.pattern.join("^$"))
    room: str = Field(pattern=ROOM_PATTERN.pattern.join("^$"))
    state: Literal["here", "left"] = "here"
    typing: bool = False
    """Sent only by clients whose user enabled the typing indicator."""
    ask: bool = False
    """The sender just entered: whoever follows the room answers with a heartbeat now."""
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), separators=(",", ":"))


def decode_presence(data: bytes) -> Presence | None:
    """A presence event, or None for anything else (never raises)."""
    if len(data) > 4096:
        return None
    try:
        return Presence.model_validate_json(data)
    except (ValidationError, ValueError):
        return None


@dataclass(frozen=True)
class Change:
    room: str
    user: str
    joined: bool
    timed_out: bool = False


class Roster:
    """Who is in each room, from presence events and the clock (``now`` in seconds)."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self._timeout = timeout
        self._last_seen: dict[tuple[str, str], float] = {}
        self._typing: dict[tuple[str, str], float] = {}

    def update(self, event: Presence, now: float) -> Change | None:
        key = (event.room, event.user)
        present = key in self._last_seen
        if event.state == "left":
            self._last_seen.pop(key, None)
            return Change(event.room, event.user, joined=False) if present else None
        self._last_seen[key] = now
        if event.typing:
            self._typing[key] = now
        return None if present else Change(event.room, event.user, joined=True)

    def typing(self, room: str, now: float) -> list[str]:
        """Who typed in ``room`` in the last TYPING_SHOWN seconds (and is still there)."""
        return sorted(
            user
            for (in_room, user), at in self._typing.items()
            if in_room == room and now - at <= TYPING_SHOWN and (in_room, user) in self._last_seen
        )

    def expire(self, now: float) -> list[Change]:
        gone = [key for key, seen in self._last_seen.items() if now - seen > self._timeout]
        for key in gone:
            del self._last_seen[key]
        return [Change(room, user, joined=False, timed_out=True) for room, user in gone]

    def members(self, room: str) -> list[str]:
        return sorted(user for (in_room, user) in self._last_seen if in_room == room)
