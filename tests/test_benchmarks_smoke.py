"""Every benchmark runs end to end at a tiny size, so `make bench` cannot rot. Nothing here is
timed: the numbers are printed by `make bench`, never asserted."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "args",
    [
        ["benchmarks.core_path", "--messages", "50", "--latency", "20", "--interval", "0"],
        ["benchmarks.ui", "--burst", "300", "--launches", "1"],
        ["benchmarks.rooms", "--rooms", "2"],
        ["benchmarks.presence", "--joins", "2", "--no-vanish"],
    ],
    ids=lambda args: args[0] if isinstance(args, list) else str(args),
)
def test_benchmark_runs_and_prints_a_table(
    args: list[str], pravega_uri: str, tmp_path: Path
) -> None:
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", *args, "--controller", pravega_uri],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) >= 3, result.stdout  # a header, a rule and at least one measure
