"""What every benchmark agent shares: the message format, the recorder, the schedule, and the
files through which an agent tells the orchestrator it is ready and what it measured.

Agents are separate processes (a client each, as on a real machine). They time with
CLOCK_MONOTONIC, which all processes of one machine share, so a sender stamps each message with
its clock and a receiver subtracts: no clock sync is involved.
"""

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.results import now_ns

DONE = "bench done"


def stamp(tag: str, writer: str, seq: int) -> str:
    return f"{tag} {writer} {seq} {now_ns()}"


def end_marker(tag: str, writer: str, count: int) -> str:
    return f"{tag} {writer} end {count}"


@dataclass
class Phase:
    """``count`` messages at ``rate`` per second, all tagged ``tag``: ``[TAG@]RATE:COUNT``;
    or, with ``TAG@idle:SECONDS``, nothing for as long as another sender's phase lasts."""

    tag: str
    rate: float
    count: int
    idle_seconds: float = 0.0

    @classmethod
    def parse(cls, spec: str) -> "Phase":
        tag, _, load = spec.rpartition("@")
        rate, count = load.split(":")
        if rate == "idle":
            return cls(tag, 0.0, 0, float(count))
        return cls(tag or f"r{rate}", float(rate), int(count))

    @property
    def spec(self) -> str:
        if self.idle_seconds:
            return f"{self.tag}@idle:{self.idle_seconds:g}"
        return f"{self.tag}@{self.rate:g}:{self.count}"


@dataclass
class _Tally:
    latencies_ms: list[float] = field(default_factory=list)
    seen: set[tuple[str, int]] = field(default_factory=set)
    duplicates: int = 0
    expected: dict[str, int] = field(default_factory=dict)


class Recorder:
    """Latency per tag, and whether every message arrived exactly once."""

    def __init__(self, writers: int = 1) -> None:
        self.writers = writers
        self.tallies: dict[str, _Tally] = defaultdict(_Tally)
        self.completed: list[str] = []
        self.done = False

    def feed(self, text: str, at_ns: int) -> None:
        if text == DONE:
            self.done = True
            return
        parts = text.split()
        if len(parts) != 4:
            return  # not ours
        tag, writer, seq, value = parts
        tally = self.tallies[tag]
        if seq == "end":
            tally.expected[writer] = int(value)
            if len(tally.expected) == self.writers:
                self.completed.append(tag)
            return
        key = (writer, int(seq))
        if key in tally.seen:
            tally.duplicates += 1
            return
        tally.seen.add(key)
        tally.latencies_ms.append((at_ns - int(value)) / 1e6)

    def result(self, tag: str) -> dict[str, Any]:
        tally = self.tallies[tag]
        return {
            "latencies_ms": tally.latencies_ms,
            "received": len(tally.seen),
            "expected": sum(tally.expected.values()),
            "duplicates": tally.duplicates,
        }

    def results(self) -> dict[str, Any]:
        return {tag: self.result(tag) for tag in self.tallies}


async def send_phases(
    send: Callable[[str], Awaitable[None]], phases: Sequence[Phase], writer: str = "w0",
    pause: float = 1.0,
) -> list[float]:  # fmt: skip
    """As send_phases_batched, one message at a time (as a person sends them)."""

    async def one_by_one(texts: list[str]) -> None:
        for text in texts:
            await send(text)

    return await send_phases_batched(one_by_one, phases, writer, pause)


