"""The scope's ``keys`` stream: every user's public keys, signed (docs/protocol.md).

A client publishes its user's keys before it writes anything, unless the stream's latest key
event of that user already holds them, and reads the stream to pin the keys of the names it
has not seen before (:class:`~pravechat.core.trust.KeyRing`).
"""

from typing import Literal

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pravechat.core.blocking import off_loop
from pravechat.core.identity import Identity
from pravechat.core.names import USER_PATTERN
from pravechat.core.protocol import dump_event, wire_time
from pravechat.core.signing import KEY_BYTES, decode_b64, signed_object
from pravechat.core.transport import Transport, binding
from pravechat.core.trust import KeyRing

KEYS_STREAM = "keys"
KEY_EVENT_BYTES = 4096
"""Larger events of the keys stream are not key events: skipped unread."""
_PROBE = X25519PrivateKey.generate()


def usable_box_key(value: str) -> str:
    """A box key a message can be encrypted to: 32 bytes of a point that is not of low order
    (their shared secret would be zero, and ``cryptography`` refuses it)."""
    raw = decode_b64(value, KEY_BYTES)
    if raw is None:
        raise ValueError("not a 32-byte key")
    _PROBE.exchange(X25519PublicKey.from_public_bytes(raw))  # raises for a low-order point
    return value


class KeyEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    v: Literal[1] = 1
    kind: Literal["key"] = "key"
    user: str = Field(pattern=USER_PATTERN.pattern.join("^$"))
    key: str = Field(max_length=100)
    box: str = Field(max_length=100)

    @field_validator("box")
    @classmethod
    def _usable(cls, value: str) -> str:
        return usable_box_key(value)


def decode_key_event(data: bytes, where: str) -> KeyEvent | None:
    """A key event whose signature holds under its own key, or None (never raises)."""
    raw = signed_object(data, where) if len(data) <= KEY_EVENT_BYTES else None
    try:
        return None if raw is None else KeyEvent.model_validate(raw)
    except (ValidationError, ValueError):
        return None


def read_key_events(transport: Transport) -> list[KeyEvent]:
    """The valid key events of the scope, oldest first. Blocking."""
    where = transport.place(KEYS_STREAM)
    raw, _ = transport.read_events_since(KEYS_STREAM, 0, KEY_EVENT_BYTES)
    events = (decode_key_event(data, where) for data in raw)
    return [event for event in events if event is not None]


def publish_keys(transport: Transport, identity: Identity, known: list[KeyEvent]) -> bool:
    """Write the user's key event unless their latest one already holds these keys. Blocking."""
    own = [event for event in known if event.user == identity.user]
    if own and (own[-1].key, own[-1].box) == (identity.key, identity.box_key):
        return False
    fields = {"v": 1, "kind": "key", "user": identity.user, "box": identity.box_key,
              "at": wire_time()}  # fmt: skip
    signed = identity.sign(fields, transport.place(KEYS_STREAM))
    with binding("publishing your keys"):
        writer = transport.client.writer(transport.scope, transport.ensure_stream(KEYS_STREAM))
        writer.write(dump_event(signed).encode(), KEYS_STREAM)
    return True


class Directory:
    """The box keys of users whose published keys are their pinned ones: whom a direct message
    can be encrypted to."""

    def __init__(self, events: list[KeyEvent], ring: KeyRing, own: Identity | None) -> None:
        self.box_keys: dict[str, str] = {}
        for event in events:
            if ring.pinned(event.user) == event.key:
                self.box_keys[event.user] = event.box
        if own is not None:
            self.box_keys[own.user] = own.box_key


async def sync_keys(
    transport: Transport, identity: Identity | None, ring: KeyRing, publish: bool = True
) -> Directory:
    """Publish the user's keys if needed, pin the names first seen, and learn the box keys.
    The reading is done off the event loop, the learning on it."""

    def read() -> list[KeyEvent]:
        events = read_key_events(transport)
        if identity is not None and publish and publish_keys(transport, identity, events):
            events = read_key_events(transport)
        return events

    events = await off_loop(read)
    ring.learn((event.user, event.key) for event in events)
    return Directory(events, ring, identity)
