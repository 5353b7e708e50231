"""The chat screen under load, headless: burst rendering, event-loop lag, memory, launch time.

usage: python -m benchmarks.ui [--burst N] [--scrollback N] [--controller URI]
Bursts come from a fake session in batches of 1,000, as RoomSession.batches delivers them; the
launch is the real console script in tmux against the real server, timed until the screen
says it has joined.
"""

import argparse
import asyncio
import gc
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.fakes import FakeChat, message

from pravechat.ui.app import PravechatApp


def _rss_mb() -> float:
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


async def burst(count: int, scrollback: int) -> dict[str, float]:
    chat = FakeChat("tim")
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, scrollback=scrollback)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        baseline = _rss_mb()
        messages = [message(f"user{n % 50}", f"burst message number {n}") for n in range(count)]
        # The fake source builds the whole burst up front; a real session parses messages as
        # they arrive. Keep the up-front pile out of the collector's way so it is not counted.
        gc.freeze()
        lags: list[float] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(_lag_sampler(lags, stop))
        began = time.perf_counter()
        for start in range(0, count, 1000):
            chat.current.deliver(*messages[start : start + 1000])
        target = f"burst message number {count - 1}"
        log = app.chat_log
        while not (log.entries and log.entries[-1].text == target):
            await asyncio.sleep(0.001)
        await pilot.pause()  # the refresh that shows it
        elapsed = time.perf_counter() - began
        stop.set()
        await sampler
        del messages  # the fake source's pile; what stays is what the scrollback keeps
        gc.unfreeze()
        gc.collect()
        return {
            "render_s": elapsed,
            "lag_p99_ms": sorted(lags)[int(0.99 * (len(lags) - 1))] if lags else 0.0,
            "lag_max_ms": max(lags, default=0.0),
            "lag_p50_ms": statistics.median(lags) if lags else 0.0,
            "rss_mb": _rss_mb(),
            "rss_growth_mb": _rss_mb() - baseline,
            "entries": float(len(log.entries)),
        }


def launch_to_ready(controller: str, runs: int = 3) -> list[float]:
    """Seconds from starting `pravechat --user` in tmux to 'you are in #lobby' on screen."""
    if shutil.which("tmux") is None:
        return []
    pravechat = Path(sys.executable).parent / "pravechat"
    socket = f"bench-{uuid.uuid4().hex[:6]}"
    scope = f"bench-{uuid.uuid4().hex[:6]}"
    times = []
    try:
        for run in range(runs):
            began = time.perf_counter()
            subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-s", f"s{run}", "-x",
                            "100", "-y", "30", f"{pravechat} --user bench{run} "
                            f"--controller {controller} --scope {scope}"], check=True)  # fmt: skip
            while True:
                capture = ["tmux", "-L", socket, "capture-pane", "-p", "-t", f"s{run}"]
                screen = subprocess.run(capture, capture_output=True, text=True).stdout
                if "you are in #lobby" in screen:
                    times.append(time.perf_counter() - began)
                    break
                if time.perf_counter() - began > 30:
                    raise RuntimeError(f"never ready:\n{screen}")
                time.sleep(0.01)
            subprocess.run(["tmux", "-L", socket, "send-keys", "-t", f"s{run}", "C-q"], check=True)
            time.sleep(1.5)
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], check=False, capture_output=True)
    return times


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--scrollback", type=int, default=100_000)
    parser.add_argument("--controller", default="tcp://127.0.0.1:9090")
    parser.add_argument("--launches", type=int, default=3, help="0 skips the launch timing")
    args = parser.parse_args()
    print("| measure | value |\n| --- | --- |")
    for count in args.burst:
        result = await burst(count, args.scrollback)
        print(f"| burst of {count:,}: all rendered (s) | {result['render_s']:.2f} |")
        print(f"| burst of {count:,}: event-loop lag p50 / p99 / max (ms) | "
              f"{result['lag_p50_ms']:.1f} / {result['lag_p99_ms']:.1f} / "
              f"{result['lag_max_ms']:.1f} |")  # fmt: skip
        print(f"| burst of {count:,}: RSS after, growth (MB) | {result['rss_mb']:.0f}, "
              f"{result['rss_growth_mb']:.0f} |")  # fmt: skip
    launches = launch_to_ready(args.controller, args.launches) if args.launches else []
    if launches:
        shown = ", ".join(f"{t:.2f}" for t in launches)
        print(f"| launch to ready, console script in tmux (s) | {shown} |")


if __name__ == "__main__":
    asyncio.run(main())
