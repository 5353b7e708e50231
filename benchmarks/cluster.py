"""The cluster on one machine (`pravechat server start --cluster`) next to the single durable
server (`--durable`) and the in-memory standalone, in one run: cold start, memory (RSS of
every piece), delivery latency p50/p99.

usage: python -m benchmarks.cluster [--controller URI] [--latency N] [--interval S]

``--controller`` is the in-memory standalone to compare with (its pid is read from
`pravechat server start`'s record when it started it). The durable server and the cluster are
started here, one after the other, on free ports, with their data in a temporary directory.
"""

import asyncio
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.core_path import latency, parse_sizes
from benchmarks.results import percentile, save, table
from pravechat.core.paths import cache_dir, state_dir
from pravechat.core.process import exit_process
from pravechat.core.transport import Transport
from pravechat.server.durable import CLUSTER_LAYOUT, SINGLE, DurablePorts, DurableServer, Layout
from pravechat.server.local import LocalServer
from pravechat.server.ports import quiet_block


def rss_mb(pids: list[int]) -> float:
    """Resident memory of these processes, summed (MB)."""
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines()
                      if line.startswith("VmRSS:"))  # fmt: skip
    return total / 1024


async def measure(layout: Layout, work: Path, count: int, interval: float) -> dict[str, object]:
    server = DurableServer(work / "state", cache_dir(), layout)
    try:
        began = time.monotonic()
        record = server.start(DurablePorts.block(quiet_block(10)), work / "data")
        cold = time.monotonic() - began
        await asyncio.sleep(5)  # settled: what a user finds a moment after start
        memory = rss_mb(list(record.pids.values()))
        transport = Transport.connect(record.uri, f"bench-{uuid.uuid4().hex[:8]}")
        delays = await latency(transport, count, interval)
    finally:
        server.stop()
    return {"cold_s": cold, "rss_mb": memory, "pieces": len(record.pids), "latency_ms": delays}


async def main() -> None:
    args = parse_sizes(__doc__)
    work = Path(tempfile.mkdtemp(prefix="pravechat-cluster-"))
    try:
        single = await measure(SINGLE, work / "durable", args.latency, args.interval)
        cluster = await measure(CLUSTER_LAYOUT, work / "cluster", args.latency, args.interval)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    standalone_delays = await latency(
        Transport.connect(args.controller, f"bench-{uuid.uuid4().hex[:8]}"),
        args.latency,
        args.interval,
    )
    local = LocalServer(state_dir() / "server", cache_dir()).record()
    standalone = {
        "cold_s": None,
        "rss_mb": rss_mb([local.pid]) if local is not None else None,
        "pieces": 1,
        "latency_ms": standalone_delays,
    }
    rows = []
    for name, result in (("cluster", cluster), ("durable", single),
                         ("in-memory standalone", standalone)):  # fmt: skip
        delays = result["latency_ms"]
        assert isinstance(delays, list)
        cold, rss = result["cold_s"], result["rss_mb"]
        rows.append((
            f"{name} ({result['pieces']} JVM{'s' if result['pieces'] != 1 else ''})",
            f"{cold:.1f}" if isinstance(cold, float) else "(not started here)",
            f"{rss:,.0f}" if isinstance(rss, float) else "(not ours)",
            f"{statistics.median(delays):.2f} / {percentile(delays, 0.99):.2f}",
        ))  # fmt: skip
    print(table(["server", "cold start (s)", "RSS (MB)", "latency p50 / p99 (ms)"], rows))
    save("cluster", {"cluster": cluster, "durable": single, "standalone": standalone})


if __name__ == "__main__":
    asyncio.run(main())
    exit_process(0)
