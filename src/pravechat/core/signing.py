"""Ed25519 signatures over events: what is signed, and checking it (docs/protocol.md).

A signature covers every field but ``sig`` and the place the event is written to (its scope
and stream: :func:`place`), so a signed event can be neither altered nor replayed into another
stream or scope. Checking never
raises: remote events are untrusted.
"""

import base64
import binascii
import hashlib
import json
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

DOMAIN = b"pravechat-sig-v1\n"
KEY_BYTES = 32
SIGNATURE_BYTES = 64


def canonical(fields: dict[str, Any]) -> bytes:
    """RFC 8785 (JCS) for our events: keys sorted, no whitespace, non-ASCII as is.

    Raises UnicodeEncodeError for a lone surrogate, which honest (sanitized) text never holds.
    """
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def place(scope: str, stream: str) -> str:
    """Where an event is written, as its signature covers it: ``scope/stream``."""
    return f"{scope}/{stream}"


def signed_bytes(where: str, fields: dict[str, Any]) -> bytes:
    unsigned = {name: value for name, value in fields.items() if name != "sig"}
    return DOMAIN + where.encode() + b"\n" + canonical(unsigned)


def encode_key(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def decode_b64(text: object, size: int) -> bytes | None:
    """``size`` bytes from strict base64, or None for anything else."""
    if not isinstance(text, str) or len(text) > 2 * size:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == size else None


def fingerprint(key: str) -> str:
    """``SHA256:`` and the unpadded base64 of the raw key's SHA-256, as SSH prints them."""
    raw = decode_b64(key, KEY_BYTES) or key.encode()
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


def signed_object(data: bytes, where: str) -> dict[str, Any] | None:
    """The JSON object ``data`` holds when it is validly signed under its own key as written
    ``where``; None for anything else (never raises)."""
    try:
        raw: Any = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return raw if isinstance(raw, dict) and signature_valid(raw, where) else None


def signature_valid(raw: dict[str, Any], where: str) -> bool:
    """Whether ``raw`` (a decoded JSON object) is signed, under its own ``key``, as written
    ``where`` (:func:`place`). Whose key that is, the reader's key ring judges."""
    key = decode_b64(raw.get("key"), KEY_BYTES)
    signature = decode_b64(raw.get("sig"), SIGNATURE_BYTES)
    if key is None or signature is None:
        return False
    try:
        # libsodium through PyNaCl: 94 µs a check here against 162 for cryptography's, and
        # it lets go of the GIL meanwhile (benchmarks/signing.py).
        VerifyKey(key).verify(signed_bytes(where, raw), signature)
    except (BadSignatureError, ValueError, UnicodeEncodeError, TypeError, RecursionError):
        return False
    return True
