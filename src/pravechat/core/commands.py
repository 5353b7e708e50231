"""Slash-commands, parsed without any UI, so a TUI and a bot expand them the same way."""

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources

from pravechat.core.errors import PravechatError
from pravechat.core.names import normalize_room, public_room, validate_user


class Action(StrEnum):
    SAY = "say"  # send text as a chat message
    EMOTE = "emote"  # send text as an action (/me)
    HELP = "help"
    JOIN = "join"
    LEAVE = "leave"
    ROOMS = "rooms"
    WHO = "who"
    CLEAR = "clear"
    SEARCH = "search"  # text to find in the whole conversation, as Pravega holds it
    FIND = "find"  # text to find in the loaded lines; empty: the next (older) match
    MSG = "msg"  # target: the other members ("bob" or "bob,carol"); text: the message
    QUERY = "query"  # target: the other members; open the conversation
    VERIFY = "verify"  # a nick whose key fingerprint to show; empty: your own
    TRUST = "trust"  # a nick whose newest key to accept
    NOTIFY = "notify"  # a level (all, mentions, none) for this conversation; empty: say it
    MENTIONS = "mentions"  # list the mentions of you in every followed conversation
    OPEN = "open"  # open the link of the newest message holding one
    QUIT = "quit"
    ERROR = "error"  # nothing is sent; ``text`` says why


@dataclass(frozen=True)
class Command:
    action: Action
    text: str = ""
    target: str = ""
    """Whom a direct message goes to: ``bob`` or ``bob,carol``."""
    keyword: str = ""
    """``greet`` or ``joke``: StreamCli sends the bare word, and each receiver expands it."""


@dataclass(frozen=True)
class CommandHelp:
    name: str
    usage: str
    summary: str


COMMANDS: tuple[CommandHelp, ...] = (  # in this order in /help and for Tab: /jo is /join first
    CommandHelp("help", "/help", "list the commands"),
    CommandHelp("join", "/join ROOM", "go to ROOM (created when new; streamcli: StreamCli's)"),
    CommandHelp("leave", "/leave [ROOM]", "stop following ROOM (or this one)"),
    CommandHelp("rooms", "/rooms", "list the rooms"),
    CommandHelp("who", "/who", "who is in this room now"),
    CommandHelp("me", "/me TEXT", "act: /me waves shows * you waves"),
    CommandHelp("msg", "/msg NICK TEXT", "private, end-to-end encrypted (NICK,NICK: a group)"),
    CommandHelp("query", "/query NICK", "open the private conversation with NICK (or NICK,NICK)"),
    CommandHelp("greet", "/greet", "say hi to the room"),
    CommandHelp("joke", "/joke", "tell a random joke"),
    CommandHelp("search", "/search TEXT", "search everything ever said here (from Pravega)"),
    CommandHelp("find", "/find TEXT", "find in the loaded lines; Ctrl+F: the next match"),
    CommandHelp("mentions", "/mentions", "the mentions of you everywhere, newest first"),
    CommandHelp("notify", "/notify LEVEL", "what alerts you here: all, mentions or none"),
    CommandHelp("mute", "/mute", "nothing here alerts you (/notify mentions undoes it)"),
    CommandHelp("open", "/open", "open the newest link here (o: the selected message's)"),
    CommandHelp("clear", "/clear", "clear the screen (Pravega keeps it)"),
    CommandHelp("verify", "/verify [NICK]", "show NICK's key fingerprint (or yours) to compare"),
    CommandHelp("trust", "/trust NICK", "accept NICK's new key after comparing fingerprints"),
    CommandHelp("quit", "/quit", "leave; your reading position is saved"),
)
COMMAND_NAMES = tuple(f"/{command.name}" for command in COMMANDS)


