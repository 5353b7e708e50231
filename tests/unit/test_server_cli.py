"""`pravechat server ...` as a user runs it: real processes, real ports, real Java."""

import os
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import assert_one_clear_line, free_port, free_ports, run_cli


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


@pytest.mark.parametrize("held", ["controller", "segment store"])
def test_a_port_held_by_another_program_is_a_clear_error(
    isolated_env: dict[str, str], listener: socket.socket, held: str
) -> None:
    port = listener.getsockname()[1]
    option = "--controller-port" if held == "controller" else "--segment-store-port"
    ports = [arg for arg in free_ports() if not arg.startswith(option)]
    result = run_cli("server", "start", *ports, f"{option}={port}", env=isolated_env)
    assert result.returncode == 1
    assert_one_clear_line(result.stderr, f"port {port} ({held}) is already in use by pid")
    assert f"pid {os.getpid()} " in result.stderr


def test_no_java_is_a_clear_error(isolated_env: dict[str, str], tmp_path: Path) -> None:
    env = dict(isolated_env, PATH=str(tmp_path / "empty-bin"))
    env.pop("JAVA_HOME", None)
    env.pop("PRAVECHAT_JAVA", None)
    result = run_cli("server", "start", *free_ports(), env=env)
    assert result.returncode == 1
    assert_one_clear_line(result.stderr, "no java found")


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
    result = run_cli("server", "start", *free_ports(), env=env)
    assert result.returncode == 1
    assert_one_clear_line(result.stderr, "no mvn found")


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
    result = run_cli("server", "start", *free_ports(), env=env)
    assert result.returncode == 1
    assert_one_clear_line(result.stderr, "Maven could not resolve io.pravega:pravega-standalone")
    assert "network is down" in result.stderr


def test_an_invalid_heap_is_a_clear_error(isolated_env: dict[str, str]) -> None:
    result = run_cli("server", "start", "--heap=lots", *free_ports(), env=isolated_env)
    assert result.returncode == 1
    assert_one_clear_line(result.stderr, "invalid heap size 'lots'")


def test_stop_with_nothing_running_says_so(isolated_env: dict[str, str]) -> None:
    result = run_cli("server", "stop", env=isolated_env)
    assert result.returncode == 0
    assert "No local Pravega server is running" in result.stdout


@pytest.mark.parametrize("layout", ["--durable", "--cluster"])
def test_durable_and_cluster_refuse_what_they_do_not_do_in_one_line(
    isolated_env: dict[str, str], layout: str
) -> None:
    result = run_cli("server", "start", layout, "--foreground", env=isolated_env)
    assert result.returncode == 1
    assert result.stderr.strip() == f"pravechat: {layout} does not take --foreground (yet)"


def test_logs_names_the_pieces_of_a_durable_server(isolated_env: dict[str, str]) -> None:
    result = run_cli("server", "logs", "--piece", "kernel", env=isolated_env)
    assert result.returncode == 1
    assert "choose one of zookeeper, bookie, controller, segmentstore" in result.stderr


def test_durable_and_cluster_together_is_one_clear_error(isolated_env: dict[str, str]) -> None:
    result = run_cli("server", "start", "--durable", "--cluster", env=isolated_env)
    assert result.returncode == 1
    assert result.stderr.strip() == "pravechat: choose --durable or --cluster, not both"


def test_killing_a_piece_with_nothing_running_says_so(isolated_env: dict[str, str]) -> None:
    result = run_cli("server", "kill", "--piece", "bookie-2", env=isolated_env)
    assert result.returncode == 1
    assert_one_clear_line(result.stderr, "no durable server or cluster started by pravechat")
