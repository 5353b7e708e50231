"""Presence timings against the real server: how soon a join shows, and a vanished user.

usage: python -m benchmarks.presence [--controller URI] [--joins N]
"""

import argparse
import asyncio
import statistics
import time
import uuid

from pravechat.core.presence import TIMEOUT
from pravechat.core.presence_session import PresenceSession
from pravechat.core.process import exit_process
from pravechat.core.settings import Settings
from pravechat.core.transport import Transport
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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--controller", default="tcp://127.0.0.1:9090")
    parser.add_argument("--joins", type=int, default=10)
    parser.add_argument("--no-vanish", action="store_true", help="skip the 15 s vanish timing")
    args = parser.parse_args()
    scope = f"bench-presence-{uuid.uuid4().hex[:8]}"
    delays = await join_latency(Transport.connect(args.controller, scope), args.joins)
    print("| measure | value |\n| --- | --- |")
    print(f"| join seen by a present client, p50 / max over {len(delays)} (ms) | "
          f"{statistics.median(delays):.1f} / {max(delays):.1f} |")  # fmt: skip
    if not args.no_vanish:
        vanish = await vanish_seconds(args.controller, scope)
        print(f"| a vanished client shown as gone (s; timeout {TIMEOUT:.0f}) | {vanish:.1f} |")


if __name__ == "__main__":
    asyncio.run(main())
    exit_process(0)