async def send_phases_batched(
    send_batch: Callable[[list[str]], Awaitable[None]], phases: Sequence[Phase],
    writer: str = "w0", pause: float = 1.0,
) -> list[float]:  # fmt: skip
    """Open loop: message n of a phase is due at n/rate, and whatever is due goes out as one
    batch. A sender that falls behind catches up, and the delay shows in the latency rather
    than being hidden by a slower schedule (each message is stamped when it is due or later).
    Returns how long each phase took to send, which says whether the rate was offered."""
    took = []
    for phase in phases:
        if phase.idle_seconds:
            await asyncio.sleep(phase.idle_seconds + pause)
            continue
        began = time.monotonic()
        sent = 0
        while sent < phase.count:
            now = time.monotonic()
            due = min(phase.count, int((now - began) * phase.rate) + 1)
            if due > sent:
                await send_batch([stamp(phase.tag, writer, seq) for seq in range(sent, due)])
                sent = due
            else:
                await asyncio.sleep(began + sent / phase.rate - now)
        took.append(time.monotonic() - began)
        await send_batch([end_marker(phase.tag, writer, phase.count)])
        await asyncio.sleep(pause)
    return took


# --- files between an agent and the orchestrator ----------------------------------------------


@dataclass
class AgentFiles:
    out: Path
    name: str

    def ready(self, **data: Any) -> None:
        self._write(f"{self.name}.ready", data)

    def done(self, data: dict[str, Any], suffix: str = "json") -> None:
        self._write(f"{self.name}.{suffix}", data)

    def _write(self, filename: str, data: dict[str, Any]) -> None:
        partial = self.out / f".{filename}.partial"
        partial.write_text(json.dumps(data))
        partial.rename(self.out / filename)  # whole or absent, never half-written


def agent_arguments(argv: Sequence[str]) -> tuple[AgentFiles, list[str]]:
    """``--out DIR --name NAME`` first, then the agent's own arguments."""
    if len(argv) < 4 or argv[0] != "--out" or argv[2] != "--name":
        raise SystemExit("usage: --out DIR --name NAME ...")
    return AgentFiles(Path(argv[1]), argv[3]), list(argv[4:])


@dataclass(frozen=True)
class SenderArguments:
    writer: str
    start_ns: int
    phases: list[Phase]
    done: bool


def sender_arguments(rest: Sequence[str]) -> SenderArguments:
    """``WRITER START_NS RATE:COUNT... [--done]``, as the room senders take them."""
    writer, start, *specs = (arg for arg in rest if arg != "--done")
    return SenderArguments(writer, int(start), [Phase.parse(s) for s in specs], "--done" in rest)


async def run_sender(
    files: "AgentFiles", send_batch: Callable[[list[str]], Awaitable[None]],
    sender: SenderArguments,
) -> None:  # fmt: skip
    """Ready, then from START_NS the phases as pipelined batches (send_phases_batched), the
    run's end marker if asked, and what was sent and how long it took."""
    files.ready()
    await asyncio.sleep(max(0.0, (sender.start_ns - now_ns()) / 1e9))
    took = await send_phases_batched(send_batch, sender.phases, sender.writer)
    if sender.done:
        await send_batch([DONE])
    files.done({"sent": [p.count for p in sender.phases], "seconds": took})


class Agents:
    """Start agent processes and wait on their files; kill what is left when done."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, module: str, name: str, *args: str) -> subprocess.Popen[bytes]:
        with (self.out / f"{name}.stderr").open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", module, "--out", str(self.out), "--name", name, *args],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                env=dict(os.environ, PYTHONUNBUFFERED="1"),
            )  # fmt: skip
        self.processes[name] = process
        return process

    def wait(self, names: Sequence[str], suffix: str, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        found: dict[str, dict[str, Any]] = {}
        while len(found) < len(names):
            for name in names:
                path = self.out / f"{name}.{suffix}"
                if name not in found and path.exists():
                    found[name] = json.loads(path.read_text())
                elif name not in found and self.processes[name].poll() not in (None, 0):
                    raise RuntimeError(f"agent {name} failed:\n{self.stderr(name)}")
            if time.monotonic() > deadline:
                missing = [n for n in names if n not in found]
                raise TimeoutError(f"no {suffix} from {missing}:\n{self.stderr(missing[0])}")
            time.sleep(0.01)
        return [found[name] for name in names]

    def stderr(self, name: str) -> str:
        return (self.out / f"{name}.stderr").read_text(errors="replace")[-2000:]

    def stop(self, grace: float = 5.0) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
