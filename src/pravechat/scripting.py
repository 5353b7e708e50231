"""``pravechat send`` and ``pravechat history``: the chat from scripts and bots."""

import asyncio
import codecs
import os
import re
import signal
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from pravechat.core.annotations import Annotations, Look
from pravechat.core.connect import connect
from pravechat.core.direct import DirectChats, parse_members
from pravechat.core.errors import PravechatError
from pravechat.core.identity import Identity
from pravechat.core.keys import sync_keys
from pravechat.core.names import (
    conversation_id,
    is_direct,
    normalize_room,
    public_room,
    room_stream,
    validate_user,
)
from pravechat.core.probe import DEFAULT_CONTROLLER_URI
from pravechat.core.protocol import ANNOTATIONS, ChatMessage, Kind, dump_event, new_message
from pravechat.core.search import RoomSearch
from pravechat.core.settings import load_settings
from pravechat.core.transport import DEFAULT_SCOPE, Transport
from pravechat.core.trust import KeyRing

UNVERIFIED_MARK = "(unverified)"

ControllerOption = Annotated[
    str | None,
    typer.Option(
        help=f"Pravega controller URI (default: {DEFAULT_CONTROLLER_URI}); a cluster's "
        "controllers comma-separated, tcp://HOST1:PORT,HOST2:PORT: another takes over when "
        "one dies."
    ),
]
ScopeOption = Annotated[
    str | None, typer.Option(help=f"Pravega scope holding the rooms (default: {DEFAULT_SCOPE}).")
]
TlsOption = Annotated[bool, typer.Option("--tls", help="Connect with TLS.")]
CaCertOption = Annotated[Path | None, typer.Option(help="CA certificate (PEM) that TLS trusts.")]


def _connect(
    controller: str | None, scope: str | None, tls: bool, ca_cert: Path | None
) -> Transport:
    """Flags, then PRAVECHAT_* variables, then the config file, as for the chat."""
    settings = load_settings(controller=controller, scope=scope, tls=tls or None, ca_cert=ca_cert)
    return connect(settings)


def _terminate(*_: object) -> NoReturn:
    raise KeyboardInterrupt


def _sigterm_as_interrupt() -> None:
    """SIGTERM unwinds like Ctrl-C, so writers are flushed and readers go offline."""
    signal.signal(signal.SIGTERM, _terminate)


def send(
    text: Annotated[list[str], typer.Argument(help="The message; `-` reads stdin, one per line.")],
    user: Annotated[str, typer.Option(envvar="PRAVECHAT_USER", help="Send as this user.")],
    room: Annotated[str, typer.Option(envvar="PRAVECHAT_ROOM", help="Room to send to.")] = "lobby",
    to: Annotated[
        str | None,
        typer.Option(help="Send privately to NICK (or NICK,NICK: a group) instead of a room."),
    ] = None,
    me: Annotated[bool, typer.Option("--me", help="Send as an action, like /me.")] = False,
    controller: ControllerOption = None,
    scope: ScopeOption = None,
    tls: TlsOption = False,
    ca_cert: CaCertOption = None,
) -> None:
    """Send a message; exits 0 once Pravega has acknowledged every message."""
    _sigterm_as_interrupt()
    kind = Kind.ACTION if me else Kind.CHAT
    members = parse_members(validate_user(user), to) if to is not None else None
    room = public_room(room)
    room_stream(room)  # #streamcli is none: refused before connecting too
    if text != ["-"]:  # refused before connecting: nothing is created for a bad message
        new_message(room, user, " ".join(text), kind)
    transport = _connect(controller, scope, tls, ca_cert)
    identity = Identity.load_or_create(user)
    ring = KeyRing.for_user(user, identity.key, transport.identity, transport.scope)
    direct = DirectChats(transport, identity, ring)
    direct.attach()
    asyncio.run(sync_keys(transport, identity, ring))
    if members is not None:
        room = asyncio.run(_conversation(direct, members))
    batches: Iterable[list[ChatMessage]]
    if text == ["-"]:
        batches = _stdin_batches(room, user, kind)
    else:
        batches = [[new_message(room, user, " ".join(text), kind)]]
    asyncio.run(_send_all(transport, room, batches))


async def _conversation(direct: DirectChats, members: tuple[str, ...]) -> str:
    """The conversation of ``members``, started (and announced) if new."""
    await direct.read_inbox()
    return await direct.start(members)


