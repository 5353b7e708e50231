"""The installed console script, tried as a person would: two tmux panes, one room."""

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from pravechat.core.transport import Transport
from pravechat.server.local import LocalServer, ServerPorts
from tests.helpers import pane_text, reader_offline, wait_for_pane

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

PRAVECHAT = Path(sys.executable).parent / "pravechat"


def test_a_line_typed_in_one_pane_appears_in_the_other(
    tmux: list[str], pravega_uri: str, tmp_path: Path
) -> None:
    scope = f"tmux-{uuid.uuid4().hex[:10]}"

    def command(user: str) -> str:
        return (
            f"XDG_STATE_HOME={tmp_path / user} {PRAVECHAT} --user {user} "
            f"--controller {pravega_uri} --scope {scope}; echo EXITED $?"
        )

    # Both panes exist at their final size before either program starts.
    subprocess.run([*tmux, "new-session", "-d", "-s", "chat", "-x", "100", "-y", "40"], check=True)
    subprocess.run([*tmux, "split-window", "-v", "-t", "chat"], check=True)
    for pane, user in (("chat.0", "alex"), ("chat.1", "tim")):
        subprocess.run([*tmux, "send-keys", "-t", pane, command(user), "Enter"], check=True)
    wait_for_pane(tmux, "chat.0", "you are in #lobby as alex")
    wait_for_pane(tmux, "chat.1", "you are in #lobby as tim")
    subprocess.run([*tmux, "send-keys", "-t", "chat.0", "hello from alex", "Enter"], check=True)
    screen = wait_for_pane(tmux, "chat.1", "alex hello from alex")
    assert "tim" in screen.splitlines()[0]  # tim's status bar
    subprocess.run([*tmux, "send-keys", "-t", "chat.1", "/me waves", "Enter"], check=True)
    wait_for_pane(tmux, "chat.0", "tim waves")
    for pane in ("chat.0", "chat.1"):
        subprocess.run([*tmux, "send-keys", "-t", pane, "C-q"], check=True)
        wait_for_pane(tmux, pane, "EXITED 0")


def test_sigterm_quits_cleanly_saving_the_position(
    tmux: list[str], pravega_uri: str, tmp_path: Path
) -> None:
    scope = f"tmux-{uuid.uuid4().hex[:10]}"
    subprocess.run([*tmux, "new-session", "-d", "-s", "chat", "-x", "100", "-y", "30"], check=True)
    subprocess.run([*tmux, "send-keys", "-t", "chat", f"XDG_STATE_HOME={tmp_path} {PRAVECHAT} "
                    f"--user tim --controller {pravega_uri} --scope {scope}; echo EXITED $?",
                    "Enter"], check=True)  # fmt: skip
    wait_for_pane(tmux, "chat", "you are in #lobby as tim")
    subprocess.run(["pkill", "-TERM", "-f", f"scope {scope}"], check=True)  # not the reader
    wait_for_pane(tmux, "chat", "EXITED 0")
    reader_offline(pravega_uri, scope, "tim")  # SIGTERM closed the session


