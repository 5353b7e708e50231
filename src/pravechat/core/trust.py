"""Whose key is whose: trust on first use, as SSH does with host keys (docs/protocol.md).

A :class:`KeyRing` pins, for each name, the first key the scope's keys stream published for it,
and judges every message, presence event and invitation against that pin. A name the keys
stream has not shown yet pins nothing: its messages are unverified until the next read of the
stream (clients publish their keys before they write, so that read finds them), and a message
alone can never make a name's pin. A later key is a change to warn about once, trusted only when
the user says so (/trust, after comparing fingerprints with /verify).
"""

import json
import os
import re
import tempfile
from collections.abc import Iterable
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
    UNKNOWN = "signed by a name with no published key yet"
    OTHER_KEY = "signed by another key"

    @property
    def verified(self) -> bool:
        return self is Verdict.VERIFIED


@dataclass(frozen=True)
class KeyChange:
    """``user`` is pinned to ``pinned`` and now shows ``seen``."""

    user: str
    pinned: str
    seen: str
    own: bool = False
    """The name is the user's own: someone else published a key for it."""

    def warning(self) -> str:
        if self.own:
            return (
                f"someone published another key for your name {self.user} "
                f"({fingerprint(self.seen)}): what they write as you shows as unverified"
            )
        return (
            f"{self.user} now signs with another key ({fingerprint(self.seen)}; "
            f"{fingerprint(self.pinned)} is pinned): what it signs is marked unverified. A new "
            f"machine, or someone else? Compare fingerprints out of band (/verify {self.user}), "
            f"then /trust {self.user} if it is them"
        )


def trust_file(user: str, controller: str, scope: str) -> Path:
    """Pins of ``user`` for one chat: a name on another server or scope may be someone else."""
    server = re.sub(r"[^A-Za-z0-9.-]", "_", controller.split("://")[-1])
    return state_dir() / "trust" / f"{scope}@{server}.{user}.json"


class KeyRing:
    """The pinned keys of one local user; ``path`` None keeps them in memory only. Used from
    the event loop only (its learning and judging are quick; reading the keys stream is not)."""

    def __init__(self, path: Path | None = None, own: tuple[str, str] | None = None) -> None:
        self._path = path
        self._pins: dict[str, str] = _load(path) if path is not None else {}
        self._changes: list[KeyChange] = []
        self._told: set[tuple[str, str]] = set()
        self._own = own[0] if own is not None else None
        self.latest: dict[str, str] = {}
        """The newest key each name has shown, published or signing a message."""
        self.unknown: set[str] = set()
        """Names that signed something before the keys stream showed their key: reading the
        stream again will tell."""
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

    def learn(self, published: Iterable[tuple[str, str]]) -> None:
        """Take in the keys stream's (user, key) events, oldest first: pin each new name's
        first key, and note a name whose latest key is not its pin."""
        latest: dict[str, str] = {}
        added = False
        for user, key in published:
            if user not in self._pins:
                self._pins[user] = key
                added = True
            latest[user] = key
        for user, key in latest.items():
            self.latest[user] = key
            self.unknown.discard(user)
            self._note(user, key)
        if added:
            self._save()

    def accepts(self, user: str, key: str, note: bool = True) -> bool:
        """Whether ``key`` is ``user``'s pinned key (for a valid signature by it)."""
        pinned = self._pins.get(user)
        self.latest.setdefault(user, key)
        if pinned is None:
            self.unknown.add(user)
            return False
        if key != pinned and note:
            self.latest[user] = key
            self._note(user, key)
        return key == pinned

    def judge(self, message: ChatMessage, note: bool = True) -> Verdict:
        """How far ``message``'s sender is verified; ``note``: a key other than the pin is a
        change to warn about (not for history, already read: it would be said at every
        start)."""
        if message.sig is None or message.key is None:
            return Verdict.UNSIGNED
        if not message.signature_valid:
            return Verdict.BAD_SIGNATURE
        if self.accepts(message.sender, message.key, note):
            return Verdict.VERIFIED
        return Verdict.UNKNOWN if message.sender in self.unknown else Verdict.OTHER_KEY

    def _note(self, user: str, key: str) -> None:
        pinned = self._pins.get(user)
        if pinned is not None and key != pinned and (user, key) not in self._told:
            self._told.add((user, key))
            self._changes.append(KeyChange(user, pinned, key, own=user == self._own))

    def take_changes(self) -> list[KeyChange]:
        """Key changes not reported yet, each once."""
        changes, self._changes = self._changes, []
        return changes

    def trust(self, user: str, key: str) -> None:
        """Pin ``key`` for ``user``: the user compared its fingerprint out of band."""
        if self._pins.get(user) != key:
            self._pins[user] = key
            self._save()

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
