"""pravechat server against a running (or starting) standalone."""

import json
import socket

from pravechat.core.paths import state_dir
from pravechat.server.ports import outward_address
from tests.helpers import assert_one_clear_line, free_ports, run_cli


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def test_status_describes_the_running_server(pravega_uri: str) -> None:
    result = run_cli("server", "status")
    assert result.returncode == 0, result.stdout + result.stderr
    assert pravega_uri.rsplit(":", 1)[1] in result.stdout


def test_second_start_is_a_no_op(pravega_uri: str) -> None:
    record = state_dir() / "server" / "server.json"
    pid_before = json.loads(record.read_text())["pid"] if record.exists() else None
    result = run_cli("server", "start")
    assert result.returncode == 0, result.stderr
    assert "already running" in result.stdout or "already answers" in result.stdout
    # Pravega's controller binds every interface: when another host could reach it, say so.
    port = int(pravega_uri.rsplit(":", 1)[1])
    address = outward_address()
    open_outside = address is not None and _answers(address, port)
    said = f"also answers at {address}:{port}, without a password"
    assert (said in result.stderr) == open_outside, (address, result.stderr)
    pid_after = json.loads(record.read_text())["pid"] if record.exists() else None
    assert pid_after == pid_before


def test_a_server_that_dies_while_starting_shows_its_last_lines(
    isolated_env: dict[str, str], pravega_uri: str
) -> None:
    env = dict(isolated_env, PRAVECHAT_JAVA_OPTS="-XX:+NoSuchVmOption")
    result = run_cli("server", "start", *free_ports(), env=env)
    assert result.returncode == 1
    assert_one_clear_line(result.stderr, "Pravega exited while starting (exit code 1)")
    assert "NoSuchVmOption" in result.stderr  # the JVM's own words are shown
