"""The cluster benchmark, in a module of its own: it starts a cluster, which must not run
beside test_cluster's."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.durable


def test_the_cluster_benchmark_runs(pravega_uri: str, tmp_path: Path) -> None:
    """At a tiny size, so it cannot rot (it is not in `python -m benchmarks --smoke`)."""
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.cluster", "--controller", pravega_uri,
         "--latency", "20", "--interval", "0"],
        capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "RUST_LOG": "off", "XDG_STATE_HOME": str(tmp_path),
             "PRAVECHAT_BENCH_RESULTS": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "cluster (8 JVMs)" in result.stdout and "durable (4 JVMs)" in result.stdout
