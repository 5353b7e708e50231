"""Mentions: ``@nick`` tokens, and whether a message calls a given user (as IRC does)."""

import re
from functools import lru_cache

MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9][A-Za-z0-9-]{0,31}(?![\w-])")


def mentions(text: str, user: str) -> bool:
    """True when ``text`` says ``@user`` or ``user`` as a word, in any case."""
    if user.casefold() not in text.casefold():
        return False  # most messages: no regex needed (a catch-up checks thousands)
    return _calling(user).search(text) is not None


@lru_cache(maxsize=64)
def _calling(user: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-])@?{re.escape(user)}(?![\w@-])", re.IGNORECASE)
