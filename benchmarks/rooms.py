"""How many rooms one client can follow: join time, switch time, event-loop lag, memory.

usage: python -m benchmarks.rooms [--controller URI] [--rooms 1 10 50 100] [--history 100]

Against the real server: each room holds ``--history`` messages before the client joins, and
while the event loop's lag (what typing feels) is sampled, another process sends one message
a second into every room. Memory is the client's with its reader processes, if it has any.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid

from benchmarks.ingest import _lag_sampler
from benchmarks.results import tree_rss_mb
from pravechat.core.process import exit_process
from pravechat.core.protocol import new_message
from pravechat.core.settings import Settings
from pravechat.core.transport import Transport
from pravechat.ui.run import build_app


async def fill(transport: Transport, rooms: list[str], history: int) -> None:
    for room in rooms:
        writer = await transport.open_writer(room)
        await writer.send_batch([new_message(room, "past", f"message {n}") for n in range(history)])


async def follow(controller: str, count: int, history: int) -> dict[str, float]:
    scope = f"bench-rooms-{uuid.uuid4().hex[:8]}"
    rooms = [f"room{n}" for n in range(count)]
    await fill(Transport.connect(controller, scope), rooms, history)
    settings = Settings(user="bench", room=rooms[0], rooms=rooms[1:], controller=controller,
                        scope=scope)  # fmt: skip
    app = build_app(settings, Transport.connect(controller, scope))
    async with app.run_test(size=(120, 40)) as pilot:
        began = time.perf_counter()
        while not all(v.state == "connected" for v in app.rooms.values()) or len(app.rooms) < count:
            await pilot.pause(0.02)
        joined = time.perf_counter() - began
        traffic = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.room_traffic", controller, scope, *rooms]
        )
        await asyncio.sleep(2)  # the traffic is flowing
        lags: list[float] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(_lag_sampler(lags, stop))
        switches = []
        for _ in range(10):
            t = time.perf_counter()
            await app.action_cycle_room(1)
            switches.append((time.perf_counter() - t) * 1000)
            await pilot.pause(0.2)
        await asyncio.sleep(5)
        stop.set()
        await sampler
        rss = tree_rss_mb(os.getpid())
        traffic.kill()
        traffic.wait()
        await app.action_quit()
    return {
        "joined_s": joined,
        "switch_ms": statistics.median(switches),
        "lag_p99_ms": sorted(lags)[int(0.99 * (len(lags) - 1))],
        "lag_max_ms": max(lags),
        "rss_mb": rss,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--controller", default="tcp://127.0.0.1:9090")
    parser.add_argument("--rooms", type=int, nargs="*", default=[1, 10, 50, 100])
    parser.add_argument("--history", type=int, default=100)
    args = parser.parse_args()
    print("| rooms | all joined (s) | switch p50 (ms) | loop lag p99 / max, 1 msg/s a room (ms) "
          "| RSS, client + readers (MB) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- |")
    for count in args.rooms:
        r = await follow(args.controller, count, args.history)
        print(f"| {count} | {r['joined_s']:.2f} | {r['switch_ms']:.1f} | "
              f"{r['lag_p99_ms']:.1f} / {r['lag_max_ms']:.1f} | {r['rss_mb']:.0f} |")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
    exit_process(0)