def _stdin_batches(room: str, user: str, kind: Kind) -> Iterator[list[ChatMessage]]:
    """One message per non-blank line, in lists of the lines that arrived together: a file of
    a million lines goes out pipelined, a line written into a pipe goes out at once. A
    refused line stops the run, naming its number, after the lines before it are sent."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    number, partial = 0, ""
    while True:
        chunk = os.read(sys.stdin.fileno(), 1 << 16)  # what has arrived, up to 64 KiB
        *lines, partial = (partial + decoder.decode(chunk, final=not chunk)).split("\n")
        if not chunk and partial:
            lines, partial = [*lines, partial], ""
        batch: list[ChatMessage] = []
        for line in lines:
            number += 1
            if not line.strip():
                continue
            try:
                batch.append(new_message(room, user, line, kind))
            except PravechatError as error:
                yield batch
                raise PravechatError(f"stdin line {number}: {error}") from None
        yield batch
        if not chunk:
            return


async def _send_all(transport: Transport, room: str, batches: Iterable[list[ChatMessage]]) -> None:
    writer = await transport.open_writer(room)
    try:
        for batch in batches:
            if len(batch) == 1:
                await writer.send(batch[0])
            elif batch:
                await writer.send_batch(batch)
    finally:
        await writer.flush()


def format_line(
    message: ChatMessage, verified: bool = True, look: Look | None = None, answered: str = ""
) -> str:
    """A message as one plain-text block; continuation lines are indented. A sender who could
    not be verified is marked, as on the screen; ``look``: its edits, deletion and reactions;
    ``answered``: the start of the message a reply answers."""
    look = look or Look(message.text)
    text = "(deleted)" if look.deleted else look.text + (" (edited)" if look.edited else "")
    if answered:
        text = f"(re {answered}) {text}"
    if look.reactions:
        text += "  [" + ", ".join(f"{r.text} {r.count}" for r in look.reactions) + "]"
    stamp = message.sent_at.strftime("%Y-%m-%d %H:%M:%S")
    if not verified:
        stamp += " " + UNVERIFIED_MARK
    if message.kind is Kind.ACTION:
        head = f"{stamp} * {message.sender} "
    elif message.kind is Kind.SYSTEM:
        head = f"{stamp} -- "
    else:
        head = f"{stamp} <{message.sender}> "
    return head + text.replace("\n", "\n" + " " * len(head))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def format_markdown(
    message: ChatMessage, verified: bool = True, look: Look | None = None, answered: str = ""
) -> str:
    """A message as a Markdown list item. Its text is escaped: a sender's ``![x](http://...)``
    or ``<script>`` shows as typed, never as an image, a link or HTML."""
    look = look or Look(message.text)

    def escaped(text: str) -> str:
        return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n  ")

    text = "*(deleted)*" if look.deleted else escaped(look.text)
    if look.edited:
        text += " *(edited)*"
    if answered:
        text = f"> {escaped(answered)}  \n  {text}"
    if look.reactions:
        text += "  \n  " + ", ".join(f"{escaped(r.text)} {r.count}" for r in look.reactions)
    when = message.sent_at.strftime("%Y-%m-%d %H:%M:%S")
    who = f"**{escaped(message.sender)}**" + ("" if verified else " (unverified)")
    if message.kind is Kind.ACTION:
        who = f"\\* {who}"
    return f"- {when} {who}: {text}"


def parse_date(text: str | None, option: str) -> datetime | None:
    """``2026-11-27`` or ``2026-11-27T10:00[:00][+01:00]``; local time without a zone."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise PravechatError(
            f"{option} {text!r}: not a date (2026-11-27, or 2026-11-27T10:00)"
        ) from None
    return when if when.tzinfo is not None else when.astimezone()


def label_of(room: str) -> str:
    return f"conversation {room}" if is_direct(room) else f"#{room}"


