"""The ``pravechat`` command: a thin shell; the work lives in the core and the server package."""

import sys
from typing import Annotated

import typer

from pravechat import __version__
from pravechat.core.errors import PravechatError
from pravechat.core.names import STREAMCLI_ROOM
from pravechat.core.paths import owner_only
from pravechat.core.probe import controller_answers, parse_controllers
from pravechat.core.process import exit_process
from pravechat.core.settings import load_settings
from pravechat.keys_cli import keys_app
from pravechat.scripting import CaCertOption, ControllerOption, TlsOption, history, rooms, send
from pravechat.server.cli import server_app

app = typer.Typer(
    help="A terminal chat on Pravega streams.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # typer's rich help shows every flag as `--tls <bool>`
)
app.add_typer(server_app, name="server")
app.add_typer(keys_app, name="keys")
app.command()(send)
app.command()(history)
app.command()(rooms)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"pravechat {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    user: Annotated[
        str | None, typer.Option(help="Your nick (or PRAVECHAT_USER, or user in the config).")
    ] = None,
    room: Annotated[str | None, typer.Option(help="Room to open (default: lobby).")] = None,
    streamcli: Annotated[
        bool,
        typer.Option(
            "--streamcli",
            help="Open the conversation with StreamCli users (its scope 'scope', stream "
            "'stream', on the same controller).",
        ),
    ] = False,
    controller: ControllerOption = None,
    scope: Annotated[str | None, typer.Option(help="Pravega scope of the chat.")] = None,
    tls: TlsOption = False,
    ca_cert: CaCertOption = None,
    start_server: Annotated[
        bool, typer.Option(help="Start the local Pravega server if none answers.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Open the chat (`pravechat --user tim`), or run a subcommand.

    Settings come from flags, then PRAVECHAT_* variables (PRAVECHAT_USER, PRAVECHAT_ROOM,
    PRAVECHAT_CONTROLLER, PRAVECHAT_SCOPE, PRAVECHAT_HISTORY, PRAVECHAT_SCROLLBACK,
    PRAVECHAT_TLS, PRAVECHAT_CA_CERT), then the config file (~/.config/pravechat/config.toml,
    or PRAVECHAT_CONFIG). Credentials never come from a flag: set auth_user and
    password_file (or password) in the config, or PRAVECHAT_AUTH_USER and
    PRAVECHAT_PASSWORD_FILE (or PRAVECHAT_PASSWORD).
    """
    if ctx.invoked_subcommand is not None:
        given = [f"--{name.replace('_', '-')}" for name, value in ctx.params.items()
                 if value not in (None, False) and name != "version"]  # fmt: skip
        if given:  # silently ignored, a send would go to another scope than the one meant
            command = ctx.invoked_subcommand
            raise PravechatError(
                f"{given[0]} before `{command}` would be ignored: give {command}'s own "
                f"options after it (pravechat {command} --help lists them)"
            )
        return
    if streamcli and room is not None:
        raise PravechatError("--streamcli opens StreamCli's room: leave out --room (/join it)")
    if streamcli:
        room = STREAMCLI_ROOM
    settings = load_settings(
        user=user, room=room, controller=controller, scope=scope, tls=tls or None, ca_cert=ca_cert
    )
    if settings.user is None:
        typer.echo(ctx.get_help())
        raise PravechatError("who are you? pass --user NICK (or set PRAVECHAT_USER)")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise PravechatError(
            "the chat needs a terminal (stdin and stdout); from a script use "
            "`pravechat send` and `pravechat history`"
        )
    if start_server and not controller_answers(settings.controller, timeout=2.0):
        if len(parse_controllers(settings.controller)) > 1:
            raise PravechatError(
                f"no controller answers at {settings.controller}: --start-server starts "
                "one local server, not a cluster (`pravechat server start --cluster`)"
            )
        _start_local_server(settings.controller)
    from pravechat.ui.run import run_chat  # textual loads only for the chat itself

    run_chat(settings)


def _start_local_server(uri: str) -> None:
    from pravechat.core.paths import cache_dir, state_dir
    from pravechat.server.local import LocalServer, ServerPorts

    port = parse_controllers(uri)[0].port
    typer.echo(f"Starting a local Pravega server on port {port}...", err=True)
    LocalServer(state_dir() / "server", cache_dir()).start(ServerPorts(controller=port))


def run() -> None:
    """Console-script entry point: user mistakes become one line on stderr, never a traceback."""
    owner_only()
    code = 0
    try:
        app()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if isinstance(stop.code, str):
            print(stop.code, file=sys.stderr)
    except PravechatError as error:
        print(f"pravechat: {error}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    exit_process(code)
