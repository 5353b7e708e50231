import random

import pytest

from pravechat.core.commands import Action, Command, complete, jokes, parse


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
        ("/he", "/help "),
        ("/jo", "/joke "),
        ("/joi", "/join "),
        ("/zz", None),
        ("al", "alex: "),
        ("hi al", "hi alex "),
        ("hi @Al", "hi @alex "),
        ("hi zed", None),
        ("", None),
    ],
)
def test_complete(prefix: str, expected: str | None) -> None:
    assert complete(prefix, ["tim", "alex", "alice2"]) == expected
