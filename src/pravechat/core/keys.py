"""The scope's ``keys`` stream: every user's public keys, signed (docs/protocol.md).

A client publishes its user's keys when it starts, unless the stream already holds them as that
user's latest, and reads the whole stream to pin the keys of names it has not seen before.
"""

import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pravechat.core.blocking import off_loop
from pravechat.core.frames import frames_ending_at
from pravechat.core.identity import Identity
from pravechat.core.names import USER_PATTERN
from pravechat.core.signing import signature_valid
from pravechat.core.transport import HISTORY_MAX_WINDOW, Transport, binding
from pravechat.core.trust import KeyRing

KEYS_STREAM = "keys"
KEY_EVENT_BYTES = 4096
"""Larger events of the keys stream are not key events: skipped unread."""


class KeyEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    v: Literal[1] = 1
    kind: Literal["key"] = "key"
    user: str = Field(pattern=USER_PATTERN.pattern.join("^$"))
    key: str = Field(max_length=100)
    box: str = Field(max_length=100)
    at: str = Field(max_length=40)


def decode_key_event(data: bytes) -> KeyEvent | None:
    """A key event whose signature holds under its own key, or None (never raises)."""
    if len(data) > KEY_EVENT_BYTES:
        return None
    try:
        raw: Any = json.loads(data)
        if not isinstance(raw, dict) or not signature_valid(raw, KEYS_STREAM):
            return None
        return KeyEvent.model_validate(raw)
    except (ValidationError, ValueError, RecursionError):
        return None


def read_key_events(transport: Transport) -> list[KeyEvent]:
    """The valid key events of the scope, oldest first (the last 12 MiB of them). Blocking."""
    stream = transport.ensure_stream(KEYS_STREAM)
    head, tail = transport.bounds(stream)
    start = max(head, tail - HISTORY_MAX_WINDOW)
    with binding("reading the keys stream"):
        data = transport.client.read_bytes(transport.scope, stream, start, tail)
    frames = frames_ending_at(data, start, start == head, KEY_EVENT_BYTES) or []
    return [
        event
        for frame in frames
        if frame.data is not None and (event := decode_key_event(frame.data)) is not None
    ]


def publish_keys(transport: Transport, identity: Identity, known: list[KeyEvent]) -> bool:
    """Write the user's key event unless their latest one already holds these keys. Blocking."""
    own = [event for event in known if event.user == identity.user]
    if own and (own[-1].key, own[-1].box) == (identity.key, identity.box_key):
        return False
    at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    fields = {"v": 1, "kind": "key", "user": identity.user, "box": identity.box_key, "at": at}
    signed = identity.sign(fields, KEYS_STREAM)
    stream = transport.ensure_stream(KEYS_STREAM)
    with binding("publishing your keys"):
        writer = transport.client.writer(transport.scope, stream)
        writer.write(json.dumps(signed, separators=(",", ":")).encode(), KEYS_STREAM)
    return True


class Directory:
    """The box keys of users whose published keys match their pins: whom a direct message
    can be encrypted to."""

    def __init__(self) -> None:
        self.box_keys: dict[str, str] = {}

    def learn(self, events: list[KeyEvent], ring: KeyRing) -> None:
        for event in events:
            if ring.see(event.user, event.key):
                self.box_keys[event.user] = event.box


async def sync_keys(transport: Transport, identity: Identity | None, ring: KeyRing) -> Directory:
    """Publish the user's keys if needed, pin the names first seen, and learn the box keys."""

    def sync() -> list[KeyEvent]:
        events = read_key_events(transport)
        if identity is not None:
            publish_keys(transport, identity, events)
        return events

    directory = Directory()
    directory.learn(await off_loop(sync), ring)
    if identity is not None:
        directory.box_keys[identity.user] = identity.box_key
    return directory
