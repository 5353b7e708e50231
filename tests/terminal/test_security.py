"""Two users chatting in tmux over TLS with passwords."""

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from pravechat.server.secure import SecureFiles
from tests.helpers import wait_for_pane
from tests.servers import client_env

PRAVECHAT = Path(sys.executable).parent / "pravechat"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_two_users_chat_over_tls_with_passwords(
    secure_server: tuple[str, SecureFiles], tmux: list[str], tmp_path: Path
) -> None:
    uri, files = secure_server
    scope = f"tmux-{uuid.uuid4().hex[:10]}"
    subprocess.run([*tmux, "new-session", "-d", "-s", "chat", "-x", "100", "-y", "40"], check=True)
    subprocess.run([*tmux, "split-window", "-v", "-t", "chat"], check=True)
    for pane, user in (("chat.0", "alex"), ("chat.1", "tim")):
        env = client_env(uri, files, tmp_path / user, PRAVECHAT_SCOPE=scope)
        settings = " ".join(
            f"{name}={env[name]}" for name in sorted(env) if name.startswith(("PRAVECHAT_", "XDG_"))
        )  # the password stays in its file: only the file's name is on the command line
        launch = f"env {settings} {PRAVECHAT} --user {user}; echo EXITED $?"
        subprocess.run([*tmux, "send-keys", "-t", pane, launch, "Enter"], check=True)
    wait_for_pane(tmux, "chat.0", "you are in #lobby as alex")
    wait_for_pane(tmux, "chat.1", "you are in #lobby as tim")
    subprocess.run([*tmux, "send-keys", "-t", "chat.0", "hello through TLS", "Enter"], check=True)
    wait_for_pane(tmux, "chat.1", "alex hello through TLS")
    subprocess.run([*tmux, "send-keys", "-t", "chat.1", "/me waves securely", "Enter"], check=True)
    wait_for_pane(tmux, "chat.0", "tim waves securely")
    for pane in ("chat.0", "chat.1"):
        subprocess.run([*tmux, "send-keys", "-t", pane, "C-q"], check=True)
        wait_for_pane(tmux, pane, "EXITED 0")
