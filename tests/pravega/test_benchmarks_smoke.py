"""Every benchmark runs end to end at a tiny size, so `make bench` cannot rot. Nothing here is
timed: the numbers are printed by `make bench`, never asserted."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks.__main__ import SMOKE

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", list(SMOKE))
def test_benchmark_runs_and_prints_a_table(name: str, pravega_uri: str, tmp_path: Path) -> None:
    results = tmp_path / "results"
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path), PRAVECHAT_BENCH_RESULTS=str(results))
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--only", name,
         "--controller", pravega_uri],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) >= 3, result.stdout  # a header, a rule and at least one measure
    assert "## " in (results / "summary.md").read_text()
    for saved in results.glob("*.json"):
        json.loads(saved.read_text())  # whole, parseable results


def test_delivery_counts_every_message_of_every_phase_exactly_once(
    pravega_uri: str, tmp_path: Path
) -> None:
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path), PRAVECHAT_BENCH_RESULTS=str(tmp_path))
    subprocess.run(
        [sys.executable, "-m", "benchmarks.delivery", "--controller", pravega_uri,
         "--receivers", "2", "--phases", "5:5", "40:20", "--start-delay", "4",
         "--systems", "pravechat", "websockets"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    runs = json.loads((tmp_path / "delivery.json").read_text())["runs"]
    ui = runs["pravechat/2"]
    # 40 a second for half a second: A types 10 a second (5 lines), a bot sends the other 15.
    assert ui["r5"]["count"] == 2 * 5 and ui["r40"]["count"] == 2 * 5
    assert ui["r40bot"]["count"] == 2 * 15
    assert all(phase["exactly_once"] for run in runs.values() for phase in run.values())
    assert runs["websockets/2"]["r40"]["count"] == 2 * 20
