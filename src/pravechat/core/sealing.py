"""End-to-end encryption of direct messages (docs/protocol.md, Direct conversations).

X25519 key agreement with an ephemeral key per message, HKDF-SHA256, ChaCha20-Poly1305, all
from ``cryptography``: nothing home-made but the layout. Opening never raises: a message that
cannot be decrypted says so.
"""

import base64
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pravechat.core.signing import KEY_BYTES, decode_b64

ALGORITHM = "x25519-hkdf-sha256-chacha20poly1305"
INFO = b"pravechat-dm-v1"
NONCE_BYTES = 12
WRAPPED_BYTES = KEY_BYTES + 16
_ZERO_NONCE = bytes(NONCE_BYTES)
MAX_SEALED_BYTES = 48 * 1024
"""Ciphertext of 4,000 characters of UTF-8 is at most 16 KiB (22 KiB in base64)."""


class SealError(Exception):
    """Why a sealed text cannot be opened (one short phrase)."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _wrapping_key(shared: bytes, eph_public: bytes, member_public: bytes) -> bytes:
    return HKDF(
        algorithm=SHA256(), length=KEY_BYTES, salt=eph_public + member_public, info=INFO
    ).derive(shared)


def _text_aad(message_id: str, room: str, sender: str) -> bytes:
    return f"{message_id}\n{room}\n{sender}".encode()


def seal(
    text: str, message_id: str, room: str, sender: str, box_keys: dict[str, str]
) -> dict[str, Any]:
    """The ``sealed`` object of a direct message to the members whose box keys are given."""
    content_key = ChaCha20Poly1305.generate_key()
    nonce = os.urandom(NONCE_BYTES)
    data = ChaCha20Poly1305(content_key).encrypt(
        nonce, text.encode(), _text_aad(message_id, room, sender)
    )
    eph = X25519PrivateKey.generate()
    eph_public = eph.public_key().public_bytes_raw()
    keys = {}
    for member, box_key in sorted(box_keys.items()):
        member_public = decode_b64(box_key, KEY_BYTES)
        if member_public is None:
            raise ValueError(f"{member}'s published key is damaged")
        shared = eph.exchange(X25519PublicKey.from_public_bytes(member_public))
        wrapping = _wrapping_key(shared, eph_public, member_public)
        keys[member] = _b64(
            ChaCha20Poly1305(wrapping).encrypt(_ZERO_NONCE, content_key, message_id.encode())
        )
    return {
        "alg": ALGORITHM,
        "eph": _b64(eph_public),
        "nonce": _b64(nonce),
        "data": _b64(data),
        "keys": keys,
    }


def open_sealed(
    sealed: object, message_id: str, room: str, sender: str, member: str, box: X25519PrivateKey
) -> str:
    """The text sealed for ``member``; raises SealError saying why it cannot be read."""
    if not isinstance(sealed, dict) or sealed.get("alg") != ALGORITHM:
        raise SealError("encrypted in a way this version does not know")
    keys = sealed.get("keys")
    wrapped = decode_b64(keys.get(member) if isinstance(keys, dict) else None, WRAPPED_BYTES)
    if wrapped is None:
        raise SealError("not encrypted to you")
    eph_public = decode_b64(sealed.get("eph"), KEY_BYTES)
    nonce = decode_b64(sealed.get("nonce"), NONCE_BYTES)
    data = sealed.get("data")
    if eph_public is None or nonce is None or not isinstance(data, str):
        raise SealError("damaged")
    if len(data) > MAX_SEALED_BYTES:
        raise SealError("too large")
    try:
        ciphertext = base64.b64decode(data, validate=True)
        member_public = box.public_key().public_bytes_raw()
        shared = box.exchange(X25519PublicKey.from_public_bytes(eph_public))
        wrapping = _wrapping_key(shared, eph_public, member_public)
        content_key = ChaCha20Poly1305(wrapping).decrypt(_ZERO_NONCE, wrapped, message_id.encode())
        plain = ChaCha20Poly1305(content_key).decrypt(
            nonce, ciphertext, _text_aad(message_id, room, sender)
        )
        return plain.decode()
    except InvalidTag:
        raise SealError("encrypted to another key of yours, or altered") from None
    except (ValueError, UnicodeDecodeError):
        raise SealError("damaged") from None
