"""The ``pravechat`` command: a thin shell; the work lives in the core and the server package."""

import sys
from typing import Annotated

import typer

from pravechat import __version__
from pravechat.core.errors import PravechatError
from pravechat.core.probe import DEFAULT_CONTROLLER_URI, controller_answers, parse_controller_uri
from pravechat.core.process import exit_process
from pravechat.scripting import history, send
from pravechat.server.cli import server_app

app = typer.Typer(
    help="A terminal chat on Pravega streams.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(server_app, name="server")
app.command()(send)
app.command()(history)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"pravechat {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def main(
    ctx: typer.Context,
    user: Annotated[
        str | None, typer.Option(envvar="PRAVECHAT_USER", help="Your nick in the chat.")
    ] = None,
    controller: Annotated[
        str, typer.Option(envvar="PRAVECHAT_CONTROLLER", help="Pravega controller URI.")
    ] = DEFAULT_CONTROLLER_URI,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Open the chat (`pravechat --user tim`), or manage the local server (`pravechat server`)."""
    if ctx.invoked_subcommand is not None:
        return
    if user is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    uri = parse_controller_uri(controller).uri
    if not controller_answers(uri, timeout=2.0):
        raise PravechatError(
            f"no Pravega server answers at {uri}: start one with `pravechat server start`"
        )
    typer.echo(
        f"Pravega answers at {uri}. The chat screen for {user} is not built yet: "
        "it arrives with the TUI issue."
    )


def run() -> None:
    """Console-script entry point: user mistakes become one line on stderr, never a traceback."""
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