def test_a_server_restart_in_mid_chat(
    tmux: list[str], private_server: tuple[LocalServer, ServerPorts], tmp_path: Path
) -> None:
    """Both panes say they are reconnecting; what alex types meanwhile shows as pending, then
    reaches tim once the server is back, and both are told the room was lost."""
    server, ports = private_server
    uri = f"tcp://127.0.0.1:{ports.controller}"
    subprocess.run([*tmux, "new-session", "-d", "-s", "chat", "-x", "100", "-y", "40"], check=True)
    subprocess.run([*tmux, "split-window", "-v", "-t", "chat"], check=True)
    for pane, user in (("chat.0", "alex"), ("chat.1", "tim")):
        launch = (
            f"XDG_STATE_HOME={tmp_path / user} {PRAVECHAT} --user {user} --controller {uri}; "
            "echo EXITED $?"
        )
        subprocess.run([*tmux, "send-keys", "-t", pane, launch, "Enter"], check=True)
    wait_for_pane(tmux, "chat.0", "you are in #lobby as alex")
    wait_for_pane(tmux, "chat.1", "you are in #lobby as tim")
    subprocess.run([*tmux, "send-keys", "-t", "chat.0", "before the restart", "Enter"], check=True)
    wait_for_pane(tmux, "chat.1", "alex before the restart")

    server.stop()
    for pane in ("chat.0", "chat.1"):
        wait_for_pane(tmux, pane, "reconnecting")
    for line in ("typed while the server was away", "and a second line"):
        subprocess.run([*tmux, "send-keys", "-t", "chat.0", line, "Enter"], check=True)
    wait_for_pane(tmux, "chat.0", "pending  and a second line")

    server.start(ports, heap="512m")
    wait_for_pane(tmux, "chat.1", "alex and a second line", seconds=90)
    screen = pane_text(tmux, "chat.1")
    assert screen.index("typed while the server was away") < screen.index("and a second line")
    assert screen.count("alex typed while the server was away") == 1
    alex = wait_for_pane(tmux, "chat.0", "alex and a second line")
    assert "pending" not in alex
    for pane in ("chat.0", "chat.1"):
        wait_for_pane(tmux, pane, "created again")
        subprocess.run([*tmux, "send-keys", "-t", pane, "C-q"], check=True)
        wait_for_pane(tmux, pane, "EXITED 0")


def _hostile_events(room: str) -> list[bytes]:
    """What a participant with a raw client can write to a room: times at and past the
    edges, escapes and markup in text, and bytes that are not messages at all."""

    def event(text: str, sent_at: str = "2026-11-27T10:00:00.000Z", **more: object) -> bytes:
        fields = {"v": 1, "id": uuid.uuid4().hex, "room": room, "sender": "mallory",
                  "kind": "chat", "text": text, "sent_at": sent_at, **more}  # fmt: skip
        return json.dumps(fields).encode()

    return [
        event("far future", "9999-12-31T23:59:59.999Z"),
        event("far past", "0001-01-01T00:00:00Z"),
        event("overflowing zone", "9999-12-31T23:59:59.999-23:59"),
        event("red \x1b[31mALERT\x1b[0m \x1b]0;owned\x07 title"),
        event("[bold]not markup[/bold] \u202eevil\u202c"),
        event("x" * 70_000),  # over 64 KiB
        b"\xff\xfe not UTF-8",
        b"{not json",
        b"[" * 100_000,
        event("wrong version", v=2),
        event("still here after all that"),
    ]


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/Los_Angeles"])
def test_crafted_events_through_the_server_leave_the_app_up(
    tmux: list[str], pravega_uri: str, tmp_path: Path, zone: str
) -> None:
    """A room holding every crafted event, written raw: the app opens it in time zones east
    and west of UTC, shows the readable ones literally, and keeps working."""
    scope = f"tmux-{uuid.uuid4().hex[:10]}"
    transport = Transport.connect(pravega_uri, scope)
    stream = transport.ensure_room("lobby")
    transport.client.writer(scope, stream).write_all(_hostile_events("lobby"), "lobby")
    subprocess.run([*tmux, "new-session", "-d", "-s", "chat", "-x", "100", "-y", "30"], check=True)
    subprocess.run([*tmux, "send-keys", "-t", "chat", f"TZ={zone} XDG_STATE_HOME={tmp_path} "
                    f"{PRAVECHAT} --user tim --controller {pravega_uri} --scope {scope}; "
                    "echo EXITED $?", "Enter"], check=True)  # fmt: skip
    screen = wait_for_pane(tmux, "chat", "still here after all that")
    assert "mallory (unverified) red ALERT  title" in screen  # escapes gone, words stay
    assert "[bold]not markup[/bold] evil" in screen  # literal, the override dropped
    for skipped in ("far future", "far past", "overflowing zone", "wrong version", "xxxxx"):
        assert skipped not in screen
    subprocess.run([*tmux, "send-keys", "-t", "chat", "and the app still sends", "Enter"],
                   check=True)  # fmt: skip
    wait_for_pane(tmux, "chat", "tim and the app still sends")
    subprocess.run([*tmux, "send-keys", "-t", "chat", "C-q"], check=True)
    wait_for_pane(tmux, "chat", "EXITED 0")
