import random

import pytest

from pravechat.core.commands import Action, Command, completions, jokes, parse


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("hello", Command(Action.SAY, "hello")),
        ("//not a command", Command(Action.SAY, "/not a command")),
        ("/help", Command(Action.HELP)),
        ("/greet", Command(Action.SAY, "tim says hi!")),
        ("/me waves", Command(Action.EMOTE, "waves")),
        ("/me", Command(Action.ERROR, "usage: /me TEXT")),
        ("/join #Random", Command(Action.JOIN, "random")),
        ("/join", Command(Action.ERROR, "usage: /join ROOM")),
        ("/rooms", Command(Action.ROOMS)),
        ("/clear", Command(Action.CLEAR)),
        ("/quit", Command(Action.QUIT)),
        ("/QUIT", Command(Action.QUIT)),
        ("/frobnicate now", Command(Action.ERROR, "unknown command /frobnicate: try /help")),
    ],
)
def test_parse(line: str, expected: Command) -> None:
    assert parse(line, "tim") == expected


def test_a_bad_room_name_is_an_error_not_a_join() -> None:
    command = parse("/join no way", "tim")
    assert command.action is Action.ERROR and "invalid room name" in command.text


def test_joke_comes_from_the_shipped_list() -> None:
    told = parse("/joke", "tim", random.Random(7))
    assert told.action is Action.SAY and told.text in jokes()
    assert len(jokes()) >= 10


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("/he", ["/help "]),
        ("/jo", ["/join ", "/joke "]),
        ("/joi", ["/join "]),
        ("/zz", []),
        ("al", ["alex: ", "alice2: "]),
        ("hi al", ["hi alex ", "hi alice2 "]),
        ("hi @Al", ["hi @alex ", "hi @alice2 "]),
        ("hi zed", []),
        ("", []),
        ("/join ", ["/join dev ", "/join lobby ", "/join random "]),
        ("/join r", ["/join random "]),
        ("/leave ", ["/leave dev ", "/leave lobby "]),  # only the rooms followed
        ("/part l", ["/part lobby "]),
        ("see #l", ["see #lobby "]),
    ],
)
def test_completions(prefix: str, expected: list[str]) -> None:
    nicks, rooms, followed = ["tim", "alex", "alice2"], ["random", "dev", "lobby"], ["lobby", "dev"]
    assert completions(prefix, nicks, rooms, followed) == expected
