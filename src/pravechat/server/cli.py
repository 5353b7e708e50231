"""``pravechat server ...``: a thin shell over :mod:`pravechat.server.local`."""

import time
from typing import Annotated

import typer

from pravechat.core.paths import cache_dir, state_dir
from pravechat.server.local import DEFAULT_HEAP, LocalServer, ServerPorts, StartOutcome

server_app = typer.Typer(
    help="Run a local Pravega server on this machine (Java and Maven, no Docker needed).",
    no_args_is_help=True,
)


def _local_server() -> LocalServer:
    return LocalServer(state_dir() / "server", cache_dir())


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
) -> None:
    """Start Pravega 0.13.0 standalone on loopback, unless one already answers."""
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
        return
    took = time.monotonic() - began
    typer.echo(f"Pravega is running at {status.uri} (pid {pid}, ready in {took:.1f} s).")
    if secure:
        _explain_secure(server, status.uri)
    if foreground:
        typer.echo("Press Ctrl-C to stop it.")
        raise typer.Exit(server.wait_foreground())


def _explain_secure(server: LocalServer, uri: str) -> None:
    files = server.secure_files
    typer.echo(f"It takes TLS and password authentication only (files: {files.directory}).")
    typer.echo("Clients connect with these settings (PRAVECHAT_* variables, or the config file):")
    for name, value in {"PRAVECHAT_CONTROLLER": uri, **files.client_settings()}.items():
        typer.echo(f"  export {name}={value}")


@server_app.command()
def stop() -> None:
    """Stop the server that `pravechat server start` started."""
    pid = _local_server().stop()
    typer.echo(f"Stopped Pravega (pid {pid})." if pid else "No local Pravega server is running.")


@server_app.command()
def status(
    controller_port: Annotated[
        int, typer.Option(help="Port to check when pravechat started no server.")
    ] = 9090,
) -> None:
    """Exit 0 and describe the server when one answers; exit 1 otherwise."""
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
) -> None:
    """Show the tail of the local server's log."""
    server = _local_server()
    if not server.log_path.exists():
        typer.echo(f"No server log yet ({server.log_path}).")
        raise typer.Exit(1)
    for line in server.log_tail(lines):
        typer.echo(line)
    if follow:
        with server.log_path.open(errors="replace") as handle:
            handle.seek(0, 2)
            try:
                while True:
                    line = handle.readline()
                    if line:
                        typer.echo(line, nl=False)
                    else:
                        time.sleep(0.2)
            except KeyboardInterrupt:
                return
