"""Delivery latency, from Enter in one client to the line on another client's screen.

usage: python -m benchmarks.delivery [--controller URI] [--receivers 1 10]
                                     [--phases RATE:COUNT ...] [--typist RATE] [--systems ...]

Every client is a process of its own on this machine; pravechat's are the real app, headless.
Client A pastes a line and presses Enter ``--typist`` times a second (no person types faster);
when a phase's rate is higher, a bot (pravechat's core, another process) sends the rest, so the
room carries the full rate. Both kinds of line are timed: A's from Enter, the bot's from its
send call. In the same run three baselines carry the same load from one sender: (a) pravechat's
own binding (``pravechat._pravega``) alone, write to read, the floor of the transport; (b) the
stock ``pravega_client`` it replaced (Python 3.11 only); (c) a ``websockets`` broadcast server
on loopback. "pravechat core" is pravechat without a screen: sessions at both ends.
"""

import argparse
import importlib.util
import socket
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from benchmarks.agent import Agents, Phase
from benchmarks.results import ms, now_ns, save, summary, table
from pravechat.core.process import exit_process
from pravechat.core.transport import Transport

MODULES = {
    "pravechat": "benchmarks.agent_ui",
    "pravechat core": "benchmarks.agent_core",
    "own binding": "benchmarks.agent_binding",
    "pravega_client": "benchmarks.agent_raw",
    "websockets": "benchmarks.agent_ws",
}
FLOORS = ["own binding", "pravega_client"]
"""Raw transports, no pravechat code on the path: pravechat's own binding (what it stands on)
and the stock binding it replaced."""
BOT = "benchmarks.agent_core"
START_DELAY_S = 10.0
"""Senders start together this long after launch: time for every client to join."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _endpoint(system: str, uri: str, receivers: int, agents: Agents) -> list[str]:
    """Where this system's clients connect: the arguments before each agent's own."""
    scope = f"bench-{uuid.uuid4().hex[:8]}"
    if system.startswith("pravechat") or system == "own binding":
        return [uri, scope, f"latency{receivers}"]
    if system == "pravega_client":
        return [uri, scope, Transport.connect(uri, scope).ensure_stream(f"latency{receivers}")]
    port = str(_free_port())
    agents.start(MODULES[system], "relay", "server", port)
    agents.wait(["relay"], "ready", 30)
    return [port]


def _split(phases: list[Phase], typist: float) -> tuple[list[Phase], list[Phase]]:
    """Client A's share of each phase, and the bot's (the rest, over the same duration)."""
    typed, bot = [], []
    for phase in phases:
        seconds = phase.count / phase.rate
        rate = min(phase.rate, typist)
        typed.append(Phase(phase.tag, rate, round(rate * seconds)))
        rest = phase.rate - rate
        bot.append(
            Phase(f"{phase.tag}bot", rest, round(rest * seconds))
            if rest > 0
            else Phase(f"{phase.tag}bot", 0.0, 0, idle_seconds=seconds)  # keeps in step with A
        )
    return typed, bot


def _start_senders(system: str, endpoint: list[str], phases: list[Phase], typist: float,
                   agents: Agents, delay: float) -> list[str]:  # fmt: skip
    def specs(of: list[Phase]) -> list[str]:
        return [p.spec for p in of]

    start = str(now_ns() + int(delay * 1e9))
    if system == "pravechat":
        typed, bot = _split(phases, typist)
        agents.start(MODULES[system], "tx", "sender", *endpoint, "tx", start, *specs(typed))
        if any(p.count for p in bot):  # phase by phase in step with A; A's DONE comes last
            agents.start(BOT, "bot", "sender", *endpoint, "bot", "bot", start, *specs(bot))
            return ["tx", "bot"]
        return ["tx"]
    if system in ("pravechat core", "own binding"):
        agents.start(MODULES[system], "tx", "sender", *endpoint, "tx", "w0", start, "--done",
                     *specs(phases))  # fmt: skip
        return ["tx"]
    agents.start(MODULES[system], "tx", "sender", *endpoint, *specs(phases))
    return ["tx"]


def _receiver_args(system: str, name: str) -> list[str]:
    return {"pravechat": [name], "pravechat core": [name, "1"], "own binding": [name, "1"]}.get(
        system, []
    )


def measure(system: str, uri: str, receivers: int, phases: list[Phase], typist: float,
            delay: float = START_DELAY_S) -> dict[str, Any]:  # fmt: skip
    duration = sum(p.count / p.rate + 1 for p in phases) + delay
    with tempfile.TemporaryDirectory(prefix="pravechat-bench-") as out:
        agents = Agents(Path(out))
        try:
            endpoint = _endpoint(system, uri, receivers, agents)
            names = [f"rx{n}" for n in range(receivers)]
            for name in names:
                agents.start(MODULES[system], name, "receiver", *endpoint,
                             *_receiver_args(system, name))  # fmt: skip
            agents.wait(names, "ready", 180)
            senders = _start_senders(system, endpoint, phases, typist, agents, delay)
            results = agents.wait(names, "json", duration + 300)
            agents.wait(senders, "json", 60)
        finally:
            agents.stop()
    measured: dict[str, Any] = {}
    for tag in sorted({tag for result in results for tag in result}, key=_phase_order):
        per_receiver = [result.get(tag, {}) for result in results]
        latencies = [v for r in per_receiver for v in r.get("latencies_ms", [])]
        exactly_once = (
            all(
                r.get("received") == r.get("expected") and r.get("duplicates") == 0
                for r in per_receiver
            )
            and len(per_receiver) == receivers
        )
        rate = next(p.rate for p in phases if tag.removesuffix("bot") == p.tag)
        measured[tag] = {"rate": rate, "bot": tag.endswith("bot"), **summary(latencies),
                         "exactly_once": exactly_once}  # fmt: skip
    return measured


def _phase_order(tag: str) -> tuple[float, str]:
    return float(tag[1:].removesuffix("bot")), tag


def report(runs: dict[str, dict[str, Any]]) -> str:
    rows = []
    for key, phases in runs.items():
        system, receivers = key.split("/")
        for m in phases.values():
            who = f"{system} (bot lines)" if m["bot"] else system
            rows.append(
                [
                    who,
                    receivers,
                    f"{m['rate']:g}",
                    ms(m["p50"]),
                    ms(m["p95"]),
                    ms(m["p99"]),
                    ms(m["max"]),
                    "yes" if m["exactly_once"] else "NO",
                ]
            )
    header = ["system", "receivers", "room msg/s", "p50 ms", "p95 ms", "p99 ms", "max ms",
              "all delivered once"]  # fmt: skip
    lines = [table(header, rows), ""]
    ratios = []
    for key, phases in runs.items():
        system, receivers = key.split("/")
        # The screen's cost shows against the core (no screen), the transport's against the
        # floors.
        references = [*FLOORS, "pravechat core"] if system == "pravechat" else FLOORS
        for baseline in references:
            floor = runs.get(f"{baseline}/{receivers}")
            if not system.startswith("pravechat") or floor is None:
                continue
            for tag, m in phases.items():
                if not m["bot"] and tag in floor:
                    ratios.append([system, baseline, receivers, f"{m['rate']:g}",
                                   f"{m['p50'] / floor[tag]['p50']:.1f}x",
                                   f"{m['p99'] / floor[tag]['p99']:.1f}x"])  # fmt: skip
    if ratios:
        header = ["system", "reference", "receivers", "room msg/s", "p50 / reference p50",
                  "p99 / reference p99"]  # fmt: skip
        lines += [table(header, ratios), ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--controller", default="tcp://127.0.0.1:9090")
    parser.add_argument("--receivers", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--phases", nargs="+", default=["10:100", "100:1000", "1000:5000"])
    parser.add_argument("--typist", type=float, default=10, help="client A's lines per second")
    parser.add_argument("--systems", nargs="+", default=list(MODULES), choices=list(MODULES))
    parser.add_argument(
        "--start-delay",
        type=float,
        default=START_DELAY_S,
        help="seconds from launching the senders to their first message",
    )
    args = parser.parse_args()
    phases = [Phase.parse(spec) for spec in args.phases]
    if "pravega_client" in args.systems and importlib.util.find_spec("pravega_client") is None:
        # The stock binding (extra 'baseline') has wheels up to Python 3.11 only.
        print("pravega_client is not installed here: its baseline is left out", file=sys.stderr)
        args.systems.remove("pravega_client")
    runs = {}
    for receivers in args.receivers:
        for system in args.systems:
            runs[f"{system}/{receivers}"] = measure(system, args.controller, receivers, phases,
                                                    args.typist, args.start_delay)  # fmt: skip
    save("delivery", {"phases": args.phases, "typist": args.typist, "runs": runs})
    print(report(runs))


if __name__ == "__main__":
    main()
    exit_process(0)
