"""Startup and memory of one client, against rooms holding 0 to 1,000,000 messages.

usage: python -m benchmarks.startup [--controller URI] [--history 0 10000 ...] [--runs 3]

Each client is the real app, headless, in a process of its own, timed from the moment the
process is started until its screen shows the room. Two kinds of user: a newcomer (sees the
last ``history`` messages, 1,000 by default) and a returning user who has missed every message
of the room, timed until all of them are on screen, or, when the client loads only the last
of them and estimates the rest (0.3 on), until those it loads are. Memory is the RSS of the client's
processes (the app and its reader processes) once it is ready.
"""

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.agent import Agents
from benchmarks.results import now_ns, save, table, tree_rss_mb
from pravechat.core.process import exit_process
from pravechat.core.protocol import new_message
from pravechat.core.transport import Transport

MODULE = "benchmarks.agent_ui"
FILL_BATCH = 10_000


async def fill(transport: Transport, room: str, count: int) -> float:
    """Write ``count`` messages from 50 senders; returns messages per second."""
    writer = await transport.open_writer(room)
    began = time.perf_counter()
    for start in range(0, count, FILL_BATCH):
        await writer.send_batch([
            new_message(room, f"user{n % 50}", f"history message number {n}, some words long")
            for n in range(start, min(count, start + FILL_BATCH))
        ])  # fmt: skip
    return count / (time.perf_counter() - began) if count else 0.0


def launch(agents: Agents, uri: str, scope: str, room: str, user: str,
           unread: int) -> dict[str, Any]:  # fmt: skip
    """Start a client, wait until ready, measure it, stop it (it saves its position)."""
    name = f"{user}-{uuid.uuid4().hex[:6]}"
    began = now_ns()
    process = agents.start(MODULE, name, "client", uri, scope, room, user, str(unread))
    [ready] = agents.wait([name], "ready", 900)
    time.sleep(0.5)  # let it settle: what stays is what a user's machine carries
    rss = tree_rss_mb(process.pid)
    agents.stop()
    return {"ready_s": (ready["ready_ns"] - began) / 1e9, "history": ready["history"],
            "unread": ready["unread"], "missed": ready.get("missed", 0), "rss_mb": rss}  # fmt: skip


def history_command(uri: str, scope: str, room: str, runs: int) -> list[float]:
    """Seconds each ``pravechat history ROOM --limit 50`` takes, process start to exit."""
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        printed = subprocess.run(
            [sys.executable, "-m", "pravechat", "history", room, "--limit", "50",
             "--controller", uri, "--scope", scope],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        times.append(time.perf_counter() - began)
        assert len(printed.stdout.splitlines()) == min(50, int(room.removeprefix("history")))
    return times


def measure(uri: str, count: int, runs: int) -> dict[str, Any]:
    scope = f"bench-{uuid.uuid4().hex[:8]}"
    room = f"history{count}"
    transport = Transport.connect(uri, scope)
    with tempfile.TemporaryDirectory(prefix="pravechat-bench-") as out:
        agents = Agents(Path(out))
        try:
            launch(agents, uri, scope, room, "back", 0)  # its reader group starts at 0
            rate = asyncio.run(fill(transport, room, count))
            newcomers = [launch(agents, uri, scope, room, f"new{n}", 0) for n in range(runs)]
            returning = launch(agents, uri, scope, room, "back", count)
            history = history_command(uri, scope, room, runs)
        finally:
            agents.stop()
    return {"messages": count, "fill_msg_per_s": rate, "newcomer": newcomers,
            "returning": returning, "history_command_s": history}  # fmt: skip


def report(levels: list[dict[str, Any]]) -> str:
    rows = []
    for level in levels:
        new = level["newcomer"]
        back = level["returning"]
        times = ", ".join(f"{n['ready_s']:.2f}" for n in new)
        rows.append(
            [
                f"{level['messages']:,}",
                f"{statistics.median(n['ready_s'] for n in new):.2f} ({times})",
                f"{new[0]['history']:,}",
                f"{statistics.median(n['rss_mb'] for n in new):.0f}",
                f"{back['ready_s']:.2f}",
                f"{back['unread']:,}"
                + (f" (+ ~{back['missed']:,} not loaded)" if back.get("missed") else ""),
                f"{back['rss_mb']:.0f}",
                f"{statistics.median(level['history_command_s']):.2f}",
            ]
        )
    header = ["messages in room", "newcomer: launch to ready s, median (runs)", "history shown",
              "newcomer RSS MB", "returning: launch to all shown s", "missed shown",
              "returning RSS MB", "`history --limit 50` s, median"]  # fmt: skip
    return table(header, rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--controller", default="tcp://127.0.0.1:9090")
    parser.add_argument("--history", type=int, nargs="+",
                        default=[0, 10_000, 100_000, 1_000_000])  # fmt: skip
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    levels = [measure(args.controller, count, args.runs) for count in args.history]
    save("startup", {"levels": levels})
    print(report(levels))


if __name__ == "__main__":
    main()
    exit_process(0)
