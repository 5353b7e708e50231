"""The command line against a real server: refusals that need one to check, and what a
real send loads."""

import os
import uuid
from pathlib import Path

import pytest

from tests.helpers import modules_imported, run_cli, ui_toolkit


def test_history_of_a_room_that_does_not_exist_is_refused_and_creates_nothing(
    pravega_uri: str,
) -> None:
    scope = f"cli-{uuid.uuid4().hex[:10]}"
    common = (f"--controller={pravega_uri}", f"--scope={scope}")
    assert run_cli("send", "--user=tim", "--room=real", *common, "hi").returncode == 0
    result = run_cli("history", "TYPO", *common)
    assert result.returncode == 1 and result.stdout == ""
    assert (
        result.stderr
        == f"pravechat: no room #typo in scope {scope}: `pravechat rooms` lists the rooms\n"
    )
    rooms = run_cli("rooms", *common)
    assert rooms.returncode == 0 and rooms.stdout == "real\n"  # reading created nothing


@pytest.mark.parametrize("text", ["", "   ", "\x1b[31m"])
def test_send_refuses_an_empty_message(pravega_uri: str, text: str) -> None:
    scope = f"cli-{uuid.uuid4().hex[:10]}"
    result = run_cli("send", "--user=tim", f"--controller={pravega_uri}", f"--scope={scope}", text)
    assert result.returncode == 1
    assert result.stderr == "pravechat: cannot send: the message is empty\n"
    assert run_cli("rooms", f"--controller={pravega_uri}", f"--scope={scope}").stdout == ""


def test_a_real_send_and_history_load_no_ui_toolkit(pravega_uri: str, tmp_path: Path) -> None:
    scope = f"hygiene-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, PRAVECHAT_CONTROLLER=pravega_uri, PRAVECHAT_SCOPE=scope,
               XDG_STATE_HOME=str(tmp_path))  # fmt: skip
    assert ui_toolkit(modules_imported("send", "--user", "tim", "hello", env=env)) == []
    assert ui_toolkit(modules_imported("history", "lobby", env=env)) == []
    history = run_cli("history", "lobby", env=env)
    assert history.returncode == 0 and "hello" in history.stdout
