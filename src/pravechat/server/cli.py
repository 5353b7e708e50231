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
from pravechat.server.durable import (
    CLUSTER_LAYOUT,
    STATE_DIRS,
    DurablePorts,
    DurableRecord,
    DurableServer,
)
from pravechat.server.local import DEFAULT_HEAP, LocalServer, ServerPorts, StartOutcome
from pravechat.server.ports import reachable_from_outside
from pravechat.server.secure import SecureFiles

server_app = typer.Typer(
    help="Run a local Pravega server on this machine (Java and Maven, no Docker needed).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _local_server() -> LocalServer:
    return LocalServer(state_dir() / "server", cache_dir())


def _durable_server() -> DurableServer:
    return DurableServer(state_dir() / STATE_DIRS["durable"], cache_dir())


def _cluster_server() -> DurableServer:
    return DurableServer(state_dir() / STATE_DIRS["cluster"], cache_dir(), CLUSTER_LAYOUT)


def _running_pieces() -> tuple[DurableServer, DurableRecord] | None:
    """The durable server or the cluster, whichever runs (at most one can: same ports)."""
    for server in (_durable_server(), _cluster_server()):
        if (record := server.record()) is not None:
            return server, record
    return None


def _kind(server: DurableServer) -> str:
    return "Durable Pravega" if server.layout.controllers == 1 else "Pravega cluster"


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
    cluster: Annotated[
        bool,
        typer.Option(
            "--cluster",
            help="A cluster on this machine, on disk: ZooKeeper, three bookies, two "
            "controllers (the next on controller port + 2) and two segment stores: the chat "
            "goes on when a controller or a segment store dies (`server kill --piece`), and "
            "waits for a bookie.",
        ),
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Where --durable or --cluster keeps its data (default: state dir)."),
    ] = None,
    bookie_port: Annotated[
        int, typer.Option(help="The (first) bookie's port (--durable, --cluster).")
    ] = 3181,
) -> None:
    """Start Pravega 0.13.0 on loopback, unless one already answers: the standalone server
    (in memory), or with --durable or --cluster its pieces, on disk. Run again, it starts
    the pieces that died."""
    if durable or cluster:
        if durable and cluster:
            raise PravechatError("choose --durable or --cluster, not both")
        flag = "--durable" if durable else "--cluster"
        if foreground:
            raise PravechatError(f"{flag} does not take --foreground (yet)")
        pieces_ports = DurablePorts(
            controller_port, segment_store_port, zk_port, bookie_port, rest_port or 9091
        )
        _start_durable(_durable_server() if durable else _cluster_server(), pieces_ports,
                       data_dir, timeout, secure)  # fmt: skip
        return
    if (running := _running_pieces()) is not None:
        typer.echo(f"{_kind(running[0])} is already running at {running[1].uri}.")
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
        _explain_secure(server.secure_files, status.uri)
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


def _start_durable(
    server: DurableServer,
    ports: DurablePorts,
    data_dir: Path | None,
    timeout: float,
    secure: bool,
) -> None:
    kind = _kind(server)
    if (existing := server.record()) is not None:
        dead = server.dead_pieces(existing)
        if ports != existing.ports:
            typer.echo(f"It keeps the ports it runs on ({existing.uri}); "
                       "`pravechat server stop` it first to change them.")  # fmt: skip
        if not dead and existing.secure == secure:
            typer.echo(f"{kind} is already running at {existing.uri}.")
            return
        began = time.monotonic()
        server.start(ready_timeout=max(timeout, 240.0), secure=secure)
        took = time.monotonic() - began
        typer.echo(f"Started again: {', '.join(dead)} (ready in {took:.1f} s).")
        return
    if (other := _running_pieces()) is not None:
        raise PravechatError(f"{_kind(other[0])} runs: `pravechat server stop` it first")
    if _local_server().record() is not None:
        raise PravechatError("the in-memory server runs: `pravechat server stop` it first")
    uri = f"tcp://127.0.0.1:{ports.controller}"
    if controller_answers(uri, timeout=3.0):
        typer.echo(f"A Pravega server not started by pravechat already answers at {uri}.")
        return
    began = time.monotonic()
    record = server.start(ports, data_dir, max(timeout, 240.0), secure)
    took = time.monotonic() - began
    typer.echo(f"{kind} is running at {record.uri} (ready in {took:.1f} s).")
    if secure:
        _explain_secure(server.secure_files, record.uri)
    else:
        typer.echo(f"Chat on it: pravechat --user NAME --controller {record.uri}")
        _warn_if_open(record.uri.split(",")[0])
    typer.echo(f"Its data is in {record.data_dir}; `pravechat server stop` keeps it.")