def jokes() -> list[str]:
    """The jokes shipped with the package (no network)."""
    text = resources.files("pravechat.core").joinpath("jokes.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def parse(line: str, user: str, rng: random.Random | None = None) -> Command:
    """What a line typed by ``user`` does. A line starting with ``//`` says a literal ``/``."""
    if not line.startswith("/") or line.startswith("//"):
        return Command(Action.SAY, line[1:] if line.startswith("//") else line)
    name, _, rest = line[1:].partition(" ")
    name, rest = name.lower(), rest.strip()
    match name:
        case "help":
            return Command(Action.HELP)
        case "greet":
            return Command(Action.SAY, f"{user} says hi!", keyword="greet")
        case "joke":
            return Command(Action.SAY, (rng or random.Random()).choice(jokes()), keyword="joke")
        case "me":
            if not rest:
                return Command(Action.ERROR, "usage: /me TEXT")
            return Command(Action.EMOTE, rest)
        case "join":
            if not rest:
                return Command(Action.ERROR, "usage: /join ROOM")
            try:
                return Command(Action.JOIN, public_room(rest))
            except PravechatError as error:
                return Command(Action.ERROR, str(error))
        case "leave" | "part":
            if not rest:
                return Command(Action.LEAVE)  # the room shown
            if rest.startswith("@"):  # a conversation, as the sidebar names it
                return Command(Action.LEAVE, target=rest)
            try:
                return Command(Action.LEAVE, normalize_room(rest))
            except PravechatError as error:
                return Command(Action.ERROR, str(error))
        case "rooms":
            return Command(Action.ROOMS)
        case "who" | "names":
            return Command(Action.WHO)
        case "clear":
            return Command(Action.CLEAR)
        case "search":
            if not rest:
                return Command(Action.ERROR, "usage: /search TEXT (everything said here)")
            return Command(Action.SEARCH, rest)
        case "find":
            return Command(Action.FIND, rest)
        case "msg":
            target, text = [*re.split(r"\s", rest, maxsplit=1), ""][:2]
            if not target or not text.strip():
                return Command(Action.ERROR, "usage: /msg NICK[,NICK...] TEXT")
            return Command(Action.MSG, text.strip(), target=target)
        case "query":
            if not rest or any(space.isspace() for space in rest):
                return Command(Action.ERROR, "usage: /query NICK[,NICK...]")
            return Command(Action.QUERY, target=rest)
        case "verify" | "trust":
            if not rest and name == "trust":
                return Command(Action.ERROR, "usage: /trust NICK")
            try:
                nick = validate_user(rest.removeprefix("@")) if rest else ""
            except PravechatError as error:
                return Command(Action.ERROR, str(error))
            return Command(Action.VERIFY if name == "verify" else Action.TRUST, nick)
        case "notify":
            if rest and rest.lower() not in ("all", "mentions", "none"):
                return Command(Action.ERROR, "usage: /notify all|mentions|none")
            return Command(Action.NOTIFY, rest.lower())
        case "mute":
            return Command(Action.NOTIFY, "none")
        case "mentions":
            return Command(Action.MENTIONS)
        case "open":
            return Command(Action.OPEN)
        case "quit" | "exit":
            return Command(Action.QUIT)
        case _:
            return Command(Action.ERROR, f"unknown command /{name}: try /help")


LEAVE_COMMANDS = ("/leave", "/part")


def completions(
    prefix: str, nicks: Iterable[str], rooms: Iterable[str] = (), followed: Iterable[str] = ()
) -> list[str]:
    """Every way to complete the last word of ``prefix``, each the whole new prefix: a
    command at the start of the line; a room after /join or ``#`` (any of ``rooms``) or after
    /leave (the ``followed`` ones); else a nick. A nick completed at the start of the line
    gets ``": "`` after it, as IRC clients do.
    """
    head, separator, word = prefix.rpartition(" ")
    if not head and word.startswith("/"):
        return [name + " " for name in COMMAND_NAMES if name.startswith(word.lower())]
    leaving = head.lower() in LEAVE_COMMANDS
    if leaving or head.lower() == "/join" or word.startswith("#"):
        mark = "#" if word.startswith("#") else ""
        stem = word.removeprefix("#").lower()
        candidates = sorted(set(followed if leaving else rooms))
        return [f"{head}{separator}{mark}{room} " for room in candidates if room.startswith(stem)]
    if not word:
        return []
    at = "@" if word.startswith("@") else ""
    stem = word.removeprefix("@").lower()
    matches = sorted(nick for nick in set(nicks) if nick.lower().startswith(stem))
    suffix = ": " if not head and not at else " "
    return [f"{head}{separator}{at}{nick}{suffix}" for nick in matches]
