"""How much each conversation may alert its user (/notify, /mute), kept across runs."""

import json
from enum import StrEnum
from pathlib import Path

from pravechat.core.errors import PravechatError
from pravechat.core.paths import private_dir, state_dir


class Level(StrEnum):
    ALL = "all"
    """Every line from someone else alerts, as a mention does."""
    MENTIONS = "mentions"
    """Mentions alert (the default)."""
    NONE = "none"
    """Nothing alerts; Alt+A passes it by. Mentions are still counted and listed."""


def parse_level(text: str) -> Level:
    try:
        return Level(text.strip().lower())
    except ValueError:
        raise PravechatError(f"{text!r} is not a level: all, mentions or none") from None


class Levels:
    """One user's levels, by conversation (a room's name, a direct conversation's id), in
    ``<state>/levels/<user>.json``; a conversation not named there is at MENTIONS."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._levels: dict[str, Level] = {}
        if path is not None:
            try:
                saved = json.loads(path.read_text())
                self._levels = {k: Level(v) for k, v in saved.items() if v in set(Level)}
            except (OSError, ValueError, AttributeError):
                self._levels = {}  # none saved, or not ours to trust: the defaults

    @classmethod
    def for_user(cls, user: str) -> "Levels":
        return cls(state_dir() / "levels" / f"{user}.json")

    def of(self, conversation: str) -> Level:
        return self._levels.get(conversation, Level.MENTIONS)

    def set(self, conversation: str, level: Level) -> None:
        if level is Level.MENTIONS:
            self._levels.pop(conversation, None)
        else:
            self._levels[conversation] = level
        if self._path is not None:
            private_dir(self._path.parent)
            temporary = self._path.with_suffix(".tmp")
            temporary.write_text(json.dumps(self._levels, indent=1))
            temporary.replace(self._path)
