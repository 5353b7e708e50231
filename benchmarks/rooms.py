"""How many rooms one client can follow: join time, switch time, event-loop lag, memory.

usage: python -m benchmarks.rooms [--controller URI] [--rooms 1 5 10 20]
Each followed room has a reader process of its own, against the real server.
"""

import argparse
import asyncio
import os
import statistics
import time
import uuid

from benchmarks.ingest import _lag_sampler
from benchmarks.results import tree_rss_mb
from pravechat.core.process import exit_process
from pravechat.core.settings import Settings
from pravechat.core.transport import Transport
from pravechat.ui.run import build_app


async def follow(controller: str, count: int) -> dict[str, float]:
    scope = f"bench-rooms-{uuid.uuid4().hex[:8]}"
    rooms = [f"room{n}" for n in range(count)]
    settings = Settings(user="bench", room=rooms[0], rooms=rooms[1:], controller=controller,
                        scope=scope)  # fmt: skip
    app = build_app(settings, Transport.connect(controller, scope))
    async with app.run_test(size=(120, 40)) as pilot:
        began = time.perf_counter()
        while not all(v.state == "connected" for v in app.rooms.values()) or len(app.rooms) < count:
            await pilot.pause(0.02)
        joined = time.perf_counter() - began
        lags: list[float] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(_lag_sampler(lags, stop))
        switches = []
        for _ in range(10):
            t = time.perf_counter()
            await app.action_cycle_room(1)
            switches.append((time.perf_counter() - t) * 1000)
            await pilot.pause(0.2)
        await asyncio.sleep(2)
        stop.set()
        await sampler
        rss = tree_rss_mb(os.getpid())
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
    parser.add_argument("--rooms", type=int, nargs="*", default=[1, 5, 10, 20])
    args = parser.parse_args()
    print("| rooms | all joined (s) | switch p50 (ms) | loop lag p99 / max (ms) "
          "| RSS, client + readers (MB) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- |")
    for count in args.rooms:
        r = await follow(args.controller, count)
        print(f"| {count} | {r['joined_s']:.2f} | {r['switch_ms']:.1f} | "
              f"{r['lag_p99_ms']:.1f} / {r['lag_max_ms']:.1f} | {r['rss_mb']:.0f} |")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
    exit_process(0)
