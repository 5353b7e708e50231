"""The keys of the real program in a real terminal (tmux), each checked on the screen, against
the real Pravega: what an xterm-compatible terminal sends is not what Pilot synthesizes
(Alt+1 arrives as ESC 1, Alt+Enter as ESC CR)."""

import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import open_to_others, pane_text, reader_offline, run_cli, wait_for_pane
from tests.terminal.test_tmux import PRAVECHAT
from tests.unit.test_keys import EFFECTS

pytestmark = pytest.mark.skipif(
    subprocess.run(["which", "tmux"], capture_output=True).returncode != 0,
    reason="tmux is not installed",
)

TERMINAL_KEYS = {
    # Pilot's key name: what `tmux send-keys` sends for it (none reported as Shift+Enter)
    "enter": "Enter",
    "ctrl+j": "C-j",
    "alt+enter": "M-Enter",
    "up": "Up",
    "down": "Down",
    "tab": "Tab",
    "escape": "Escape",
    "pageup": "PPage",
    "pagedown": "NPage",
    "ctrl+home": "C-Home",
    "ctrl+end": "C-End",
    "ctrl+n": "C-n",
    "ctrl+p": "C-p",
    "ctrl+f": "C-f",
    "ctrl+q": "C-q",
    "ctrl+c": "C-c",
    "f2": "F2",
    **{f"alt+{n}": f"M-{n}" for n in range(1, 10)},
    # pressed in test_conversation_tmux.py:
    "alt+up": "M-Up",
    "alt+u": "M-u",
    "alt+a": "M-a",
    "ctrl+e": "C-e",
}
"""Every key of test_keys.EFFECTS but Shift+Enter, which xterm and tmux send as a plain Enter
(the README says so; Ctrl+J and Alt+Enter are the keys that work everywhere)."""


def test_every_key_is_sent_through_the_terminal() -> None:
    assert set(TERMINAL_KEYS) == set(EFFECTS) - {"shift+enter"}


PLACEHOLDER = "Type a message, or /help"


class Pane:
    """One pravechat in a tmux pane, driven as a person would."""

    def __init__(self, tmux: list[str], name: str) -> None:
        self.tmux, self.name = tmux, name

    def keys(self, *keys: str) -> None:
        for key in keys:
            sent = TERMINAL_KEYS.get(key, key)
            subprocess.run([*self.tmux, "send-keys", "-t", self.name, sent], check=True)
            time.sleep(0.15)  # a person's pace: each key is read on its own

    def type(self, text: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, "-l", text], check=True)
        time.sleep(0.15)

    def wait(self, text: str, seconds: float = 45) -> str:
        return wait_for_pane(self.tmux, self.name, text, seconds)

    def screen(self) -> str:
        return pane_text(self.tmux, self.name)

    def status(self) -> str:
        return self.screen().splitlines()[0]

    def input_lines(self) -> list[str]:
        """The text in the input box (between its top and bottom borders)."""
        lines = self.screen().splitlines()
        top = max(i for i, line in enumerate(lines) if "▔▔▔" in line)
        bottom = max(i for i, line in enumerate(lines) if "▁▁▁" in line)
        shown = [line.strip("▊▎ ") for line in lines[top + 1 : bottom]]
        return [] if shown == [PLACEHOLDER] else shown

    def gone(self, text: str, seconds: float = 10) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = self.screen()
            if text not in screen:
                return screen
            time.sleep(0.1)
        pytest.fail(f"{text!r} stayed on pane {self.name}:\n{self.screen()}")


def _start(
    tmux: list[str],
    uri: str,
    scope: str,
    state: Path,
    size: tuple[int, int],
    ready: str = "you are in #lobby as tim",
) -> Pane:
    width, height = size
    subprocess.run([*tmux, "new-session", "-d", "-s", "keys", "-x", str(width), "-y",
                    str(height)], check=True)  # fmt: skip
    return _launch(Pane(tmux, "keys"), uri, scope, state, ready)


