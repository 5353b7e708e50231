"""Direct conversations in the real program, two tmux panes: /msg, the sidebar, Alt+2, a
reply, /who and /query, as a person would."""

import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.helpers import wait_for_pane

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

PRAVECHAT = Path(sys.executable).parent / "pravechat"


def test_a_private_conversation_in_two_terminals(
    tmux: list[str], pravega_uri: str, tmp_path: Path
) -> None:
    scope = f"tmuxdm-{uuid.uuid4().hex[:10]}"

    def command(user: str) -> str:
        return (
            f"XDG_STATE_HOME={tmp_path / user} {PRAVECHAT} --user {user} "
            f"--controller {pravega_uri} --scope {scope}; echo EXITED $?"
        )

    def type_line(pane: str, text: str) -> None:
        subprocess.run([*tmux, "send-keys", "-t", pane, "-l", text], check=True)
        subprocess.run([*tmux, "send-keys", "-t", pane, "Enter"], check=True)

    subprocess.run([*tmux, "new-session", "-d", "-s", "chat", "-x", "120", "-y", "50"], check=True)
    subprocess.run([*tmux, "split-window", "-v", "-t", "chat"], check=True)
    for pane, user in (("chat.0", "alice"), ("chat.1", "bob")):
        subprocess.run([*tmux, "send-keys", "-t", pane, command(user), "Enter"], check=True)
    wait_for_pane(tmux, "chat.0", "you are in #lobby as alice")
    wait_for_pane(tmux, "chat.1", "you are in #lobby as bob")
    type_line("chat.0", "/msg bob meet me at \x1b[31mnoon")
    wait_for_pane(tmux, "chat.0", "to @bob: meet me at")
    screen = wait_for_pane(tmux, "chat.1", "2 @alice 1 @1")  # unseen, and counted as a mention
    assert "noon" not in screen  # still in #lobby
    subprocess.run([*tmux, "send-keys", "-t", "chat.1", "M-2"], check=True)
    screen = wait_for_pane(tmux, "chat.1", "alice meet me at noon")  # the escape removed
    assert "a private conversation, encrypted end to end" in screen
    type_line("chat.1", "see you then")
    type_line("chat.0", "/query bob")
    screen = wait_for_pane(tmux, "chat.0", "bob see you then")
    assert "alice  @bob" in screen  # the status bar names the conversation
    type_line("chat.0", "/who")
    wait_for_pane(tmux, "chat.0", "in @bob: alice, bob")
    for pane in ("chat.0", "chat.1"):
        subprocess.run([*tmux, "send-keys", "-t", pane, "C-q"], check=True)
        wait_for_pane(tmux, pane, "EXITED 0")
