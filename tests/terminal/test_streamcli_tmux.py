"""`pravechat --streamcli` in a real terminal (tmux) with a StreamCli-compatible peer, against
the real Pravega: its history, both directions, the keywords, hostile text, refusals, quitting."""

import subprocess
import time
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


def test_lines_that_came_while_another_room_was_shown_are_on_screen_on_switching(
    tmux: list[str], pravega_uri: str, tmp_path: Path
) -> None:
    scope = f"sc-{uuid.uuid4().hex[:10]}"
    bob = StreamCliPeer(pravega_uri, "bob", scope)
    try:
        bob.write_all([f'{{"sender": "bob", "message": "earlier {n}"}}'.encode()
                       for n in range(300)])  # more than a screen  # fmt: skip
        subprocess.run([*tmux, "new-session", "-d", "-s", "sw", "-x", "100", "-y", "30"],
                       check=True)  # fmt: skip
        pane = Pane(tmux, "sw")
        command = (
            f"XDG_STATE_HOME={tmp_path} PRAVECHAT_STREAMCLI_SCOPE={scope} "
            f"PRAVECHAT_ROOMS='[\"streamcli\"]' {PRAVECHAT} --user tim --controller "
            f"{pravega_uri} --scope {scope}-chat; echo EXITED $?"
        )
        subprocess.run([*tmux, "send-keys", "-t", "sw", command, "Enter"], check=True)
        pane.wait("you are in #lobby as tim")
        pane.keys("alt+2")
        pane.wait("earlier 10")
        pane.keys("ctrl+end")
        pane.wait("earlier 299")
        pane.keys("alt+1")
        pane.wait("#lobby  connected")
        for n in range(3):  # one by one: each arrives as a batch of its own
            bob.say(f"meanwhile {n}")
            time.sleep(0.3)
        pane.wait("#streamcli 3")  # the sidebar counts them in the hidden room
        pane.keys("alt+2")
        screen = pane.wait("meanwhile 2")  # all three on screen, not one below the view
        assert "meanwhile 0" in screen and "meanwhile 1" in screen
        assert "unread" not in pane.status()
        pane.keys("ctrl+q")
        pane.wait("EXITED 0")
    finally:
        bob.close()
