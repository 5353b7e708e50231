"""Presence timings against the real server: how soon a join shows, and a vanished user.

usage: python -m benchmarks.presence [--controller URI] [--joins N] [--fakes N]

Then a flood (issue 14): another process writes 10,000 fake users who enter, type and leave,
while the event-loop lag of a chat screen is sampled (what a key press waits for).
"""

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

from benchmarks.ingest import _lag_sampler
from pravechat.core.presence import (
    PRESENCE_RETENTION_MS,
    PRESENCE_STREAM,
    ROSTER_CAP,
    TIMEOUT,
    Presence,
)
from pravechat.core.presence_session import PresenceSession
from pravechat.core.process import exit_process
from pravechat.core.settings import Settings
from pravechat.core.transport import Transport
from pravechat.ui.app import PravechatApp
from pravechat.ui.messages import PresenceEvent
from pravechat.ui.run import build_app


async def join_latency(transport: Transport, joins: int) -> list[float]:
    """Milliseconds from one client's enter() to another client reading the event."""
    watcher = await PresenceSession.open(transport, "watcher")
    arrived: dict[str, float] = {}

    async def watch() -> None:
        async for event in watcher.events():
            arrived.setdefault(event.user, time.perf_counter())

    task = asyncio.create_task(watch())
    await asyncio.sleep(1)
    delays = []
    for n in range(joins):
        member = await PresenceSession.open(transport, f"member{n}")
        began = time.perf_counter()
        await member.enter("lobby")
        while f"member{n}" not in arrived:
            await asyncio.sleep(0.001)
        delays.append((arrived[f"member{n}"] - began) * 1000)
        await member.close()
    task.cancel()
    await watcher.close()
    return delays


async def vanish_seconds(controller: str, scope: str) -> float:
    """Seconds from a member's crash to the 'vanished' line on a chat screen."""
    app = build_app(Settings(user="viewer", controller=controller, scope=scope),
                    Transport.connect(controller, scope))  # fmt: skip
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(2)
        ghost = await PresenceSession.open(Transport.connect(controller, scope), "ghost")
        await ghost.enter("lobby")
        while "ghost" not in app.roster.members("lobby"):
            await pilot.pause(0.05)
        ghost._heartbeat.cancel()
        await ghost._reader.stop()  # no "left": as in a crash
        began = time.perf_counter()
        while "ghost" in app.roster.members("lobby"):
            await pilot.pause(0.05)
        took = time.perf_counter() - began
        await app.action_quit()
    return took


def flood(controller: str, scope: str, fakes: int) -> None:
    """Write what a hostile participant would: ``fakes`` made-up users, each entering the
    lobby (asking who is there), typing and leaving, as fast as the binding writes."""
    transport = Transport.connect(controller, scope)
    stream = transport.ensure_stream(PRESENCE_STREAM, PRESENCE_RETENTION_MS)
    writer = transport.client.writer(scope, stream)
    for start in range(0, fakes, 500):
        events = []
        for n in range(start, min(fakes, start + 500)):
            user = f"fake{n}"
            for event in (Presence(user=user, room="lobby", ask=True),
                          Presence(user=user, room="lobby", typing=True),
                          Presence(user=user, room="lobby", state="left")):  # fmt: skip
                events.append(event.to_json().encode())
        writer.write_all(events, PRESENCE_STREAM)


async def typing_lag_under_flood(controller: str, scope: str, fakes: int) -> dict[str, Any]:
    """Event-loop lag (what a key press waits for) of a chat screen, idle, then while
    ``fakes`` fake users flood presence from another process; and how long the screen
    takes to have read the flood."""
    app = build_app(Settings(user="viewer", controller=controller, scope=scope, typing=True),
                    Transport.connect(controller, scope), _Counting)  # fmt: skip
    assert isinstance(app, _Counting)
    async with app.run_test(size=(100, 30)) as pilot:
        while not (app.rooms and app.current.state == "connected" and app.presence):
            await pilot.pause(0.05)
        await pilot.pause(2)  # presence is read
        idle: list[float] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(_lag_sampler(idle, stop))
        await asyncio.sleep(3)
        stop.set()
        await sampler
        flooded: list[float] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(_lag_sampler(flooded, stop))
        began = time.perf_counter()
        writer = subprocess.Popen([sys.executable, "-m", "benchmarks.presence", "--flood",
                                   controller, scope, str(fakes)])  # fmt: skip
        while app.last_left != f"fake{fakes - 1}":
            await pilot.pause(0.05)
        read_in = time.perf_counter() - began
        await asyncio.sleep(1)
        stop.set()
        await sampler
        writer.wait()
        members = len(app.roster.members("lobby"))
        await app.action_quit()
    return {"idle": idle, "flooded": flooded, "read_s": read_in, "members": members}


class _Counting(PravechatApp):
    """The real app, noting the last user it saw leave (the flood's end)."""

    last_left = ""

    def on_presence_event(self, message: PresenceEvent) -> None:
        super().on_presence_event(message)
        if message.event.state == "left":
            self.last_left = message.event.user


def _p(samples: list[float], q: float) -> float:
    return sorted(samples)[int(q * (len(samples) - 1))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--controller", default="tcp://127.0.0.1:9090")
    parser.add_argument("--joins", type=int, default=10)
    parser.add_argument("--no-vanish", action="store_true", help="skip the 15 s vanish timing")
    parser.add_argument("--fakes", type=int, default=10_000,
                        help="fake users of the presence flood (0: no flood)")  # fmt: skip
    args = parser.parse_args()
    scope = f"bench-presence-{uuid.uuid4().hex[:8]}"
    delays = await join_latency(Transport.connect(args.controller, scope), args.joins)
    print("| measure | value |\n| --- | --- |")
    print(f"| join seen by a present client, p50 / max over {len(delays)} (ms) | "
          f"{statistics.median(delays):.1f} / {max(delays):.1f} |")  # fmt: skip
    if not args.no_vanish:
        vanish = await vanish_seconds(args.controller, scope)
        print(f"| a vanished client shown as gone (s; timeout {TIMEOUT:.0f}) | {vanish:.1f} |")
    if args.fakes:
        scope = f"bench-flood-{uuid.uuid4().hex[:8]}"
        r = await typing_lag_under_flood(args.controller, scope, args.fakes)
        print(f"| loop lag (what a key press waits), idle: p50 / p99 / max (ms) | "
              f"{_p(r['idle'], 0.5):.1f} / {_p(r['idle'], 0.99):.1f} / {max(r['idle']):.1f} |\n"
              f"| the same while {args.fakes:,} fake users join, type and leave "
              f"({3 * args.fakes:,} events) | {_p(r['flooded'], 0.5):.1f} / "
              f"{_p(r['flooded'], 0.99):.1f} / {max(r['flooded']):.1f} |\n"
              f"| the flood read by the screen (s) | {r['read_s']:.1f} |\n"
              f"| members listed after it (cap {ROSTER_CAP:,}) | {r['members']:,} |")  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:2] == ["--flood"]:
        flood(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        asyncio.run(main())
    exit_process(0)
