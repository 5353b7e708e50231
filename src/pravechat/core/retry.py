"""Waiting between attempts: one backoff for every loop that tries again."""

import asyncio
from collections.abc import AsyncIterator


async def backoff(first: float, most: float) -> AsyncIterator[float]:
    """Sleep, then yield the pause just taken, for ever: ``first`` seconds, doubling up to
    ``most``. ``async for _ in backoff(...)`` tries after each pause; ``break`` on success.
    """
    delay = first
    while True:
        await asyncio.sleep(delay)
        yield delay
        delay = min(delay * 2, most)
