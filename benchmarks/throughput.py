"""Throughput: the highest rate one room sustains with W writers and 10 readers.

usage: python -m benchmarks.throughput [--controller URI] [--writers 1 4] [--readers 10]
                                       [--rates 250 500 ...] [--seconds 5] [--systems ...]

For pravechat core, writers are bots on pravechat's core (RoomWriter, a process each) and
readers are RoomSessions (a process each). In the same run, the baseline "own binding" does
the same with pravechat's binding alone (benchmarks.agent_binding: no pravechat Python on the
path). The offered rate climbs step by step; a step is sustained when the writers offered it,
every reader got every message exactly once, and p99 delivery stayed under 100 ms. The climb
stops at the first step that is not.
"""

import argparse
import tempfile
import uuid
from pathlib import Path
from typing import Any

from benchmarks.agent import Agents
from benchmarks.results import ms, now_ns, save, summary, table
from pravechat.core.process import exit_process

MODULES = {"pravechat core": "benchmarks.agent_core", "own binding": "benchmarks.agent_binding"}
P99_LIMIT_MS = 100.0
OFFERED_FRACTION = 0.95
"""A step counts as offered when the writers sent it at 95% of its rate or better."""


def climb(
    module: str, uri: str, writers: int, readers: int, rates: list[int], seconds: float
) -> list[dict[str, Any]]:
    scope = f"bench-{uuid.uuid4().hex[:8]}"
    room = f"throughput{writers}"
    steps: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="pravechat-bench-") as out:
        agents = Agents(Path(out))
        try:
            names = [f"rx{n}" for n in range(readers)]
            for name in names:
                agents.start(module, name, "receiver", uri, scope, room, name, str(writers))
            agents.wait(names, "ready", 180)
            for rate in rates:
                step = _step(agents, module, uri, scope, room, names, writers, rate, seconds)
                steps.append(step)
                if not step["sustained"]:
                    break
        finally:
            agents.stop()
    return steps


def _step(agents: Agents, module: str, uri: str, scope: str, room: str, readers: list[str],
          writers: int, rate: int, seconds: float) -> dict[str, Any]:  # fmt: skip
    tag = f"s{rate}"
    each = rate / writers
    count = round(each * seconds)
    start = str(now_ns() + 3 * 10**9)
    senders = [f"{tag}w{n}" for n in range(writers)]
    for n, name in enumerate(senders):
        agents.start(module, name, "sender", uri, scope, room, f"bot{n}", f"w{n}", start,
                     f"{tag}@{each:g}:{count}")  # fmt: skip
    sent = agents.wait(senders, "json", seconds * 20 + 120)
    offered = writers * count / max(s["seconds"][0] for s in sent)
    results = agents.wait(readers, tag, seconds * 20 + 120)
    latencies = [v for r in results for v in r["latencies_ms"]]
    exactly_once = all(
        r["received"] == r["expected"] == writers * count and r["duplicates"] == 0 for r in results
    )
    stats = summary(latencies)
    sustained = exactly_once and stats["p99"] < P99_LIMIT_MS and offered >= OFFERED_FRACTION * rate
    worst = [round(max(r["latencies_ms"], default=0.0), 1) for r in results]
    return {"rate": rate, "offered": offered, "exactly_once": exactly_once, **stats,
            "sustained": sustained, "max_ms_per_reader": worst}  # fmt: skip


def _best(steps: list[dict[str, Any]]) -> int:
    return max((s["rate"] for s in steps if s["sustained"]), default=0)


def report(runs: dict[str, list[dict[str, Any]]], readers: int) -> str:
    rows = []
    for key, steps in runs.items():
        system, writers = key.split("/")
        best = _best(steps)
        for s in steps:
            rows.append([system, writers, readers, f"{s['rate']:,}", f"{s['offered']:,.0f}",
                         "yes" if s["exactly_once"] else "NO", ms(s["p50"]), ms(s["p99"]),
                         ms(s["max"]), "yes" if s["sustained"] else "no",
                         f"{best:,}" if s is steps[-1] else ""])  # fmt: skip
    header = ["system", "writers", "readers", "target msg/s", "offered msg/s", "all once", "p50 ms",
              "p99 ms", "max ms", "sustained", "highest sustained"]  # fmt: skip
    lines = [table(header, rows), ""]
    for key, steps in runs.items():
        system, writers = key.split("/")
        floor = runs.get(f"own binding/{writers}")
        if system != "own binding" and floor and _best(floor):
            lines.append(f"{system}, {writers} writer(s): highest sustained {_best(steps):,} "
                         f"msg/s = {_best(steps) / _best(floor):.0%} of own binding's "
                         f"{_best(floor):,}")  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--controller", default="tcp://127.0.0.1:9090")
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--readers", type=int, default=10)
    parser.add_argument("--rates", type=int, nargs="+",
                        default=[250, 500, 1000, 2000, 4000, 8000, 16000])  # fmt: skip
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--systems", nargs="+", default=list(MODULES), choices=list(MODULES))
    args = parser.parse_args()
    runs = {f"{system}/{w}": climb(MODULES[system], args.controller, w, args.readers, args.rates,
                                   args.seconds)
            for w in args.writers for system in args.systems}  # fmt: skip
    save("throughput", {"readers": args.readers, "seconds": args.seconds, "runs": runs})
    print(report(runs, args.readers))


if __name__ == "__main__":
    main()
    exit_process(0)
