"""Mentions: ``@nick`` tokens, and whether a message calls a given user (as IRC does)."""

import re

MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9][A-Za-z0-9-]{0,31}(?![\w-])")


def mentions(text: str, user: str) -> bool:
    """True when ``text`` says ``@user`` or ``user`` as a word, in any case."""
    return re.search(rf"(?<![\w-])@?{re.escape(user)}(?![\w@-])", text, re.IGNORECASE) is not None
