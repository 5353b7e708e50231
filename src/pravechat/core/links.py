"""Links in messages, opened with the system's opener (xdg-open, open) without a shell.

A message's text is remote and hostile: only ``http://`` and ``https://`` URLs are taken, as
one argument each, which never starts with ``-`` (they start with the scheme), and no shell
ever sees them. The opener gets the environment without the Pravega credentials.
"""

import asyncio
import re
import shutil
import sys

from pravechat.core.errors import PravechatError
from pravechat.core.notify import notification_env

URL = re.compile(r"\bhttps?://[^\s<>\"'`\x00-\x1f\x7f]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""
"""Characters that end a sentence around a URL rather than the URL (unless it opened them)."""


def urls(text: str) -> list[str]:
    """The http(s) URLs of a text, in order, without the punctuation that follows them."""
    found = []
    for match in URL.finditer(text):
        url = match.group()
        while url and url[-1] in _TRAILING:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break  # a balanced parenthesis belongs to it (Wikipedia links)
            url = url[:-1]
        if url.split("://", 1)[1]:
            found.append(url)
    return found


def default_opener() -> list[str]:
    return ["open"] if sys.platform == "darwin" else ["xdg-open"]


def opener_argv(opener: list[str], url: str) -> list[str]:
    """The command line that opens ``url``: the opener's words, then the URL."""
    words = opener or default_opener()
    if shutil.which(words[0]) is None:
        raise PravechatError(
            f"cannot open links: {words[0]!r} is not installed (set url_opener in the config)"
        )
    return [*words, url]


async def open_url(argv: list[str]) -> None:
    """Start the opener, detached from the terminal (a browser it starts outlives it); its
    output never reaches the screen."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env=notification_env(),
            start_new_session=True,
        )
    except OSError as error:
        raise PravechatError(f"cannot open the link: {error.strerror or error}") from None
    await process.wait()  # reaped, not waited for by anyone
