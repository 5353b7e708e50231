import asyncio

import pytest

from pravechat.core.retry import backoff


async def test_backoff_sleeps_first_then_doubles_up_to_most(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    pauses = []
    async for pause in backoff(0.5, 3.0):
        pauses.append(pause)
        if len(pauses) == 5:
            break
    assert slept == pauses == [0.5, 1.0, 2.0, 3.0, 3.0]
