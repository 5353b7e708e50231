"""A user's own keys: Ed25519 to sign what they write, X25519 to receive direct messages.

Made on first use and kept in the state directory, readable by the user alone (0600).
``pravechat keys export`` / ``import`` move them to another machine: the same name on two
machines without that would be two identities, and everyone would be warned of a changed key.
"""

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pravechat.core.errors import PravechatError
from pravechat.core.names import validate_user
from pravechat.core.paths import private_dir, state_dir
from pravechat.core.signing import KEY_BYTES, decode_b64, encode_key, fingerprint, signed_bytes

KEY_FILE_VERSION = 1


def key_file(user: str) -> Path:
    return state_dir() / "keys" / f"{user}.json"


@dataclass(frozen=True)
class Identity:
    user: str
    signing: Ed25519PrivateKey
    box: X25519PrivateKey

    @property
    def key(self) -> str:
        """The public signing key, base64, as events carry it."""
        return encode_key(self.signing.public_key().public_bytes_raw())

    @property
    def box_key(self) -> str:
        """The public X25519 key others encrypt direct messages to."""
        return encode_key(self.box.public_key().public_bytes_raw())

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key)

    def sign(self, fields: dict[str, Any], where: str) -> dict[str, Any]:
        """``fields`` with ``key`` and ``sig`` added, signed as written ``where``
        (``scope/stream``: signing.place)."""
        signed = {name: value for name, value in fields.items() if name != "sig"}
        signed["key"] = self.key
        signed["sig"] = encode_key(self.signing.sign(signed_bytes(where, signed)))
        return signed

    def export(self) -> str:
        """The private keys as the key file holds them: whoever has this can sign as the user."""
        return json.dumps(
            {
                "v": KEY_FILE_VERSION,
                "user": self.user,
                "signing": encode_key(self.signing.private_bytes_raw()),
                "box": encode_key(self.box.private_bytes_raw()),
            }
        )

    @classmethod
    def generate(cls, user: str) -> "Identity":
        return cls(validate_user(user), Ed25519PrivateKey.generate(), X25519PrivateKey.generate())

    @classmethod
    def parse(cls, text: str, user: str, where: str) -> "Identity":
        """Keys from an exported file; a clear error for anything else."""
        try:
            data = json.loads(text)
        except ValueError:
            raise PravechatError(f"{where} is not a pravechat key file") from None
        if not isinstance(data, dict) or data.get("v") != KEY_FILE_VERSION:
            raise PravechatError(f"{where} is not a pravechat key file")
        signing = decode_b64(data.get("signing"), KEY_BYTES)
        box = decode_b64(data.get("box"), KEY_BYTES)
        if signing is None or box is None:
            raise PravechatError(f"{where} is not a pravechat key file (its keys are damaged)")
        if data.get("user") != user:
            raise PravechatError(f"{where} holds the keys of {data.get('user')!r}, not {user!r}")
        return cls(
            user,
            Ed25519PrivateKey.from_private_bytes(signing),
            X25519PrivateKey.from_private_bytes(box),
        )

    @classmethod
    def load(cls, user: str) -> "Identity | None":
        path = key_file(validate_user(user))
        try:
            text = path.read_text()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise PravechatError(f"cannot read {path}: {error.strerror}") from None
        return cls.parse(text, user, str(path))

    @classmethod
    def load_or_create(cls, user: str) -> "Identity":
        """The user's keys, made and saved the first time."""
        identity = cls.load(user)
        if identity is None:
            made = cls.generate(user)
            try:
                made.save()
            except PravechatError:  # another process of this user made them first
                return cls.load(user) or made
            identity = made
        return identity

    def save(self, replace: bool = False) -> Path:
        """Write the key file, 0600 from its first byte; never over another key unless
        ``replace`` (then whole or not at all: a new file renamed over the old one)."""
        path = key_file(self.user)
        private_dir(path.parent)
        if path.exists() and not replace:
            raise PravechatError(
                f"{path} already holds keys of {self.user}: pass --force to replace them "
                "(messages signed with them would no longer be verified by anyone)"
            )
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")  # 0600
        with os.fdopen(descriptor, "w") as file:
            file.write(self.export())
        if replace:
            Path(temporary).replace(path)
        else:
            try:
                os.link(temporary, path)  # fails if another process made one meanwhile
            except FileExistsError:
                raise PravechatError(f"{path} was just made by another process") from None
            finally:
                Path(temporary).unlink()
        return path
