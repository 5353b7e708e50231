"""Core message path through a real Pravega: send-loop rate, reader rate, delivery latency.

usage: python -m benchmarks.core_path [--controller URI] [--messages N] [--latency N]
Prints a markdown table; numbers are from this machine, against whatever server answers.
"""

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
import uuid

from benchmarks.results import percentile
from pravechat.core.process import exit_process
from pravechat.core.protocol import new_message
from pravechat.core.session import RoomSession
from pravechat.core.transport import Transport


async def send_loop_rate(transport: Transport, count: int) -> float:
    """Messages per second of one writer awaiting each acknowledgement (in process)."""
    writer = await transport.open_writer("rate")
    messages = [new_message("rate", "bench", f"message {n}") for n in range(count)]
    began = time.perf_counter()
    for message in messages:
        await writer.send(message)
    return count / (time.perf_counter() - began)


def send_command_rate(controller: str, scope: str, count: int) -> float:
    """Messages per second of `pravechat send -` fed `count` lines, start-up included."""
    lines = "".join(f"line {n}\n" for n in range(count))
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pravechat", "send", "--user=bench", "--room=cmd",
         f"--controller={controller}", f"--scope={scope}", "-"],
        input=lines, text=True, check=True,
    )  # fmt: skip
    return count / (time.perf_counter() - began)


async def reader_rate(transport: Transport, count: int) -> float:
    """Messages per second one returning user catches up on: `count` sent while away."""
    await (await RoomSession.open(transport, "bench-reader", "backlog")).close()
    writer = await transport.open_writer("backlog")
    for n in range(count):
        await writer.send(new_message("backlog", "bench", f"while away {n}"))
    began = time.perf_counter()
    reader = await RoomSession.open(transport, "bench-reader", "backlog")
    try:
        got = 0
        async for delivery in reader:
            got += delivery.unread
            if got == count:
                break
        return count / (time.perf_counter() - began)
    finally:
        await reader.close()


async def latency(transport: Transport, count: int, interval: float) -> list[float]:
    """Milliseconds from send() to delivery in another session, one message per interval."""
    receiver = await RoomSession.open(transport, "bench-receiver", "latency")
    sender = await RoomSession.open(transport, "bench-sender", "latency")
    sent_at: dict[str, float] = {}
    delays: list[float] = []

    async def receive() -> None:
        async for delivery in receiver:
            if delivery.message.sender == "bench-sender":
                delays.append((time.perf_counter() - sent_at[delivery.message.text]) * 1000)
                if len(delays) == count:
                    return

    task = asyncio.create_task(receive())
    try:
        for n in range(count):
            key = f"ping {n}"
            sent_at[key] = time.perf_counter()
            await sender.send(key)
            await asyncio.sleep(interval)
        await asyncio.wait_for(task, 60)
    finally:
        await asyncio.gather(receiver.close(), sender.close())
    return delays


def parse_sizes(description: str | None) -> argparse.Namespace:
    """--controller, --messages, --latency (messages timed) and --interval (between them)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--controller", default="tcp://127.0.0.1:9090")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=0.01)
    return parser.parse_args()


async def main() -> None:
    args = parse_sizes(__doc__)
    scope = f"bench-{uuid.uuid4().hex[:8]}"
    transport = Transport.connect(args.controller, scope)
    rows = [
        ("send loop, in process (msg/s)", f"{await send_loop_rate(transport, args.messages):,.0f}"),
        ("`pravechat send -` incl. start-up (msg/s)",
         f"{send_command_rate(transport.uri, scope, args.messages):,.0f}"),
        ("one reader catching up, join included (msg/s)",
         f"{await reader_rate(transport, args.messages):,.0f}"),
    ]  # fmt: skip
    delays = await latency(transport, args.latency, args.interval)
    rows += [
        (f"delivery latency p50 over {len(delays)} (ms)", f"{statistics.median(delays):.2f}"),
        (f"delivery latency p99 over {len(delays)} (ms)", f"{percentile(delays, 0.99):.2f}"),
        (f"delivery latency max over {len(delays)} (ms)", f"{max(delays):.2f}"),
    ]
    print("| measure | value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    asyncio.run(main())
    exit_process(0)
