"""The durable local Pravega (`pravechat server start --durable`) next to the in-memory
standalone: cold start, restart to ready, disk per 10,000 messages, delivery latency.

usage: python -m benchmarks.durable [--controller URI] [--messages N] [--latency N]

``--controller`` is the in-memory server to compare with. The durable one is started here,
on free ports, with its data in a temporary directory that is removed at the end.
"""

import asyncio
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.core_path import latency, parse_sizes
from benchmarks.results import percentile, save, table
from pravechat.core.paths import cache_dir
from pravechat.core.process import exit_process
from pravechat.core.protocol import new_message
from pravechat.core.transport import Transport
from pravechat.server.durable import DurablePorts, DurableServer
from pravechat.server.ports import quiet_port


def disk_kb(path: Path) -> int:
    """Allocated size, as `du` counts it (BookKeeper preallocates its journal files)."""
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


async def fill(transport: Transport, count: int) -> None:
    writer = await transport.open_writer("lobby")
    for start in range(0, count, 1000):
        batch = [new_message("lobby", "bench", f"message {n:07d} " + "x" * 40)
                 for n in range(start, min(start + 1000, count))]  # fmt: skip
        await writer.send_batch(batch)


async def delays(uri: str, count: int, interval: float) -> list[float]:
    return await latency(Transport.connect(uri, f"bench-{uuid.uuid4().hex[:8]}"), count, interval)


async def main() -> None:
    args = parse_sizes(__doc__)
    work = Path(tempfile.mkdtemp(prefix="pravechat-durable-"))
    server = DurableServer(work / "state", cache_dir())
    ports = DurablePorts(*(quiet_port() for _ in range(5)))
    data = work / "data"
    try:
        began = time.monotonic()
        record = server.start(ports, data)
        cold = time.monotonic() - began
        empty = disk_kb(data)
        await fill(Transport.connect(record.uri, "bench-fill"), args.messages)
        await asyncio.sleep(
            5
        )  # the segment store moves data to long-term storage in the background
        filled = disk_kb(data)
        durable = await delays(record.uri, args.latency, args.interval)
        memory = await delays(args.controller, args.latency, args.interval)
        began = time.monotonic()
        server.stop()
        stopped = time.monotonic() - began
        settled = disk_kb(data)  # the bookie's entry log and long-term storage, flushed too
        began = time.monotonic()
        server.start(ports, data)
        restart = time.monotonic() - began
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    per_10k = (settled - empty) / 1024 * 10_000 / args.messages
    rows = [
        ("cold start, empty data directory (s)", f"{cold:.1f}"),
        ("stop (s)", f"{stopped:.1f}"),
        (f"restart to ready, {args.messages:,} messages kept (s)", f"{restart:.1f}"),
        (f"disk: empty, {args.messages:,} messages written 5 s ago, after the stop (MB)",
         f"{empty / 1024:.1f}, {filled / 1024:.1f}, {settled / 1024:.1f}"),
        ("disk per 10,000 messages, after the stop (MB)", f"{per_10k:.1f}"),
    ]  # fmt: skip
    for name, values in (("durable", durable), ("in-memory standalone", memory)):
        p50, p99 = statistics.median(values), percentile(values, 0.99)
        rows.append((f"delivery latency p50 / p99, {name} (ms)", f"{p50:.2f} / {p99:.2f}"))
    print(table(["measure", "value"], rows))
    save("durable", {"cold_s": cold, "restart_s": restart, "stop_s": stopped,
                     "disk_empty_kb": empty, "disk_filled_kb": filled, "disk_settled_kb": settled,
                     "messages": args.messages,
                     "latency_durable_ms": durable, "latency_memory_ms": memory})  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
    exit_process(0)
