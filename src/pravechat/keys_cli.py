"""``pravechat keys``: show, export and import the keys that sign what a user writes."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from pravechat.core.errors import PravechatError
from pravechat.core.identity import Identity, key_file

keys_app = typer.Typer(
    help="Your signing keys: show the fingerprint, move them to another machine.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
UserOption = Annotated[str, typer.Option(envvar="PRAVECHAT_USER", help="Whose keys.")]


@keys_app.command()
def show(user: UserOption) -> None:
    """Print your key's fingerprint, for others to compare with /verify."""
    identity = Identity.load(user)
    if identity is None:  # never made here: this is not the machine whose key is asked for
        raise PravechatError(
            f"no keys for {user} on this machine: they are made when {user} first chats or "
            "sends here (or `pravechat keys import` brings them)"
        )
    typer.echo(f"{identity.user} {identity.fingerprint}")
    typer.echo(f"public key {identity.key}")
    typer.echo(f"kept in {key_file(identity.user)}")


@keys_app.command()
def export(
    user: UserOption,
    output: Annotated[
        Path | None, typer.Option(help="Write to this file (0600) instead of stdout.")
    ] = None,
) -> None:
    """Print your private keys, to import on another machine. Whoever has them can write as you."""
    identity = Identity.load(user)
    if identity is None:
        raise PravechatError(f"no keys for {user} on this machine: nothing to export")
    if output is None:
        typer.echo(identity.export())
        return
    try:
        with output.open("x") as file:
            output.chmod(0o600)
            file.write(identity.export() + "\n")
    except FileExistsError:
        raise PravechatError(f"{output} exists: choose another file") from None
    except OSError as error:
        raise PravechatError(f"cannot write {output}: {error.strerror}") from None
    typer.echo(f"exported {identity.fingerprint} to {output}", err=True)


@keys_app.command(name="import")
def import_(
    user: UserOption,
    source: Annotated[str, typer.Argument(help="A file from `keys export`; `-` reads stdin.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace the keys this machine has for the user.")
    ] = False,
) -> None:
    """Use keys exported on another machine, so both sign as the same person."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
    except OSError as error:
        raise PravechatError(f"cannot read {source}: {error.strerror}") from None
    identity = Identity.parse(text, user, "stdin" if source == "-" else source)
    current = Identity.load(user)
    if current is not None and current.key == identity.key:
        typer.echo(f"{user} already uses {identity.fingerprint}")
        return
    path = identity.save(replace=force)
    typer.echo(f"{user} now signs with {identity.fingerprint} (kept in {path})")
