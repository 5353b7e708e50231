"""Whose key is whose: trust on first use, as SSH does with host keys (docs/protocol.md).

A :class:`KeyRing` pins the first key it sees for a name (from the keys stream or a signed
message) and judges every message against that pin. A key that differs from the pin is
remembered as a change to warn about once, and trusted only when the user says so (/trust).
"""

import json
import os
import re
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pravechat.core.paths import private_dir, state_dir
from pravechat.core.protocol import ChatMessage
from pravechat.core.signing import fingerprint


class Verdict(StrEnum):
    VERIFIED = "verified"
    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "bad signature"
    OTHER_KEY = "signed by another key"

    @property
    def verified(self) -> bool:
        return self is Verdict.VERIFIED


@dataclass(frozen=True)
class KeyChange:
    """``user`` was pinned to ``pinned`` and something now shows ``seen``."""

    user: str
    pinned: str
    seen: str

    def warning(self) -> str:
        return (
            f"{self.user}'s key has changed ({fingerprint(self.pinned)} was pinned, now "
            f"{fingerprint(self.seen)}): their messages are marked unverified. Compare "
            f"fingerprints out of band (/verify {self.user}), then /trust {self.user} if it is them"
        )


def trust_file(user: str, controller: str, scope: str) -> Path:
    """Pins of ``user`` for one chat: a name on another server or scope may be someone else."""
    server = re.sub(r"[^A-Za-z0-9.-]", "_", controller.split("://")[-1])
    return state_dir() / "trust" / f"{scope}@{server}.{user}.json"


class KeyRing:
    """The pinned keys of one local user; ``path`` None keeps them in memory only."""

    def __init__(self, path: Path | None = None, own: tuple[str, str] | None = None) -> None:
        self._path = path
        self._pins: dict[str, str] = _load(path) if path is not None else {}
        self._changes: list[KeyChange] = []
        self._told: set[tuple[str, str]] = set()
        self.latest: dict[str, str] = {}
        """The newest key each name has shown (what /trust would accept)."""
        if own is not None:  # our own name is our own key, whatever was pinned before
            user, key = own
            if self._pins.get(user) != key:
                self._pins[user] = key
                self._save()

    @classmethod
    def for_user(cls, user: str, key: str | None, controller: str, scope: str) -> "KeyRing":
        """``user``'s pins for the chat at ``controller`` and ``scope``; ``key``: their own."""
        own = (user, key) if key is not None else None
        return cls(trust_file(user, controller, scope), own=own)

    def pinned(self, user: str) -> str | None:
        return self._pins.get(user)

    def see(self, user: str, key: str) -> bool:
        """Take note that ``user`` shows ``key``; pins it when the name is new. Whether it is
        the pinned key."""
        self.latest[user] = key
        pinned = self._pins.get(user)
        if pinned is None:
            self._pins[user] = key
            self._save()
            return True
        if pinned == key:
            return True
        if (user, key) not in self._told:
            self._told.add((user, key))
            self._changes.append(KeyChange(user, pinned, key))
        return False

    def judge(self, message: ChatMessage) -> Verdict:
        if message.sig is None or message.key is None:
            return Verdict.UNSIGNED
        if not message.signature_valid:
            return Verdict.BAD_SIGNATURE
        return Verdict.VERIFIED if self.see(message.sender, message.key) else Verdict.OTHER_KEY

    def take_changes(self) -> list[KeyChange]:
        """Key changes not reported yet, each once."""
        changes, self._changes = self._changes, []
        return changes

    def trust(self, user: str) -> str | None:
        """Pin the newest key ``user`` has shown (the user compared it out of band)."""
        key = self.latest.get(user)
        if key is not None and self._pins.get(user) != key:
            self._pins[user] = key
            self._save()
        return key

    def _save(self) -> None:
        if self._path is None:
            return
        private_dir(self._path.parent)
        # Another client of the same user may write it too: a whole file replaces the old.
        descriptor, temporary = tempfile.mkstemp(dir=self._path.parent, suffix=".tmp")
        with os.fdopen(descriptor, "w") as file:
            json.dump({"v": 1, "pins": self._pins}, file, indent=1, sort_keys=True)
        Path(temporary).replace(self._path)


def _load(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    pins = data.get("pins") if isinstance(data, dict) else None
    if not isinstance(pins, dict):
        return {}
    return {name: key for name, key in pins.items() if isinstance(key, str)}


def describe_key(ring: KeyRing, user: str) -> str:
    """One line for /verify: the pinned key's fingerprint, and another one shown since."""
    pinned, latest = ring.pinned(user), ring.latest.get(user)
    if pinned is None:
        return f"no key seen for {user} yet: it is pinned when they write or start pravechat"
    line = f"{user}: {fingerprint(pinned)}"
    if latest is not None and latest != pinned:
        line += f"; now shows {fingerprint(latest)} (/trust {user} accepts it)"
    return line
