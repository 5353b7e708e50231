"""Helpers shared by the tests."""

import os
import socket
import subprocess
import sys
from collections.abc import Mapping


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``pravechat ARGS`` as a user would, in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "pravechat", *args],
        env=dict(env if env is not None else os.environ, RUST_LOG="off"),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
