"""The notification command runs remote text: no option injection, no secrets, no floods."""

import asyncio
import sys
import time
from pathlib import Path

from pravechat.core.notify import (
    SECRET_VARIABLES,
    Limiter,
    notification_argv,
    notification_env,
    run_notification,
)

TEMPLATE = ["notify-send", "-u", "normal", "{sender} in #{room}", "{text}"]


def test_remote_text_never_reads_as_an_option() -> None:
    fields = {"sender": "mallory", "room": "lobby", "text": "--help; rm -rf /"}
    argv = notification_argv(TEMPLATE, fields)
    assert argv == ["notify-send", "-u", "normal", "mallory in #lobby", " --help; rm -rf /"]
    assert not any(arg.startswith("-") for arg in argv[3:])


def test_the_pravega_credentials_stay_out_of_its_environment() -> None:
    environ = {name: "secret" for name in SECRET_VARIABLES} | {"PATH": "/bin", "HOME": "/h"}
    assert notification_env(environ) == {"PATH": "/bin", "HOME": "/h"}


def test_at_most_one_a_period() -> None:
    limit = Limiter(every=5)
    assert [limit.allow(t) for t in (0, 1, 4.9, 5, 6, 10.5)] == [
        True, False, False, True, False, True,
    ]  # fmt: skip


async def test_a_command_that_hangs_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    script = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(60)"
    began = time.monotonic()
    await run_notification([sys.executable, "-c", script, str(pid_file)], timeout=1.0)
    assert time.monotonic() - began < 30  # it did not run its 60 s
    pid = int(pid_file.read_text())
    assert not Path(f"/proc/{pid}").exists()  # killed and reaped


async def test_a_missing_command_is_no_error() -> None:
    await asyncio.wait_for(run_notification(["/nonexistent/notifier"]), 5)
