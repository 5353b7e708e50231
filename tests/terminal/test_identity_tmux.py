"""Signed identities in the real program, in tmux: a forger marked, /verify compared with
`pravechat keys show`, a changed key warned about and accepted with /trust."""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from pravechat.core.names import room_stream
from pravechat.core.protocol import new_message
from pravechat.core.transport import Transport
from tests.helpers import run_cli, wait_for_pane

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

PRAVECHAT = Path(sys.executable).parent / "pravechat"


def test_forgers_marked_keys_compared_and_a_new_key_trusted(
    tmux: list[str], pravega_uri: str, tmp_path: Path
) -> None:
    scope = f"tmuxsig-{uuid.uuid4().hex[:10]}"

    def machine(name: str) -> dict[str, str]:
        return dict(os.environ, XDG_STATE_HOME=str(tmp_path / name),
                    PRAVECHAT_CONTROLLER=pravega_uri, PRAVECHAT_SCOPE=scope)  # fmt: skip

    def type_line(text: str) -> None:
        subprocess.run([*tmux, "send-keys", "-t", "chat", "-l", text], check=True)
        subprocess.run([*tmux, "send-keys", "-t", "chat", "Enter"], check=True)

    assert run_cli("send", "--user=alex", "signed hello", env=machine("alex")).returncode == 0
    alex_print = run_cli("keys", "show", "--user=alex", env=machine("alex")).stdout.split()[1]
    command = (
        f"XDG_STATE_HOME={tmp_path / 'tim'} {PRAVECHAT} --user tim "
        f"--controller {pravega_uri} --scope {scope}; echo EXITED $?"
    )
    subprocess.run([*tmux, "new-session", "-d", "-s", "chat", "-x", "150", "-y", "30"], check=True)
    subprocess.run([*tmux, "send-keys", "-t", "chat", command, "Enter"], check=True)
    wait_for_pane(tmux, "chat", "you are in #lobby as tim")
    raw = Transport.connect(pravega_uri, scope)
    forged = new_message("lobby", "alex", "forged by someone").to_json().encode()
    raw.client.writer(scope, room_stream("lobby")).write(forged, "lobby")
    wait_for_pane(tmux, "chat", "alex (unverified) forged by someone")
    assert run_cli("send", "--user=alex", "really alex", env=machine("alex")).returncode == 0
    screen = wait_for_pane(tmux, "chat", "really alex")
    assert "(unverified) really alex" not in screen
    type_line("/verify alex")
    wait_for_pane(tmux, "chat", f"alex: {alex_print}")
    assert run_cli("send", "--user=alex", "new key", env=machine("impostor")).returncode == 0
    wait_for_pane(tmux, "chat", "alex now signs with another key")
    wait_for_pane(tmux, "chat", "alex (unverified) new key")
    type_line("/verify alex")  # /trust takes the key the last /verify showed
    wait_for_pane(tmux, "chat", "(/trust alex accepts it)")
    type_line("/trust alex")
    screen = wait_for_pane(tmux, "chat", "their messages show as")
    assert "alex new key" in screen  # judged again: verified now
    assert run_cli("send", "--user=alex", "trusted now", env=machine("impostor")).returncode == 0
    screen = wait_for_pane(tmux, "chat", "trusted now")
    assert "alex trusted now" in screen and "(unverified) trusted now" not in screen
    subprocess.run([*tmux, "send-keys", "-t", "chat", "C-q"], check=True)
    wait_for_pane(tmux, "chat", "EXITED 0")