def _launch(pane: Pane, uri: str, scope: str, state: Path, ready: str, env: str = "") -> Pane:
    """Start tim's pravechat at the pane's shell prompt (again, after it exited); ``env``:
    more variables for it, as ``NAME=value``."""
    pane.keys("clear", "Enter")
    command = (
        f"XDG_STATE_HOME={state} {env} {PRAVECHAT} --user tim --controller {uri} "
        f"--scope {scope}; echo EXITED $?"
    )
    subprocess.run([*pane.tmux, "send-keys", "-t", pane.name, command, "Enter"], check=True)
    pane.wait(ready)
    return pane


def _history(uri: str, scope: str, room: str, lines: list[str]) -> None:
    result = run_cli("send", "--user", "alex", "--room", room, "--controller", uri, "--scope",
                     scope, "-", stdin="\n".join(lines) + "\n")  # fmt: skip
    assert result.returncode == 0, result.stderr


def _unread_below(pane: Pane, wanted: Callable[[int], bool], seconds: float = 10) -> int:
    """The status bar's unread count once ``wanted`` holds for it."""
    deadline = time.monotonic() + seconds
    while True:
        status = pane.status()
        count = int(status.split(" unread")[0].split()[-1]) if " unread" in status else 0
        if wanted(count) or time.monotonic() > deadline:
            assert wanted(count), status
            return count
        time.sleep(0.1)


def _quit_seconds(pane: Pane, key: str) -> float:
    began = time.monotonic()
    pane.keys(key)
    pane.wait("EXITED 0", 10)
    return time.monotonic() - began - 0.15  # keys() waits 0.15 s after sending


