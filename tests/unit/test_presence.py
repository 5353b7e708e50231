"""Presence: the roster's logic, then join, leave and vanish through the real server."""

import asyncio
import time
from pathlib import Path

import pytest

from pravechat.core.presence import (
    ROSTER_CAP,
    LineBudget,
    Presence,
    Roster,
    decode_presence,
)
from pravechat.ui.app import PRESENCE_LINES
from tests.helpers import presence_app, settled


def test_roster_joins_leaves_and_times_out() -> None:
    roster = Roster(timeout=10)
    here = Presence(user="alex", room="lobby")
    first = roster.update(here, now=0)
    assert first is not None and first.joined
    assert roster.update(here, now=5) is None  # a heartbeat, not a new join
    assert roster.members("lobby") == ["alex"]
    assert roster.expire(now=14) == []
    [gone] = roster.expire(now=16)
    assert gone.user == "alex" and gone.timed_out and roster.members("lobby") == []
    roster.update(here, now=20)
    left = roster.update(Presence(user="alex", room="lobby", state="left"), now=21)
    assert left is not None and not left.joined and not left.timed_out


@pytest.mark.parametrize("data", [b"", b"{}", b'{"v":1,"user":"x y","room":"lobby"}', b"\xff"])
def test_bad_presence_events_are_ignored(data: bytes) -> None:
    assert decode_presence(data) is None


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def test_the_roster_is_capped_per_room_and_forgets_old_typing() -> None:
    roster = Roster(timeout=10, cap=3)
    for user in ("a", "b", "c", "d"):
        roster.update(Presence(user=user, room="lobby", typing=True), now=0)
    assert roster.members("lobby") == ["a", "b", "c"] and roster.refused == {"lobby": 1}
    roster.update(Presence(user="d", room="dev"), now=0)  # the cap is per room
    assert roster.members("dev") == ["d"]
    assert roster.typing("lobby", now=1) == ["a", "b", "c"]
    roster.update(Presence(user="a", room="lobby"), now=9)
    roster.expire(now=9)  # typing is older than it is shown: forgotten
    assert roster.typing("lobby", now=9) == []
    assert roster._typing == {}  # and its empty room


def test_a_line_budget_holds_back_and_sums_up() -> None:
    budget = LineBudget(lines=2, window=10)
    assert [budget.allow("lobby", t) for t in (0, 1, 2, 3)] == [True, True, False, False]
    assert budget.allow("dev", 3)  # per key
    assert budget.summaries(now=5) == []  # no room for a line yet
    assert budget.summaries(now=10) == [("lobby", 2)]
    assert budget.summaries(now=11) == []


async def test_a_flood_of_fake_members_is_capped_and_summed_up(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, _chat, presence = presence_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot, app)
        for view in app.rooms.values():
            view.entered_at = time.monotonic() - 60  # long in the room: newcomers are news
        began = time.monotonic()
        for n in range(10_000):
            presence.queue.put_nowait(Presence(user=f"fake{n}", room="lobby", ask=True))
        async with asyncio.timeout(60):
            while app.roster.refused.get("lobby", 0) + len(app.roster.members("lobby")) < 10_001:
                await pilot.pause(0.05)
        took = time.monotonic() - began
        await pilot.press(*"still here")
        assert app.chat_input.value == "still here"
        await pilot.pause(1.2)  # the summary comes with the next presence tick
        lines = [line for line in app.chat_log.plain_lines() if "joined" in line]
        assert len(lines) <= PRESENCE_LINES + 1  # five lines, then one summary
        assert len(app.roster.members("lobby")) == ROSTER_CAP
        assert f"here ({ROSTER_CAP}+)" in str(app.query_one("#members").render())
        # ten thousand questions, one answer a second
        assert 1 <= len(presence.answered) <= time.monotonic() - began + 1
        with capsys.disabled():
            print(f"\n[presence] 10,000 fake joins taken in {took:.2f} s")


def test_the_cap_never_refuses_yourself_and_leaving_creates_nothing() -> None:
    roster = Roster(timeout=10, cap=2, always="tim")
    for user in ("a", "b", "tim"):
        roster.update(Presence(user=user, room="lobby"), now=0)
    assert roster.members("lobby") == ["a", "b", "tim"]
    for n in range(100):
        roster.update(Presence(user=f"x{n}", room=f"room{n}", state="left"), now=0)
    assert roster._seen.keys() == {"lobby"}  # no room made by a "left"
    roster.expire(now=20)
    assert roster._seen == {}  # empty rooms go


async def test_presence_of_rooms_not_followed_is_ignored() -> None:
    app, _chat, presence = presence_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot, app)
        for n in range(100):
            presence.queue.put_nowait(Presence(user=f"fake{n}", room=f"elsewhere{n}", ask=True))
        presence.queue.put_nowait(Presence(user="alex", room="lobby"))
        async with asyncio.timeout(30):
            while "alex" not in app.roster.members("lobby"):
                await pilot.pause(0.05)
        assert app.roster._seen.keys() == {"lobby"} and presence.answered == []


async def test_another_session_of_the_same_user_is_pointed_out_once_each() -> None:
    app, _chat, presence = presence_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settled(pilot, app)
        warning = "tim is also connected from another session (in #lobby)"

        def warnings() -> int:
            return sum(warning in line for line in app.chat_log.plain_lines())

        presence.queue.put_nowait(Presence(user="tim", room="lobby", client=presence.client))
        for _ in range(2):  # a heartbeat of another session, then the next one
            presence.queue.put_nowait(Presence(user="tim", room="lobby", client="bbbbbbbbbbbbbbbb"))
        presence.queue.put_nowait(Presence(user="alex", room="lobby", client="aaaaaaaaaaaaaaaa"))
        async with asyncio.timeout(10):
            while "alex" not in app.roster.members("lobby"):
                await pilot.pause(0.05)
        await pilot.pause(0.1)
        assert warnings() == 1
        presence.queue.put_nowait(Presence(user="tim", room="lobby"))  # an older pravechat
        async with asyncio.timeout(10):
            while warnings() < 2:
                await pilot.pause(0.05)
        for n in range(10):  # forged ids: pointed out three times in all, then no more
            presence.queue.put_nowait(Presence(user="tim", room="lobby", client=f"{n:016x}"))
        presence.queue.put_nowait(Presence(user="carol", room="lobby"))
        async with asyncio.timeout(10):
            while "carol" not in app.roster.members("lobby"):
                await pilot.pause(0.05)
        await pilot.pause(0.1)
        said = sum("is also connected" in line for line in app.chat_log.plain_lines())
        assert said == 3
