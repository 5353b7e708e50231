"""`pravechat --streamcli` in a real terminal (tmux) with a StreamCli-compatible peer, against
the real Pravega: its history, both directions, the keywords, hostile text, refusals, quitting."""

import subprocess
import uuid
from pathlib import Path

import pytest

from tests.clients.streamcli_peer import Shown, StreamCliPeer
from tests.terminal.test_tmux import PRAVECHAT
from tests.terminal.test_tmux_keys import Pane

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "tmux"], capture_output=True).returncode != 0,
    reason="tmux is not installed",
)


@pytest.mark.parametrize("size", [(100, 30), (50, 16)])
def test_the_streamcli_flag_chats_with_a_streamcli_user(
    tmux: list[str], pravega_uri: str, tmp_path: Path, size: tuple[int, int]
) -> None:
    scope = f"sc-{uuid.uuid4().hex[:10]}"
    alex = StreamCliPeer(pravega_uri, "alex", scope)
    try:
        alex.say("Hello from StreamCli")
        alex.write(b'{"sender": "alex", "message": "\\u001b[31m[b]bold[/b]\\u0007"}')
        alex.write(b"\xff not even text")
        width, height = size
        subprocess.run([*tmux, "new-session", "-d", "-s", "sc", "-x", str(width), "-y",
                        str(height)], check=True)  # fmt: skip
        pane = Pane(tmux, "sc")
        command = (
            f"XDG_STATE_HOME={tmp_path} PRAVECHAT_STREAMCLI_SCOPE={scope} {PRAVECHAT} --user tim "
            f"--controller {pravega_uri} --scope {scope}-chat --streamcli; echo EXITED $?"
        )
        subprocess.run([*tmux, "send-keys", "-t", "sc", command, "Enter"], check=True)
        pane.wait("hello from streamcli")
        screen = pane.wait("[b]bold[/b]")  # literal: no markup, no colour, no bell
        assert "#streamcli" in screen and "(unverified)" not in screen

        pane.type("Hi Alex")
        pane.keys("enter")
        assert alex.read_until(1) == [Shown("tim", "Hi Alex")]
        pane.type("/greet")
        pane.keys("enter")
        assert alex.read_until(1) == [Shown("tim", "tim says hi!")]
        pane.wait("tim says hi!")

        alex.say("greet")
        pane.wait("alex says hi!")
        pane.type("/me waves")
        pane.keys("enter")
        pane.wait("plain lines only")
        assert pane.input_lines()[:1] == ["/me waves"]  # kept, to change or clear
        assert alex.read(0.5) == []  # nothing went out

        pane.keys("ctrl+q")
        pane.wait("EXITED 0")
    finally:
        alex.close()
