"""Selecting a message and acting on it in the real program (tmux), against the real Pravega:
every key of a selected message and of the thread view, on the screen."""

import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.terminal.test_tmux_keys import Pane, _history, _launch, _start
from tests.unit.test_keys import LOG_EFFECTS, THREAD_EFFECTS

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "tmux"], capture_output=True).returncode != 0,
    reason="tmux is not installed",
)

PRESSED = {"alt+up", "up", "k", "down", "j", "escape", "r", "enter", "plus", "e", "d", "t", "i",
           "o"}  # fmt: skip
"""The keys this test presses in selection mode; with the thread view's Esc and q, each key of
test_keys.LOG_EFFECTS and THREAD_EFFECTS."""


def _status_says(pane: Pane, text: str, seconds: float = 10) -> None:
    """The status bar shows ``text`` (it is redrawn a moment after the key)."""
    deadline = time.monotonic() + seconds
    while text not in pane.status():
        assert time.monotonic() < deadline, pane.screen()
        time.sleep(0.1)


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
    _status_says(pane, "reply to alex: lunch at noon?")
    pane.type("yes")
    pane.keys("enter")
    pane.wait("↪ alex: lunch at noon?")
    pane.wait("1 reply")
    pane.keys("alt+up", "up", "up", "j", "down", "enter")  # back to tim's reply: Enter
    _status_says(pane, "reply to tim: yes")
    pane.keys("escape")  # Esc in the input: no reply after all
    pane.gone("reply to tim")

    # + reacts to the selected message; the reader's own is marked.
    pane.keys("alt+up")
    pane.wait("+ React")  # selecting: the footer lists the keys of a selected message
    pane.keys("+")  # (tmux sends the key "+" as typed)
    _status_says(pane, "react to tim: yes")
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
    _status_says(pane, "d again deletes")
    pane.keys("d")
    pane.wait("(deleted)")
    screen = pane.gone("yes please")
    assert "[👍 1]" not in screen and "[b]bold?[/b]" in screen  # remote text stays literal


def test_unread_activity_mentions_search_links_and_the_editor_in_a_real_terminal(
    tmux: list[str], pravega_uri: str, tmp_path: Path
) -> None:
    scope = f"conv-{uuid.uuid4().hex[:10]}"
    _history(pravega_uri, scope, "lobby", ["the plan: Zebra https://example.org/plan"])
    _history(pravega_uri, scope, "dev", ["dev starts"])
    opener = tmp_path / "opener"
    opener.write_text('#!/bin/sh\necho "$@" > "$0.log"\n')
    editor = tmp_path / "editor"
    editor.write_text('#!/bin/sh\nprintf "written in\\nthe editor\\n" > "$1"\n')
    for script in (opener, editor):
        script.chmod(0o700)
    env = f"PRAVECHAT_ROOMS='[\"dev\"]' PRAVECHAT_URL_OPENER='[\"{opener}\"]' VISUAL={editor}"
    pane = _start(tmux, pravega_uri, scope, tmp_path, (100, 30))
    pane.keys("ctrl+q")
    pane.wait("EXITED 0")
    _history(pravega_uri, scope, "lobby", [f"while away {n}" for n in range(40)])
    # Ready when the view stands at the first unread line (the joining line is above it).
    _launch(pane, pravega_uri, scope, tmp_path, "while away 0", env)

    # Alt+U: up to the first unread line, from the end.
    pane.keys("ctrl+end")
    pane.wait("while away 39")
    pane.keys("alt+u")
    screen = pane.gone("while away 39")
    assert "unread" in screen and "while away 0" in screen

    # Alt+A: to the room with activity, a mention first; /mentions lists it, Enter goes there.
    _history(pravega_uri, scope, "dev", ["tim: the build is red"])
    pane.wait(" @1")  # the sidebar (or status bar) counts the mention in #dev
    pane.keys("alt+a")
    pane.wait("the build is red")
    _status_says(pane, "#dev")
    pane.keys("ctrl+n")  # back to the lobby
    pane.type("/mentions")
    pane.keys("enter")
    pane.wait("mentions of you, newest first")
    pane.keys("enter")
    pane.gone("mentions of you")
    _status_says(pane, "#dev")
    pane.type("/mute")
    pane.keys("enter")
    pane.wait("muted: nothing alerts you")

    # /search: the whole room; Enter opens the messages around the result; Esc closes.
    pane.keys("ctrl+n")
    pane.type("/search zebra")
    pane.keys("enter")
    pane.wait("found in #lobby for 'zebra'")
    pane.keys("enter")
    pane.wait("around alex's message")
    pane.keys("escape")
    pane.gone("around alex's message")

    # /open: the newest link here; o: the selected message's. The opener gets the link alone.
    pane.type("/open")
    pane.keys("enter")
    pane.wait("opening https://example.org/plan")
    log = tmp_path / "opener.log"
    assert log.read_text() == "https://example.org/plan\n"
    pane.type("mine: https://example.org/mine.")
    pane.keys("enter", "alt+up", "o")
    pane.wait("opening https://example.org/mine")
    assert log.read_text() == "https://example.org/mine\n"

    # Ctrl+E: the editor's saved text is sent.
    pane.keys("escape", "ctrl+e")
    pane.wait("written in")
    assert "the editor" in pane.screen()