def history(
    room: Annotated[str | None, typer.Argument(help="The room (not with --with).")] = None,
    with_: Annotated[
        str | None,
        typer.Option(
            "--with", help="The private conversation with NICK (or NICK,NICK); needs --user."
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help='One protocol JSON object per line, with "verified": true or false.'
        ),
    ] = False,
    user: Annotated[
        str | None,
        typer.Option(
            envvar="PRAVECHAT_USER",
            help="Judge senders by this user's pinned keys (else by the keys stream alone).",
        ),
    ] = None,
    grep: Annotated[
        str | None,
        typer.Option(help="Only messages holding TEXT (any case), from the whole history."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only messages sent from DATE on (2026-11-27 or 2026-11-27T10:00)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only messages sent before DATE (local time if no zone).")
    ] = None,
    as_markdown: Annotated[
        bool, typer.Option("--markdown", help="A Markdown list, for an export or a report.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most the last N messages.")] = 1000,
    controller: ControllerOption = None,
    scope: ScopeOption = None,
    tls: TlsOption = False,
    ca_cert: CaCertOption = None,
) -> None:
    """Print the room's (or conversation's) retained messages, oldest first."""
    _sigterm_as_interrupt()
    if (room is None) == (with_ is None):
        raise PravechatError("name a room, or a conversation with --with NICK (not both)")
    if with_ is not None and user is None:
        raise PravechatError("--with needs --user: only a member can read a conversation")
    if room is not None:
        room_stream(normalize_room(room))  # #streamcli is none: refused before connecting
    transport = _connect(controller, scope, tls, ca_cert)
    ring = _key_ring(user, transport)
    if with_ is not None and user is not None:
        room = _open_conversation(transport, ring, user, with_)
    else:
        room = normalize_room(room or "")
        if room not in asyncio.run(transport.list_rooms()):  # reading must not create it
            raise PravechatError(
                f"no room #{room} in scope {transport.scope}: `pravechat rooms` lists the rooms"
            )
    if as_json and as_markdown:
        raise PravechatError("--json or --markdown: not both")
    asyncio.run(sync_keys(transport, None, ring))
    if grep is not None or since is not None or until is not None:  # the whole history
        when = parse_date(since, "--since"), parse_date(until, "--until")
        search = RoomSearch(transport, room_stream(room), grep or "", user or "", *when, limit)
        messages = [hit.message for hit in search.search_blocking()]
        notes = search.notes
    else:
        messages, notes = asyncio.run(transport.history(room, limit)), Annotations(user or "")
    verdicts = {message.id: ring.judge(message, note=False).verified for message in messages}
    by_id = {message.id: message for message in messages}
    for message in messages:
        notes.add(message, verdicts[message.id])
    if as_markdown:
        typer.echo(f"# {label_of(room)}\n")
    for message in messages:
        verified = verdicts[message.id]
        if as_json:  # every event as it is: scripts apply edits and reactions themselves
            fields = {**message.wire_fields(), "verified": verified}
            if is_direct(room):  # decrypted: the signature was over the ciphertext
                fields = {k: v for k, v in fields.items() if k not in ("key", "sig")}
                fields["readable"] = message.unreadable is None
            typer.echo(dump_event(fields))
        elif message.kind not in ANNOTATIONS:
            answered = by_id.get(message.reply_to) if message.reply_to else None
            quoted = notes.answered(message, answered) if message.reply_to else ""
            shown = format_markdown if as_markdown else format_line
            typer.echo(shown(message, verified, notes.look(message), quoted))
    for change in ring.take_changes():
        typer.echo(f"warning: {change.warning()}", err=True)


def _open_conversation(transport: Transport, ring: KeyRing, user: str, others: str) -> str:
    """The conversation's id, with the transport ready to decrypt it as ``user``."""
    members = parse_members(validate_user(user), others)
    room = conversation_id(members)
    identity = Identity.load(user)
    if identity is None:
        raise PravechatError(f"no keys for {user} on this machine: they cannot be read here")
    direct = DirectChats(transport, identity, ring)
    direct.members[room] = members
    direct.attach()
    if not transport.stream_exists(room):  # reading must not create it
        raise PravechatError(f"no conversation of {', '.join(members)} in scope {transport.scope}")
    return room


def _key_ring(user: str | None, transport: Transport) -> KeyRing:
    """``user``'s pins when given; else pins taken afresh from the keys stream."""
    if user is None:
        return KeyRing()
    identity = Identity.load(validate_user(user))
    key = identity.key if identity else None
    return KeyRing.for_user(user, key, transport.identity, transport.scope)


def rooms(
    controller: ControllerOption = None,
    scope: ScopeOption = None,
    tls: TlsOption = False,
    ca_cert: CaCertOption = None,
) -> None:
    """List the rooms of the scope, one per line."""
    transport = _connect(controller, scope, tls, ca_cert)
    for room in asyncio.run(transport.list_rooms()):
        typer.echo(room)
