"""Selecting a message and acting on it in the real program (tmux), against the real Pravega:
every key of a selected message and of the thread view, on the screen."""

import subprocess
import uuid
from pathlib import Path

import pytest

from tests.terminal.test_tmux_keys import _history, _start
from tests.unit.test_keys import LOG_EFFECTS, THREAD_EFFECTS

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "tmux"], capture_output=True).returncode != 0,
    reason="tmux is not installed",
)

PRESSED = {"alt+up", "up", "k", "down", "j", "escape", "r", "enter", "plus", "e", "d", "t", "i"}
"""The keys this test presses in selection mode; with the thread view's Esc and q, each key of
test_keys.LOG_EFFECTS and THREAD_EFFECTS."""


def test_every_selection_key_is_pressed_here() -> None:
    assert set(LOG_EFFECTS) <= PRESSED and set(THREAD_EFFECTS) == {"escape", "q"}


def test_reply_react_edit_thread_info_and_delete_in_a_real_terminal(
    tmux: list[str], pravega_uri: str, tmp_path: Path
) -> None:
    scope = f"conv-{uuid.uuid4().hex[:10]}"
    _history(pravega_uri, scope, "lobby", ["lunch at noon?", "[b]bold?[/b] \x1b[31m"])
    pane = _start(tmux, pravega_uri, scope, tmp_path, (100, 30))
    pane.wait("[b]bold?[/b]")

    # Alt+Up selects the newest; k and Up go older, j and Down newer; r and Enter reply.
    pane.keys("alt+up", "k")
    pane.keys("r")
    assert "reply to alex: lunch at noon?" in pane.status()
    pane.type("yes")
    pane.keys("enter")
    pane.wait("↪ alex: lunch at noon?")
    pane.wait("1 reply")
    pane.keys("alt+up", "up", "up", "j", "down", "enter")  # back to tim's reply: Enter
    assert "reply to tim: yes" in pane.status()
    pane.keys("escape")  # Esc in the input: no reply after all
    pane.gone("reply to tim")

    # + reacts to the selected message; the reader's own is marked.
    pane.keys("alt+up", "plus")
    assert "react to tim: yes" in pane.status()
    pane.type("👍")
    pane.keys("enter")
    pane.wait("[👍 1]")

    # e edits one's own line: the input holds it; someone else's is refused.
    pane.keys("alt+up", "e")
    assert pane.input_lines()[:1] == ["yes"]
    pane.type(" please")
    pane.keys("enter")
    pane.wait("yes please (edited)")
    pane.keys("alt+up", "k", "e")
    pane.wait("you can edit only your own messages")
    pane.keys("escape")  # out of selection mode: typing again
    pane.type("typing again")
    assert pane.input_lines()[:1] == ["typing again"]
    pane.keys("enter")
    pane.wait("typing again")

    # t: the thread view (Esc and q close it); i: the full date and the id.
    pane.keys("alt+up", "k", "k", "k", "t")
    pane.wait("thread in #lobby: 1 reply")
    pane.keys("escape")
    pane.gone("thread in #lobby")
    pane.keys("alt+up", "k", "k", "k", "t")
    pane.wait("thread in #lobby: 1 reply")
    pane.keys("q")
    pane.gone("thread in #lobby")
    pane.keys("alt+up", "i")
    screen = pane.wait("; verified; id")
    assert "tim, " in screen

    # d asks, d again deletes; the text goes, the reaction with it.
    pane.keys("escape", "alt+up", "k", "d")
    assert "d again deletes" in pane.status()
    pane.keys("d")
    pane.wait("(deleted)")
    screen = pane.gone("yes please")
    assert "[👍 1]" not in screen and "[b]bold?[/b]" in screen  # remote text stays literal
