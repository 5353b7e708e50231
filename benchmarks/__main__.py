"""Run every benchmark, one after another, against one server: ``make bench``.

usage: python -m benchmarks [--controller URI] [--smoke] [--only NAME ...]

Each benchmark prints its markdown table and writes bench-results/NAME.json (the directory is
PRAVECHAT_BENCH_RESULTS when set); the tables together go to bench-results/summary.md.
``--smoke`` runs each at a tiny size, so that `make test` proves they all still work (but the
durable server's and the cluster's, which start their JVMs: `make test-durable` runs them).
"""

import argparse
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime

from benchmarks.results import RESULTS_DIR

FULL: dict[str, list[str]] = {
    "delivery": [],
    "throughput": [],
    "ingest": [],
    "startup": [],
    "core_path": [],
    "rooms": [],
    "presence": [],
    "durable": [],
    "signing": [],
    "search": [],
    "annotations": [],
    "streamcli": [],
    "cluster": [],
}
SMOKE: dict[str, list[str]] = {
    "delivery": ["--receivers", "1", "--phases", "20:10", "--start-delay", "4"],
    "throughput": ["--writers", "1", "--readers", "2", "--rates", "100", "--seconds", "1"],
    "ingest": ["--burst", "300"],
    "startup": ["--history", "0", "200", "--runs", "1"],
    "core_path": ["--messages", "50", "--latency", "20", "--interval", "0"],
    "rooms": ["--rooms", "2", "--history", "5"],
    "presence": ["--joins", "2", "--no-vanish", "--fakes", "200"],
    "signing": ["--messages", "20", "--history", "20"],
    "search": ["--sizes", "2000"],
    "annotations": ["--events", "10", "--history", "100"],
    "streamcli": ["--lines", "5", "--backlog", "200"],
}
TITLES = {
    "delivery": "Delivery latency, Enter to screen",
    "throughput": "Throughput of one room",
    "ingest": "UI ingest of a burst",
    "startup": "Startup and memory",
    "core_path": "Core message path",
    "rooms": "Rooms followed at once",
    "presence": "Presence",
    "durable": "Durable local Pravega",
    "signing": "Signatures and encryption per message",
    "search": "Searching a whole room",
    "annotations": "Replies, reactions, edits: delivery cost",
    "streamcli": "StreamCli conversations: latency, burst, newcomer",
    "cluster": "A cluster on one machine next to the durable server and the standalone",
}


def _machine() -> str:
    cpus = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    return f"{platform.node()}, {cpus} CPUs, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--controller", default="tcp://127.0.0.1:9090")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--only", nargs="+", choices=list(FULL), default=list(FULL))
    args = parser.parse_args()
    sizes = SMOKE if args.smoke else FULL
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = [f"# pravechat benchmarks, {started}\n\n{_machine()}\n"]
    for name in (name for name in args.only if name in sizes):
        print(f"## {TITLES[name]} (benchmarks/{name}.py)", flush=True)
        began = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", f"benchmarks.{name}", "--controller", args.controller,
             *sizes[name]],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        took = time.monotonic() - began
        if result.returncode != 0:
            print(result.stdout + result.stderr[-3000:], file=sys.stderr)
            print(f"benchmarks.{name} failed (exit {result.returncode})", file=sys.stderr)
            return 1
        print(result.stdout, flush=True)
        sections.append(f"## {TITLES[name]}\n\n`benchmarks/{name}.py`, {took:.0f} s\n\n"
                        f"{result.stdout.strip()}\n")  # fmt: skip
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "summary.md").write_text("\n".join(sections))
    print(f"tables: {RESULTS_DIR / 'summary.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
