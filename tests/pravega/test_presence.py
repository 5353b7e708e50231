"""Presence through a real server: members, joins, answers, sessions."""

import asyncio
import time
import uuid

import pytest

from pravechat.core.presence import (
    elsewhere,
)
from pravechat.core.presence_session import PresenceSession
from pravechat.core.settings import Settings
from pravechat.core.transport import Transport
from pravechat.ui.app import PravechatApp
from pravechat.ui.run import build_app


def _app(uri: str, scope: str, user: str, timeout: float = 15) -> PravechatApp:
    transport = Transport.connect(uri, scope)
    app = build_app(Settings(user=user, controller=uri, scope=scope), transport)
    app.roster._timeout = timeout
    app._presence_timeout = timeout
    return app


async def _wait_line(pilot: object, app: PravechatApp, text: str, seconds: float) -> float:
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if any(text in line for line in app.chat_log.plain_lines()):
            return time.monotonic() - began
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    pytest.fail(f"{text!r} never appeared: {app.chat_log.plain_lines()}")


async def test_join_leave_and_vanish_across_two_rooms(pravega_uri: str) -> None:
    scope = f"pres-{uuid.uuid4().hex[:10]}"
    tim = _app(pravega_uri, scope, "tim", timeout=4)
    async with tim.run_test(size=(120, 30)) as pilot:
        await _wait_line(pilot, tim, "you are in #lobby as tim", 45)
        await pilot.pause(1)  # tim's presence reader is up
        alex = _app(pravega_uri, scope, "alex")
        async with alex.run_test(size=(120, 30)) as alex_pilot:
            await _wait_line(pilot, tim, "alex joined", 45)
            assert tim.roster.members("lobby") == ["alex", "tim"]
            tim.chat_input.value = "/who"
            await pilot.press("enter")
            await _wait_line(pilot, tim, "in #lobby: alex, tim", 5)
            await alex_pilot.press("ctrl+q")
            await alex_pilot.pause(0.5)
        await _wait_line(pilot, tim, "alex left", 45)
        # maria vanishes: heartbeats, then nothing (no "left"): a crash.
        transport = Transport.connect(pravega_uri, scope)
        maria = await PresenceSession.open(transport, "maria")
        await maria.enter("lobby")
        await _wait_line(pilot, tim, "maria joined", 45)
        maria._heartbeat.cancel()
        await maria._reader.stop()  # no "left": as in a crash
        took = await _wait_line(pilot, tim, "maria vanished (no heartbeat for 4 s)", 45)
        assert took >= 3  # not before the timeout
        await asyncio.sleep(0)
        await pilot.press("ctrl+q")
        await pilot.pause(0.5)


async def test_a_newcomer_is_told_who_is_there_by_answers_not_heartbeats(
    pravega_uri: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """alex is in the room with his heartbeat stopped: only his answer to tim's question
    can put him in tim's member list, and tim is not told that alex joined."""
    scope = f"pres-{uuid.uuid4().hex[:10]}"
    alex = _app(pravega_uri, scope, "alex", timeout=60)
    async with alex.run_test(size=(120, 30)) as alex_pilot:
        await _wait_line(alex_pilot, alex, "you are in #lobby as alex", 45)
        while alex.presence is None:
            await alex_pilot.pause(0.1)
        alex.presence._heartbeat.cancel()  # type: ignore[attr-defined]
        tim = _app(pravega_uri, scope, "tim", timeout=60)
        async with tim.run_test(size=(120, 30)) as pilot:
            await _wait_line(pilot, tim, "you are in #lobby as tim", 45)
            joined = time.monotonic()
            async with asyncio.timeout(45):
                while tim.roster.members("lobby") != ["alex", "tim"]:
                    await pilot.pause(0.05)
            took = time.monotonic() - joined
            await _wait_line(pilot, alex, "tim joined", 45)  # tim asked: he just came
            assert not any("alex joined" in line for line in tim.chat_log.plain_lines())
            with capsys.disabled():
                print(f"\n[presence] members right {took:.2f} s after the join was shown")
            await pilot.press("ctrl+q")
            await pilot.pause(0.3)
        await alex_pilot.press("ctrl+q")
        await alex_pilot.pause(0.3)


async def test_two_sessions_of_one_user_see_each_other(pravega_uri: str) -> None:
    """Through the real server: each running client's events carry its own id, so each
    session of tim tells the other's events from its own."""
    scope = f"pres-{uuid.uuid4().hex[:10]}"
    here = await PresenceSession.open(Transport.connect(pravega_uri, scope), "tim")
    there = await PresenceSession.open(  # as another process would be
        Transport.connect(pravega_uri, scope), "tim", client="feedfacefeedface"
    )
    try:
        assert here.client != there.client
        await here.enter("lobby")
        await there.enter("lobby")
        seen: dict[str, list[bool]] = {here.client: [], there.client: []}
        async with asyncio.timeout(30):
            async for event in here.events():
                assert event.client is not None
                seen[event.client].append(elsewhere(event, "tim", here.client))
                if seen[here.client] and seen[there.client]:
                    break
        assert seen[here.client][0] is False and seen[there.client][0] is True
    finally:
        await here.close()
        await there.close()
