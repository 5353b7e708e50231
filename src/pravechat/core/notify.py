"""The user's notification command (``notify_command``), run on a mention: remote text goes
into its arguments, so it is treated as hostile. No shell; no argument that a remote user
controls can start with ``-`` (an option); the Pravega credentials stay out of its
environment; one run at most every NOTIFY_EVERY seconds; killed after NOTIFY_TIMEOUT."""

import asyncio
import contextlib
import os
from collections.abc import Mapping

from pravechat.core.security import (
    AUTH_METHOD_VARIABLE,
    PASSWORD_VARIABLE,
    TLS_CERT_VARIABLE,
    USERNAME_VARIABLE,
)

NOTIFY_EVERY = 5.0
NOTIFY_TIMEOUT = 10.0
SECRET_VARIABLES = frozenset({
    AUTH_METHOD_VARIABLE, USERNAME_VARIABLE, PASSWORD_VARIABLE, TLS_CERT_VARIABLE,
    "PRAVECHAT_PASSWORD", "PRAVECHAT_PASSWORD_FILE", "PRAVECHAT_AUTH_USER",
})  # fmt: skip


def notification_argv(template: list[str], fields: Mapping[str, str]) -> list[str]:
    """The command line for one mention. An argument that a field (remote text) begins
    is kept from reading as an option: ``-rf`` becomes `` -rf``."""
    argv = []
    for part in template:
        filled = part.format_map(fields)
        if filled.startswith("-") and not part.startswith("-"):
            filled = " " + filled
        argv.append(filled)
    return argv


def notification_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    source = os.environ if environ is None else environ
    return {name: value for name, value in source.items() if name not in SECRET_VARIABLES}


class Limiter:
    """At most one event per ``every`` seconds (``now`` from a monotonic clock)."""

    def __init__(self, every: float = NOTIFY_EVERY) -> None:
        self._every = every
        self._last: float | None = None

    def allow(self, now: float) -> bool:
        if self._last is not None and now - self._last < self._every:
            return False
        self._last = now
        return True


async def run_notification(argv: list[str], timeout: float = NOTIFY_TIMEOUT) -> None:
    """Run it quietly (its output never reaches the screen); kill it past ``timeout``."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env=notification_env(),
        )
    except OSError:
        return
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
