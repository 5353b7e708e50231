"""Mentions: ``@nick`` tokens, and whether a message calls a given user (as IRC does)."""

import re
from functools import lru_cache

MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9][A-Za-z0-9-]{0,31}(?![\w-])")


def mentions(text: str, user: str, highlight: tuple[str, ...] = ()) -> bool:
    """True when ``text`` says ``@user`` or ``user`` as a word, or one of the ``highlight``
    words or phrases as words, in any case."""
    folded = text.casefold()
    return any(
        word.casefold() in folded  # most messages: no regex needed (a catch-up checks thousands)
        and _calling(word).search(text) is not None
        for word in (user, *highlight)
    )


@lru_cache(maxsize=64)
def _calling(user: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-])@?{re.escape(user)}(?![\w@-])", re.IGNORECASE)
