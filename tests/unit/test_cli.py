"""The `pravechat` command as a shell sees it."""

import os
import time
from pathlib import Path

from pravechat import __version__
from tests.helpers import assert_one_clear_line, free_port, run_cli, run_cli_in_a_terminal


def test_no_server_is_a_clear_error_within_two_seconds() -> None:
    uri = f"tcp://127.0.0.1:{free_port()}"
    began = time.monotonic()
    result = run_cli_in_a_terminal("--user", "tim", "--controller", uri)
    elapsed = time.monotonic() - began
    assert result.returncode == 1
    assert result.stderr.startswith(f"pravechat: no Pravega server answers at {uri}")
    assert "pravechat server start" in result.stderr and "Traceback" not in result.stderr
    assert elapsed < 2.5  # 2 s of probing at most, plus the interpreter's start-up


def test_version_and_help() -> None:
    assert run_cli("--version").stdout.strip() == f"pravechat {__version__}"
    help_text = run_cli("--help").stdout
    for option in (
        "--user",
        "--room",
        "--streamcli",
        "--controller",
        "--scope",
        "--start-server",
        "--version",
    ):
        assert option in help_text
    for command in ("server", "send", "history"):
        assert command in help_text


def test_no_user_asks_for_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PRAVECHAT_USER"}
    (tmp_path / "config.toml").touch()  # an empty config: no user there either
    env["PRAVECHAT_CONFIG"] = str(tmp_path / "config.toml")
    result = run_cli(env=env)
    assert result.returncode == 1
    assert "pass --user NICK" in result.stderr


def test_a_bad_user_name_is_refused() -> None:
    result = run_cli("--user", "no spaces please")
    assert result.returncode == 1
    assert result.stderr.startswith("pravechat: invalid user name 'no spaces please'")


def test_help_shows_flags_as_flags() -> None:
    for command in ([], ["send"], ["history"], ["rooms"], ["server", "start"]):
        help_text = run_cli(*command, "--help").stdout
        assert "<bool>" not in help_text, command
    assert "--tls " in run_cli("history", "--help").stdout


def test_the_chats_options_before_a_command_are_refused_not_ignored() -> None:
    """`pravechat --scope X send ...` once sent to the default scope, silently."""
    result = run_cli("--scope", "elsewhere", "send", "--user", "tim", "hi")
    assert_one_clear_line(result.stderr, "pravechat: --scope before `send` would be ignored")
    assert result.returncode == 1