def test_every_key_in_a_real_terminal(
    tmux: list[str], pravega_uri: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scope = f"keys-{uuid.uuid4().hex[:10]}"
    _history(pravega_uri, scope, "lobby", [f"line {n}" for n in range(60)])
    _history(pravega_uri, scope, "dev", ["in dev"])
    pane = _start(tmux, pravega_uri, scope, tmp_path, (80, 24))
    pane.wait("line 59")

    # F2: at 80 columns the panels hide; F2 shows them, and again hides them.
    assert "here (" not in pane.screen()
    pane.keys("f2")
    assert "1 #lobby" in pane.wait("here (1)")
    pane.keys("f2")
    pane.gone("here (1)")

    # PgUp / PgDn, Ctrl+Home / Ctrl+End.
    pane.keys("pageup")
    screen = pane.gone("line 59")
    assert "line 30" in screen  # a page up (of 17 lines at 80x24)
    pane.keys("pagedown")
    pane.wait("line 59")
    pane.keys("ctrl+home")
    assert "line 0" in pane.gone("line 59")
    pane.keys("ctrl+end")
    pane.wait("line 59")

    # Rooms: /join, Alt+1..2, Ctrl+N, Ctrl+P; Alt+3..9 name no room: nothing changes.
    pane.type("/join dev")
    pane.keys("enter")
    pane.wait("you are in #dev as tim")
    assert "#dev" in pane.status()
    pane.keys("alt+1")
    assert "#lobby" in pane.status()
    pane.keys("alt+2")
    assert "#dev" in pane.status()
    for n in range(3, 10):
        pane.keys(f"alt+{n}")
        assert "#dev" in pane.status() and not any(pane.input_lines())  # nothing typed
    pane.keys("ctrl+n")
    assert "#lobby" in pane.status()
    pane.keys("ctrl+p")
    assert "#dev" in pane.status()

    # Alt+Enter and Ctrl+J start a new line; Enter sends the block as one message.
    pane.type("ab")
    pane.keys("alt+enter")
    pane.type("cd")
    pane.keys("ctrl+j")
    pane.type("ef")
    assert pane.input_lines()[:3] == ["ab", "cd", "ef"]
    pane.keys("enter")
    screen = pane.wait("tim ab")
    lines = screen.splitlines()
    at = next(i for i, line in enumerate(lines) if "tim ab" in line)
    assert lines[at + 1].strip() == "cd" and lines[at + 2].strip() == "ef"

    # Up / Down: recall, and the draft comes back.
    pane.type("my draft")
    pane.keys("up")
    assert pane.input_lines()[:3] == ["ab", "cd", "ef"]  # the last line sent, whole
    pane.keys("down")
    assert pane.input_lines()[0] == "my draft"
    pane.keys("C-u")  # clear the line (the input's own key)
    pane.keys(*["BSpace"] * 10)

    # Editing keys in one burst with text (a fast typist, a slow link) apply in order.
    subprocess.run([*pane.tmux, "send-keys", "-t", pane.name, "abc", "BSpace", "def", "Left",
                    "X", "Home", "Y"], check=True)  # fmt: skip
    time.sleep(0.3)
    assert pane.input_lines()[0] == "YabdeXf"
    pane.keys("End", "C-u")  # Ctrl+U deletes back to the start of the line

    # Tab: /jo completes to /join, again to /joke, again /join, then a room.
    pane.type("/jo")
    pane.keys("tab")
    assert pane.input_lines()[0] == "/join"
    pane.keys("tab")
    assert pane.input_lines()[0] == "/joke"
    pane.keys("tab")
    assert pane.input_lines()[0] == "/join"
    pane.type("l")
    pane.keys("tab")
    assert pane.input_lines()[0] == "/join lobby"
    pane.keys("enter")
    assert "#lobby" in pane.status()

    # Ctrl+F starts a search; again: the next match; Esc ends it.
    pane.keys("ctrl+f")
    assert pane.input_lines()[0] == "/find"
    pane.type("line 5")
    pane.keys("enter")
    assert "match 1/11" in pane.status()
    pane.keys("ctrl+f")
    assert "match 2/11" in pane.status()
    pane.keys("escape")
    assert "match" not in pane.gone("match 2/11").splitlines()[0]

    took = _quit_seconds(pane, "ctrl+q")
    reader_offline(pravega_uri, scope, "tim")
    with capsys.disabled():
        print(f"\n[quit] Ctrl+Q to the shell prompt: {took:.2f} s")

    # Ctrl+C quits as well, saving the place: what alex says next is unread on return.
    _launch(pane, pravega_uri, scope, tmp_path, ready="you are in #lobby as tim")
    took = _quit_seconds(pane, "ctrl+c")
    reader_offline(pravega_uri, scope, "tim")
    with capsys.disabled():
        print(f"[quit] Ctrl+C to the shell prompt: {took:.2f} s")
    # Sessions hold unsent text, seen ids and logs: 0700 directories, 0600 files.
    assert (tmp_path / "pravechat" / "sessions").is_dir()
    assert open_to_others(tmp_path / "pravechat") == []


def test_unread_lands_at_the_first_and_counts_down(
    tmux: list[str], pravega_uri: str, tmp_path: Path
) -> None:
    """tim leaves, alex says 100 things, tim comes back: the room opens at the divider."""
    scope = f"unread-{uuid.uuid4().hex[:10]}"
    _history(pravega_uri, scope, "lobby", ["before tim"])
    pane = _start(tmux, pravega_uri, scope, tmp_path, (80, 24))
    pane.keys("ctrl+q")
    pane.wait("EXITED 0")
    reader_offline(pravega_uri, scope, "tim")
    _history(pravega_uri, scope, "lobby", [f"missed {n}" for n in range(100)])
    _launch(pane, pravega_uri, scope, tmp_path, ready="missed 0")
    # The divider at the top of the log once the view settles (a frame or two after drawing).
    deadline = time.monotonic() + 10
    while "─ unread ─" not in (lines := (screen := pane.screen()).splitlines())[1]:
        assert time.monotonic() < deadline, screen
        time.sleep(0.05)
    assert "missed 0" in lines[2]
    assert "missed 99" not in screen
    # what is on screen is read... (0: the status bar has not counted them yet)
    first = _unread_below(pane, lambda n: 0 < n < 100)
    assert first > 100 - 20  # ...and only that
    pane.keys("pagedown")
    _unread_below(pane, lambda n: n < first)
    pane.keys("ctrl+end")
    assert "unread" not in pane.status() and "missed 99" in pane.screen()
    pane.keys("ctrl+q")
    pane.wait("EXITED 0")


def test_scrolling_up_loads_older_messages_back_to_the_first(
    tmux: list[str], pravega_uri: str, tmp_path: Path
) -> None:
    """Joining loads the last 50 (PRAVECHAT_HISTORY); the top of the log reads the 200
    before them from Pravega, then the rest, down to the room's first message."""
    scope = f"older-{uuid.uuid4().hex[:10]}"
    _history(pravega_uri, scope, "lobby", [f"line {n}" for n in range(300)])
    subprocess.run([*tmux, "new-session", "-d", "-s", "keys", "-x", "80", "-y", "24"],
                   check=True)  # fmt: skip
    pane = _launch(Pane(tmux, "keys"), pravega_uri, scope, tmp_path, "line 299",
                   env="PRAVECHAT_HISTORY=50")  # fmt: skip
    pane.keys("ctrl+home")  # line 250, the first loaded, at the top; 50-249 come above it
    lines = pane.wait("line 249").splitlines()  # read back; what was on screen stays there
    assert any(line.rstrip().endswith("line 250") for line in lines[1:4]), lines
    pane.keys("pageup")
    screen = pane.wait("line 233")  # a page above what was there, in order
    assert screen.index("line 232") < screen.index("line 233") < screen.index("line 234")
    deadline = time.monotonic() + 30
    while "the beginning of #lobby" not in (screen := pane.screen()):  # 0-49, then the start
        assert time.monotonic() < deadline, screen
        pane.keys("ctrl+home")  # each read takes its time: the top asks again once it is in
        time.sleep(0.3)
    assert "line 0" in screen and "line 1" in screen
    pane.keys("ctrl+end")
    pane.wait("line 299")
    pane.keys("ctrl+q")
    pane.wait("EXITED 0")


def test_a_crash_leaves_a_clean_terminal_one_line_and_a_traceback_file(
    tmux: list[str], pravega_uri: str, tmp_path: Path
) -> None:
    """A bug (here planted: F2 raises) ends the program non-zero with one line naming the
    file that holds the traceback; the screen is the shell's again."""
    script = tmp_path / "buggy.py"
    script.write_text(
        "import sys\n"
        "from pravechat import cli\n"
        "from pravechat.ui.app import PravechatApp\n"
        "def broken(self):\n"
        "    raise RuntimeError('planted bug')\n"
        "PravechatApp.action_toggle_panels = broken\n"
        "sys.argv = ['pravechat', *sys.argv[1:]]\n"
        "cli.run()\n"
    )
    scope = f"crash-{uuid.uuid4().hex[:10]}"
    subprocess.run([*tmux, "new-session", "-d", "-s", "keys", "-x", "80", "-y", "24"], check=True)
    command = (f"XDG_STATE_HOME={tmp_path} {sys.executable} {script} --user tim --controller "
               f"{pravega_uri} --scope {scope}; echo EXITED $?")  # fmt: skip
    subprocess.run([*tmux, "send-keys", "-t", "keys", command, "Enter"], check=True)
    pane = Pane(tmux, "keys")
    pane.wait("you are in #lobby as tim")
    pane.keys("f2")
    pane.wait("EXITED 1", 15)
    screen = subprocess.run(  # -J: the long line whole, as the terminal wrapped it
        [*tmux, "capture-pane", "-p", "-J", "-t", "keys"], capture_output=True, text=True
    ).stdout
    assert "planted bug" not in screen  # the traceback is not on the terminal
    line = next(line for line in screen.splitlines() if line.startswith("pravechat: "))
    assert "stopped by an unexpected error (a bug): its traceback is in" in line
    crash = Path(line.rsplit(" ", 1)[-1])
    assert crash.parent == tmp_path / "pravechat" and "RuntimeError: planted bug" in (
        crash.read_text()
    )
    assert "▔▔▔" not in screen  # the full-screen app is gone


def test_the_app_refuses_to_start_without_a_terminal(pravega_uri: str) -> None:
    result = run_cli("--user", "tim", "--controller", pravega_uri)  # output to a pipe
    assert result.returncode == 1
    assert result.stderr.startswith("pravechat: the chat needs a terminal")
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1
