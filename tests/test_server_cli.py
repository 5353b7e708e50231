"""`pravechat server ...` as a user runs it: real processes, real ports, real Java."""

import json
import os
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pravechat.core.paths import state_dir
from pravechat.server.ports import outward_address
from tests.helpers import free_port, run_cli


@pytest.fixture
def isolated_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose server state lives in tmp_path (the jar cache stays shared)."""
    return dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"))


def _free_ports() -> list[str]:
    return [
        f"--controller-port={free_port()}",
        f"--segment-store-port={free_port()}",
        f"--zk-port={free_port()}",
    ]


def _assert_one_clear_line(stderr: str, expected: str) -> None:
    """Exactly one error line, saying ``expected``; progress lines may precede it."""
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("pravechat: ")]
    assert len(errors) == 1, stderr
    assert expected in errors[0]


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock


def test_status_with_no_server_fails_fast(isolated_env: dict[str, str]) -> None:
    began = time.monotonic()
    result = run_cli("server", "status", f"--controller-port={free_port()}", env=isolated_env)
    elapsed = time.monotonic() - began
    assert result.returncode == 1
    assert "No Pravega server answers" in result.stdout
    assert elapsed < 2.0


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


@pytest.mark.parametrize("held", ["controller", "segment store"])
def test_a_port_held_by_another_program_is_a_clear_error(
    isolated_env: dict[str, str], listener: socket.socket, held: str
) -> None:
    port = listener.getsockname()[1]
    option = "--controller-port" if held == "controller" else "--segment-store-port"
    ports = [arg for arg in _free_ports() if not arg.startswith(option)]
    result = run_cli("server", "start", *ports, f"{option}={port}", env=isolated_env)
    assert result.returncode == 1
    _assert_one_clear_line(result.stderr, f"port {port} ({held}) is already in use by pid")
    assert f"pid {os.getpid()} " in result.stderr


def test_no_java_is_a_clear_error(isolated_env: dict[str, str], tmp_path: Path) -> None:
    env = dict(isolated_env, PATH=str(tmp_path / "empty-bin"))
    env.pop("JAVA_HOME", None)
    env.pop("PRAVECHAT_JAVA", None)
    result = run_cli("server", "start", *_free_ports(), env=env)
    assert result.returncode == 1
    _assert_one_clear_line(result.stderr, "no java found")


def _bin_with_java(tmp_path: Path) -> Path:
    java = shutil.which("java")
    assert java is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").symlink_to(java)
    return bin_dir


def test_no_maven_on_first_start_is_a_clear_error(
    isolated_env: dict[str, str], tmp_path: Path
) -> None:
    env = dict(isolated_env, PATH=str(_bin_with_java(tmp_path)), XDG_CACHE_HOME=str(tmp_path))
    result = run_cli("server", "start", *_free_ports(), env=env)
    assert result.returncode == 1
    _assert_one_clear_line(result.stderr, "no mvn found")


def test_a_failed_maven_resolution_is_a_clear_error(
    isolated_env: dict[str, str], tmp_path: Path
) -> None:
    bin_dir = _bin_with_java(tmp_path)
    mvn = bin_dir / "mvn"
    mvn.write_text(
        "#!/bin/sh\necho '[ERROR] Could not transfer artifact: network is down'\nexit 1\n"
    )
    mvn.chmod(0o755)
    env = dict(isolated_env, PATH=str(bin_dir), XDG_CACHE_HOME=str(tmp_path / "cache"))
    result = run_cli("server", "start", *_free_ports(), env=env)
    assert result.returncode == 1
    _assert_one_clear_line(result.stderr, "Maven could not resolve io.pravega:pravega-standalone")
    assert "network is down" in result.stderr


def test_a_server_that_dies_while_starting_shows_its_last_lines(
    isolated_env: dict[str, str], pravega_uri: str
) -> None:
    env = dict(isolated_env, PRAVECHAT_JAVA_OPTS="-XX:+NoSuchVmOption")
    result = run_cli("server", "start", *_free_ports(), env=env)
    assert result.returncode == 1
    _assert_one_clear_line(result.stderr, "Pravega exited while starting (exit code 1)")
    assert "NoSuchVmOption" in result.stderr  # the JVM's own words are shown


def test_an_invalid_heap_is_a_clear_error(isolated_env: dict[str, str]) -> None:
    result = run_cli("server", "start", "--heap=lots", *_free_ports(), env=isolated_env)
    assert result.returncode == 1
    _assert_one_clear_line(result.stderr, "invalid heap size 'lots'")


def test_stop_with_nothing_running_says_so(isolated_env: dict[str, str]) -> None:
    result = run_cli("server", "stop", env=isolated_env)
    assert result.returncode == 0
    assert "No local Pravega server is running" in result.stdout


@pytest.mark.parametrize("extra", ["--secure", "--foreground"])
def test_durable_refuses_what_it_does_not_do_in_one_line(
    isolated_env: dict[str, str], extra: str
) -> None:
    result = run_cli("server", "start", "--durable", extra, env=isolated_env)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "pravechat: --durable does not take --secure or --foreground (yet)"
    )


def test_logs_names_the_pieces_of_a_durable_server(isolated_env: dict[str, str]) -> None:
    result = run_cli("server", "logs", "--piece", "kernel", env=isolated_env)
    assert result.returncode == 1
    assert "choose one of zookeeper, bookie, controller, segmentstore" in result.stderr


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False
