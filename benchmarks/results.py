"""Summaries, the bench-results/*.json files and the markdown table every benchmark prints."""

import json
import math
import os
import statistics
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(os.environ.get("PRAVECHAT_BENCH_RESULTS", "bench-results"))


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def summary(values: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max of latencies in ms, and how many there were."""
    return {
        "count": len(values),
        "p50": statistics.median(values) if values else float("nan"),
        "p95": percentile(values, 0.95),
        "p99": percentile(values, 0.99),
        "max": max(values, default=float("nan")),
    }


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and its children (a client is its app and its reader processes)."""
    out = subprocess.run(["ps", "-o", "rss=", "--ppid", str(pid), "-p", str(pid)],
                         capture_output=True, text=True, check=False).stdout  # fmt: skip
    return sum(int(n) for n in out.split()) / 1024


def now_ns() -> int:
    """CLOCK_MONOTONIC: one clock for every process on this machine."""
    return time.monotonic_ns()


def save(name: str, data: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def ms(value: float) -> str:
    return "-" if value != value else f"{value:.1f}"  # NaN: nothing measured
