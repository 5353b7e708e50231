"""Presence: who is in which room, from heartbeats on a stream of their own.

Every client writes a heartbeat per followed room every HEARTBEAT seconds on the scope's
``presence`` stream (10 minutes of retention, so room history stays clean), and ``left`` when it
leaves. A member silent for TIMEOUT seconds has vanished: a crash, a lost network.
"""

import json
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pravechat.core.names import ROOM_PATTERN, USER_PATTERN
from pravechat.core.signing import signature_valid

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
    client: str | None = Field(None, pattern=r"^[0-9a-f]{8,32}$")
    """The running client that sent it (absent from older clients): see :func:`elsewhere`."""
    key: str | None = Field(None, max_length=100)
    sig: str | None = Field(None, max_length=200)
    signature_valid: bool = Field(False, exclude=True)
    """Whether ``sig`` verified under ``key`` when read (never from the wire)."""

    def wire_fields(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self) -> str:
        return json.dumps(self.wire_fields(), separators=(",", ":"))


def elsewhere(event: Presence, user: str, client: str) -> bool:
    """Whether ``event`` comes from another running session of ``user`` than ``client``
    (an older pravechat sends no client id: it is another one too)."""
    return event.user == user and event.client != client


def decode_presence(data: bytes, where: str = PRESENCE_STREAM) -> Presence | None:
    """A presence event read ``where`` (``scope/presence``), or None for anything else
    (never raises)."""
    if len(data) > 4096:
        return None
    try:
        raw: Any = json.loads(data)
        if not isinstance(raw, dict):
            return None
        raw["signature_valid"] = "sig" in raw and signature_valid(raw, where)
        return Presence.model_validate(raw)
    except (ValidationError, ValueError, RecursionError):
        return None


@dataclass(frozen=True)
class Change:
    room: str
    user: str
    joined: bool
    timed_out: bool = False


ROSTER_CAP = 1000
"""Members tracked per room: past it, newcomers are not listed (a flood of fake names
cannot grow a client's memory or its member list without bound)."""


class Roster:
    """Who is in each room, from presence events and the clock (``now`` in seconds)."""

    def __init__(
        self, timeout: float = TIMEOUT, cap: int = ROSTER_CAP, always: str | None = None
    ) -> None:
        """``always``: a user listed whatever the cap (the client's own)."""
        self._timeout = timeout
        self._cap = cap
        self._always = always
        self._seen: dict[str, dict[str, float]] = {}
        """room -> user -> when last heard from."""
        self._typing: dict[str, dict[str, float]] = {}
        self.refused: dict[str, int] = {}
        """Per room, events of newcomers past the cap."""

    def update(self, event: Presence, now: float) -> Change | None:
        if event.state == "left":
            members = self._seen.get(event.room, {})
            present = members.pop(event.user, None) is not None
            self._typing.get(event.room, {}).pop(event.user, None)
            return Change(event.room, event.user, joined=False) if present else None
        members = self._seen.setdefault(event.room, {})
        present = event.user in members
        if not present and len(members) >= self._cap and event.user != self._always:
            self.refused[event.room] = self.refused.get(event.room, 0) + 1
            return None
        members[event.user] = now
        if event.typing:
            self._typing.setdefault(event.room, {})[event.user] = now
        return None if present else Change(event.room, event.user, joined=True)

    def typing(self, room: str, now: float) -> list[str]:
        """Who typed in ``room`` in the last TYPING_SHOWN seconds (and is still there)."""
        members = self._seen.get(room, {})
        return sorted(
            user
            for user, at in self._typing.get(room, {}).items()
            if now - at <= TYPING_SHOWN and user in members
        )

    def expire(self, now: float) -> list[Change]:
        """Members silent for the timeout are gone; typing older than TYPING_SHOWN too."""
        gone: list[Change] = []
        for room, members in list(self._seen.items()):
            for user in [u for u, seen in members.items() if now - seen > self._timeout]:
                del members[user]
                gone.append(Change(room, user, joined=False, timed_out=True))
            if not members:
                del self._seen[room]
        for room, typists in list(self._typing.items()):
            for user in [u for u, at in typists.items() if now - at > TYPING_SHOWN]:
                del typists[user]
            if not typists:
                del self._typing[room]
        return gone

    def members(self, room: str) -> list[str]:
        return sorted(self._seen.get(room, {}))


class LineBudget:
    """At most ``lines`` per key in any ``window`` seconds; what is held back is counted, and
    :meth:`summaries` says how much, once the key may have a line again."""

    def __init__(self, lines: int, window: float) -> None:
        self._lines, self._window = lines, window
        self._recent: dict[str, deque[float]] = {}
        self._held: dict[str, int] = {}

    def _room_for_one(self, key: str, now: float) -> bool:
        recent = self._recent.setdefault(key, deque())
        while recent and now - recent[0] >= self._window:
            recent.popleft()
        if len(recent) < self._lines:
            recent.append(now)
            return True
        return False

    def allow(self, key: str, now: float) -> bool:
        if self._held.get(key) or not self._room_for_one(key, now):
            self._held[key] = self._held.get(key, 0) + 1
            return False
        return True

    def summaries(self, now: float) -> list[tuple[str, int]]:
        """(key, how many were held back) for each key whose summary line may go now."""
        due = [(key, held) for key, held in self._held.items() if self._room_for_one(key, now)]
        for key, _ in due:
            del self._held[key]
        return due