def _explain_secure(files: SecureFiles, uri: str) -> None:
    typer.echo(f"It takes TLS and password authentication only (files: {files.directory}).")
    typer.echo("Clients connect with these settings (PRAVECHAT_* variables, or the config file):")
    for name, value in {"PRAVECHAT_CONTROLLER": uri, **files.client_settings()}.items():
        typer.echo(f"  export {name}={value}")


@server_app.command()
def stop() -> None:
    """Stop the server that `pravechat server start` started (a durable one keeps its data)."""
    pid = _local_server().stop()
    stopped = False
    for server in (_durable_server(), _cluster_server()):
        if (record := server.stop()) is not None:
            stopped = True
            typer.echo(f"Stopped {_kind(server).lower()}; its data stays in {record.data_dir}.")
    if pid:
        typer.echo(f"Stopped Pravega (pid {pid}).")
    if not pid and not stopped:
        typer.echo("No local Pravega server is running.")


@server_app.command()
def status(
    controller_port: Annotated[
        int, typer.Option(help="Port to check when pravechat started no server.")
    ] = 9090,
) -> None:
    """Exit 0 and describe the server when one answers; exit 1 otherwise."""
    if (pieces := _running_pieces()) is not None:
        durable, running = pieces
        answering = durable.answers(running)
        dead = durable.dead_pieces(running)
        state = "running" if answering else "not serving requests"
        if dead:
            state = f"degraded ({', '.join(dead)} dead)"
            if not answering:
                state += ": its controllers do not serve requests meanwhile"
        typer.echo(f"{_kind(durable)} 0.13.0 is {state}")
        typer.echo(f"  controller      {running.uri}")
        for name, pid in running.pids.items():
            typer.echo(f"  {name:<16}pid {pid}{'  (dead)' if name in dead else ''}")
        typer.echo(f"  security        {'TLS and passwords' if running.secure else 'none'}")
        typer.echo(f"  uptime          {_duration(time.time() - running.started_at)}")
        typer.echo(f"  data            {running.data_dir}")
        typer.echo(f"  logs            {durable.state_dir}/*.log")
        if dead:
            flags = _flag(durable, running)
            typer.echo(f"`pravechat server start {flags}` starts {', '.join(dead)} again.")
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
        str | None,
        typer.Option(
            help="A durable server's or a cluster's piece: zookeeper, bookie, controller, "
            "segmentstore (a cluster's: bookie-1..3, controller-1..2, segmentstore-1..2). "
            "Default: the (first) segment store."
        ),
    ] = None,
) -> None:
    """Show the tail of the local server's log (a durable one's or a cluster's: one piece's)."""
    pieces = _running_pieces()
    if pieces is not None or not _local_server().log_path.exists():
        durable = pieces[0] if pieces is not None else _last_run()
        names = durable.piece_names()
        chosen = piece or next(name for name in names if name.startswith("segmentstore"))
        if chosen not in names:
            raise PravechatError(f"no piece {chosen!r}: choose one of {', '.join(names)}")
        path = durable.log_path(chosen)
    else:
        if piece is not None:
            raise PravechatError("--piece is for a durable server or a cluster; none runs")
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


def _last_run() -> DurableServer:
    """The durable server or the cluster, whichever logged last (neither runs)."""

    def logged(server: DurableServer) -> float:
        times = [log.stat().st_mtime for log in server.state_dir.glob("*.log")]
        return max(times, default=0.0)

    return max((_durable_server(), _cluster_server()), key=logged)


def _flag(server: DurableServer, record: DurableRecord) -> str:
    """The start flags that bring its dead pieces back."""
    layout = "--durable" if server.layout.controllers == 1 else "--cluster"
    return f"{layout} --secure" if record.secure else layout


@server_app.command()
def kill(
    piece: Annotated[
        str,
        typer.Option(help="Which piece, as `server status` names it (e.g. bookie-2)."),
    ],
) -> None:
    """SIGKILL one piece of a durable server or a cluster, as a crash would (a fault drill);
    `server start --cluster` (or --durable) starts it again."""
    pieces = _running_pieces()
    if pieces is None:
        raise PravechatError("no durable server or cluster started by pravechat is running")
    server, record = pieces
    pid = server.kill_piece(piece)
    typer.echo(f"Killed {piece} (pid {pid}); `pravechat server start {_flag(server, record)}` "
               "starts it again.")  # fmt: skip
