"""``pravechat server ...``: a thin shell over :mod:`pravechat.server.local` and
:mod:`pravechat.server.durable`."""

import time
from collections import deque
from pathlib import Path
from typing import Annotated

import typer

from pravechat.core.errors import PravechatError
from pravechat.core.paths import cache_dir, state_dir
from pravechat.core.probe import controller_answers
from pravechat.server.durable import PIECES, DurablePorts, DurableServer
from pravechat.server.local import DEFAULT_HEAP, LocalServer, ServerPorts, StartOutcome
from pravechat.server.ports import reachable_from_outside

server_app = typer.Typer(
    help="Run a local Pravega server on this machine (Java and Maven, no Docker needed).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _local_server() -> LocalServer:
    return LocalServer(state_dir() / "server", cache_dir())


def _durable_server() -> DurableServer:
    return DurableServer(state_dir() / "durable", cache_dir())


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


@server_app.command()
def start(
    controller_port: Annotated[int, typer.Option(help="Controller gRPC port.")] = 9090,
    segment_store_port: Annotated[int, typer.Option(help="Segment store port.")] = 6000,
    zk_port: Annotated[int, typer.Option(help="Embedded ZooKeeper port.")] = 4000,
    rest_port: Annotated[
        int | None, typer.Option(help="Enable the controller REST API on this port.")
    ] = None,
    heap: Annotated[str, typer.Option(help="JVM maximum heap, e.g. 512m or 2g.")] = DEFAULT_HEAP,
    timeout: Annotated[float, typer.Option(help="Seconds to wait until it serves.")] = 180.0,
    foreground: Annotated[bool, typer.Option(help="Stay attached; Ctrl-C stops it.")] = False,
    secure: Annotated[
        bool,
        typer.Option(
            "--secure",
            help="TLS only, with a generated certificate, and password authentication with "
            "a generated account.",
        ),
    ] = False,
    durable: Annotated[
        bool,
        typer.Option(
            "--durable",
            help="Keep every stream on disk across restarts: ZooKeeper, a bookie, the "
            "controller and the segment store, each a process of its own.",
        ),
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Where --durable keeps its data (default: state dir)."),
    ] = None,
    bookie_port: Annotated[int, typer.Option(help="The bookie's port (--durable).")] = 3181,
) -> None:
    """Start Pravega 0.13.0 on loopback, unless one already answers: the standalone server
    (in memory), or with --durable the pieces of a cluster, on disk."""
    if durable:
        if secure or foreground:
            raise PravechatError("--durable does not take --secure or --foreground (yet)")
        pieces_ports = DurablePorts(
            controller_port, segment_store_port, zk_port, bookie_port, rest_port or 9091
        )
        _start_durable(pieces_ports, data_dir, timeout)
        return
    if (running := _durable_server().record()) is not None:
        typer.echo(f"Durable Pravega is already running at {running.uri}.")
        return
    server = _local_server()
    ports = ServerPorts(controller_port, segment_store_port, zk_port, rest_port)
    began = time.monotonic()
    outcome, status = server.start(ports, heap, timeout, foreground, secure)
    if outcome is StartOutcome.FOREIGN:
        typer.echo(f"A Pravega server not started by pravechat already answers at {status.uri}.")
        return
    pid = status.record.pid if status.record else "?"
    if outcome is StartOutcome.ALREADY_RUNNING:
        typer.echo(f"Pravega is already running at {status.uri} (pid {pid}).")
        _warn_if_open(status.uri)
        return
    took = time.monotonic() - began
    typer.echo(f"Pravega is running at {status.uri} (pid {pid}, ready in {took:.1f} s).")
    _warn_if_open(status.uri)
    if secure:
        _explain_secure(server, status.uri)
    if foreground:
        typer.echo("Press Ctrl-C to stop it.")
        raise typer.Exit(server.wait_foreground())


def _warn_if_open(uri: str) -> None:
    """Say so when a server without passwords also answers from other hosts."""
    if not uri.startswith("tcp://"):
        return
    if (outside := reachable_from_outside(int(uri.rsplit(":", 1)[1]))) is not None:
        typer.echo(
            f"Warning: its controller also answers at {outside}, without a password: anyone "
            "who can reach this machine can read, write and delete every room "
            "(`server start --secure` asks for one).",
            err=True,
        )


def _start_durable(ports: DurablePorts, data_dir: Path | None, timeout: float) -> None:
    server = _durable_server()
    if (existing := server.record()) is not None:
        typer.echo(f"Durable Pravega is already running at {existing.uri}.")
        return
    if _local_server().record() is not None:
        raise PravechatError("the in-memory server runs: `pravechat server stop` it first")
    uri = f"tcp://127.0.0.1:{ports.controller}"
    if controller_answers(uri, timeout=3.0):
        typer.echo(f"A Pravega server not started by pravechat already answers at {uri}.")
        return
    began = time.monotonic()
    record = server.start(ports, data_dir, max(timeout, 240.0))
    took = time.monotonic() - began
    typer.echo(f"Durable Pravega is running at {record.uri} (ready in {took:.1f} s).")
    _warn_if_open(record.uri)
    typer.echo(f"Its data is in {record.data_dir}; `pravechat server stop` keeps it.")


def _explain_secure(server: LocalServer, uri: str) -> None:
    files = server.secure_files
    typer.echo(f"It takes TLS and password authentication only (files: {files.directory}).")
    typer.echo("Clients connect with these settings (PRAVECHAT_* variables, or the config file):")
    for name, value in {"PRAVECHAT_CONTROLLER": uri, **files.client_settings()}.items():
        typer.echo(f"  export {name}={value}")


@server_app.command()
def stop() -> None:
    """Stop the server that `pravechat server start` started (a durable one keeps its data)."""
    pid = _local_server().stop()
    durable = _durable_server().stop()
    if pid:
        typer.echo(f"Stopped Pravega (pid {pid}).")
    if durable:
        typer.echo(f"Stopped durable Pravega; its data stays in {durable.data_dir}.")
    if not pid and not durable:
        typer.echo("No local Pravega server is running.")


@server_app.command()
def status(
    controller_port: Annotated[
        int, typer.Option(help="Port to check when pravechat started no server.")
    ] = 9090,
) -> None:
    """Exit 0 and describe the server when one answers; exit 1 otherwise."""
    durable = _durable_server()
    if (running := durable.record()) is not None:
        answering = controller_answers(running.uri, timeout=3.0)
        dead = durable.dead_pieces(running)
        typer.echo(f"Durable Pravega 0.13.0 is {'running' if answering else 'not answering'}")
        typer.echo(f"  controller  {running.uri}")
        for name, pid in running.pids.items():
            typer.echo(f"  {name:<13}pid {pid}{'  (dead)' if name in dead else ''}")
        typer.echo(f"  uptime      {_duration(time.time() - running.started_at)}")
        typer.echo(f"  data        {running.data_dir}")
        typer.echo(f"  logs        {durable.state_dir}/*.log")
        if not answering or dead:
            raise typer.Exit(1)
        return
    current = _local_server().status(controller_port)
    record = current.record
    if record is not None and current.answering and current.uptime is not None:
        typer.echo(f"Pravega {record.version} standalone is running")
        typer.echo(f"  controller  {record.uri}")
        typer.echo(f"  pid         {record.pid}")
        typer.echo(f"  uptime      {_duration(current.uptime)}")
        typer.echo(f"  security    {'TLS and passwords' if record.secure else 'none'}")
        typer.echo(f"  logs        {_local_server().log_path}")
        return
    if record is not None:
        typer.echo(f"Pravega (pid {record.pid}) is running but {record.uri} does not answer yet.")
        raise typer.Exit(1)
    if current.answering:
        typer.echo(f"A Pravega server not started by pravechat answers at {current.uri}.")
        return
    typer.echo(f"No Pravega server answers at {current.uri}.")
    raise typer.Exit(1)


@server_app.command()
def logs(
    lines: Annotated[int, typer.Option("--lines", "-n", help="How many lines.")] = 50,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing.")] = False,
    piece: Annotated[
        str,
        typer.Option(help="With --durable: zookeeper, bookie, controller or segmentstore."),
    ] = "segmentstore",
) -> None:
    """Show the tail of the local server's log (a durable one's: one piece's)."""
    durable = _durable_server()
    if durable.record() is not None or not _local_server().log_path.exists():
        names = [p.name for p in PIECES]
        if piece not in names:
            raise PravechatError(f"no piece {piece!r}: choose one of {', '.join(names)}")
        path = durable.log_path(piece)
    else:
        path = _local_server().log_path
    if not path.exists():
        typer.echo(f"No server log yet ({path}).")
        raise typer.Exit(1)
    with path.open(errors="replace") as handle:
        for line in deque(handle, maxlen=lines):
            typer.echo(line, nl=False)
        if follow:
            try:
                while True:
                    line = handle.readline()
                    if line:
                        typer.echo(line, nl=False)
                    else:
                        time.sleep(0.2)
            except KeyboardInterrupt:
                return
