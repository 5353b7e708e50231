"""UI ingest, headless: a burst of messages, the time until all are on screen, and how late
the event loop answers meanwhile (what a key press would wait for).

usage: python -m benchmarks.ingest [--burst N ...] [--scrollback N]
Bursts come from a fake session in batches of 1,000, as RoomSession.batches delivers them.
Baseline: Textual's own RichLog in a bare app, written one line at a time, with the loop given
a turn after every 1,000 lines, as ours gets one between batches.
"""

import argparse
import asyncio
import gc
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from tests.fakes import FakeChat, message
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import RichLog

from benchmarks.results import ms, save, summary, table
from pravechat.ui.app import PravechatApp

BATCH = 1000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _lag_sampler(samples: list[float], stop: asyncio.Event, period: float = 0.005) -> None:
    """How late a 5 ms timer fires: what a key press would wait for."""
    while not stop.is_set():
        began = time.perf_counter()
        await asyncio.sleep(period)
        samples.append((time.perf_counter() - began - period) * 1000)


async def _timed(pilot: Pilot[Any], pour: Callable[[], Awaitable[None]]) -> dict[str, Any]:
    """Pour the burst in, wait for the refresh that shows its last line; lag meanwhile."""
    await pilot.pause()
    baseline = rss_mb()
    gc.freeze()  # the burst was built up front: keep that pile out of the collector's way
    lags: list[float] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(_lag_sampler(lags, stop))
    began = time.perf_counter()
    await pour()
    await pilot.pause()  # the refresh that shows it
    elapsed = time.perf_counter() - began
    stop.set()
    await sampler
    gc.unfreeze()
    gc.collect()
    return {"render_s": elapsed, "lag_ms": summary(lags), "rss_mb": rss_mb(),
            "rss_growth_mb": rss_mb() - baseline}  # fmt: skip


async def pravechat_burst(count: int, scrollback: int) -> dict[str, Any]:
    chat = FakeChat("tim")
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, scrollback=scrollback)
    messages = [message(f"user{n % 50}", f"burst message number {n}") for n in range(count)]
    target = messages[-1].text

    async def pour() -> None:
        for start in range(0, count, BATCH):
            chat.current.deliver(*messages[start : start + BATCH])
        log = app.chat_log
        while not (log.entries and log.entries[-1].text == target):
            await asyncio.sleep(0.001)

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)  # joined
        return await _timed(pilot, pour)


class RichLogApp(App[None]):
    def __init__(self, scrollback: int) -> None:
        super().__init__()
        self.scrollback = scrollback

    def compose(self) -> ComposeResult:
        yield RichLog(max_lines=self.scrollback)


async def richlog_burst(count: int, scrollback: int) -> dict[str, Any]:
    app = RichLogApp(scrollback)
    lines = [Text.assemble(("09:30 ", "dim"), (f"<user{n % 50}> ", "bold"),
                           f"burst message number {n}") for n in range(count)]  # fmt: skip

    async def pour() -> None:
        log = app.query_one(RichLog)
        for start in range(0, count, BATCH):
            for line in lines[start : start + BATCH]:
                log.write(line)
            await asyncio.sleep(0)

    async with app.run_test(size=(120, 40)) as pilot:
        return await _timed(pilot, pour)


def report(results: dict[str, dict[str, Any]]) -> str:
    rows = []
    for key, r in results.items():
        widget, count = key.split("/")
        lag = r["lag_ms"]
        rows.append([widget, f"{int(count):,}", f"{r['render_s']:.2f}", ms(lag["p50"]),
                     ms(lag["p99"]), ms(lag["max"]), f"{r['rss_growth_mb']:.0f}"])  # fmt: skip
    header = ["log widget", "burst", "all on screen s", "lag p50 ms", "lag p99 ms",
              "lag max ms", "RSS growth MB"]  # fmt: skip
    return table(header, rows) + "\n"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--scrollback", type=int, default=100_000)
    parser.add_argument("--controller", help="unused: no server is involved")
    args = parser.parse_args()
    results = {}
    for count in args.burst:
        results[f"pravechat ChatLog/{count}"] = await pravechat_burst(count, args.scrollback)
        results[f"Textual RichLog/{count}"] = await richlog_burst(count, args.scrollback)
    save("ingest", {"scrollback": args.scrollback, "batch": BATCH, "results": results})
    print(report(results))


if __name__ == "__main__":
    asyncio.run(main())
