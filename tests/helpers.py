"""Helpers shared by the tests."""

import asyncio
import os
import pty
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pravechat import _pravega
from pravechat.core.names import reader_group_name, room_stream
from pravechat.core.session import Delivery, RoomSession, SessionStatus
from tests.fakes import FakeChat, FakePresence

if TYPE_CHECKING:
    from pravechat.ui.app import PravechatApp


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 300, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run ``pravechat ARGS`` as a user would, in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "pravechat", *args],
        env=dict(env if env is not None else os.environ, RUST_LOG="off"),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_cli_in_a_terminal(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``pravechat ARGS`` with a terminal as its stdin and stdout (stderr captured), as
    the chat needs one."""
    main, terminal = pty.openpty()
    try:
        return subprocess.run(
            [sys.executable, "-m", "pravechat", *args],
            env=dict(env if env is not None else os.environ, RUST_LOG="off"),
            stdin=terminal,
            stdout=terminal,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(main)


def pane_text(tmux: list[str], pane: str) -> str:
    return subprocess.run(
        [*tmux, "capture-pane", "-p", "-t", pane], capture_output=True, text=True, check=True
    ).stdout


def wait_for_pane(tmux: list[str], pane: str, text: str, seconds: float = 45) -> str:
    """The pane's screen once it shows ``text``; fails the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        screen = pane_text(tmux, pane)
        if text in screen:
            return screen
        time.sleep(0.2)
    pytest.fail(f"{text!r} never appeared in pane {pane}:\n{pane_text(tmux, pane)}")


def reader_offline(uri: str, scope: str, user: str, room: str = "lobby") -> None:
    """Wait until ``user``'s reader group of ``room`` has no online reader: its reader went
    offline (saving the position), as asked by Pravega itself."""
    group = _pravega.Client(uri).reader_group(
        scope, reader_group_name(user, room), room_stream(room), "tail"
    )
    deadline = time.monotonic() + 10
    while (online := group.online_readers()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert online == [], f"{user}'s reader of {room} is still online: {online}"


async def settled(pilot: Any, app: "PravechatApp") -> None:
    """The app's room is joined, its history shown and the view settled at the bottom (a
    loaded machine takes its time)."""
    log = app.chat_log
    async with asyncio.timeout(30):
        while not (
            app.current.session is not None and log.following and log.scroll_y == log.max_scroll_y
        ):
            await pilot.pause(0.05)
    await pilot.pause()


def open_to_others(root: Path) -> list[str]:
    """What under ``root`` (itself included) its owner's group or anyone else may open."""
    found = [root, *root.rglob("*")] if root.exists() else []
    return [f"{oct(p.lstat().st_mode & 0o777)} {p}" for p in found
            if not p.is_symlink() and p.lstat().st_mode & 0o077]  # fmt: skip


def presence_app(typing: bool = False) -> tuple["PravechatApp", FakeChat, FakePresence]:
    """tim's app in #lobby over fake sessions, with presence a test feeds in."""
    from pravechat.ui.app import PravechatApp

    chat, presence = FakeChat("tim"), FakePresence()

    async def open_presence() -> FakePresence:
        return presence

    app = PravechatApp(
        "tim", "lobby", chat.connect, chat.list_rooms, presence=open_presence, typing=typing
    )
    return app, chat, presence


class Watched:
    """A session with what it delivered and every status it reported."""

    def __init__(self, session: RoomSession) -> None:
        self.session = session
        self.statuses: list[SessionStatus] = []
        self.delivered: list[Delivery] = []
        session.on_status = self.statuses.append
        self._task = asyncio.get_running_loop().create_task(self._collect())

    async def _collect(self) -> None:
        async for batch in self.session.batches():
            self.delivered.extend(batch)

    def texts(self) -> list[str]:
        return [d.message.text for d in self.delivered]

    async def holds(self, count: int) -> None:
        user = self.session.user
        await self.wait_for(f"{user} to hold {count}", lambda: len(self.texts()) >= count)

    async def reaches(self, state: str) -> None:
        user = self.session.user
        await self.wait_for(f"{user} {state}", lambda: self.session.state == state)

    async def wait_for(self, what: str, condition: Callable[[], bool], timeout: float = 90) -> None:
        try:
            async with asyncio.timeout(timeout):
                while not condition():
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise AssertionError(f"waited {timeout:.0f} s for {what}") from None


def free_ports() -> list[str]:
    """``server start`` flags for three free ports."""
    return [
        f"--controller-port={free_port()}",
        f"--segment-store-port={free_port()}",
        f"--zk-port={free_port()}",
    ]


def assert_one_clear_line(stderr: str, expected: str) -> None:
    """Exactly one error line, saying ``expected``; progress lines may precede it."""
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("pravechat: ")]
    assert len(errors) == 1, stderr
    assert expected in errors[0]


UI_PACKAGES = ("textual", "rich")


def modules_imported(*args: str, env: Mapping[str, str] | None = None) -> list[str]:
    """Run ``pravechat ARGS`` with ``-X importtime``: every module it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pravechat", *args],
        env=dict(env if env is not None else os.environ, RUST_LOG="off"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")]  # fmt: skip
    assert "pravechat.cli" in imported, result.stderr[-2000:]
    return imported


def ui_toolkit(modules: list[str]) -> list[str]:
    return [name for name in modules if name.split(".")[0] in UI_PACKAGES]
