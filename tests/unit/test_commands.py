import json
import random
from pathlib import Path

import pytest

from pravechat.core.commands import Action, Command, completions, jokes, parse
from pravechat.core.levels import Level, Levels


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("hello", Command(Action.SAY, "hello")),
        ("//not a command", Command(Action.SAY, "/not a command")),
        ("/help", Command(Action.HELP)),
        ("/greet", Command(Action.SAY, "tim says hi!", keyword="greet")),
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


def test_notify_mute_and_mentions() -> None:
    assert parse("/notify all", "tim") == Command(Action.NOTIFY, "all")
    assert parse("/notify NONE", "tim") == Command(Action.NOTIFY, "none")
    assert parse("/notify", "tim") == Command(Action.NOTIFY, "")
    assert parse("/mute", "tim") == Command(Action.NOTIFY, "none")
    assert parse("/mentions", "tim") == Command(Action.MENTIONS)
    assert parse("/notify sometimes", "tim").action is Action.ERROR
    assert parse("/search", "tim").action is Action.ERROR  # the whole room needs a term
    assert parse("/search plan", "tim") == Command(Action.SEARCH, "plan")
    assert parse("/find", "tim") == Command(Action.FIND, "")  # the next match


def test_levels_survive_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "levels.json"
    for damaged in ("not json", '["a list"]', '{"lobby": "loud", "dev": "none"}'):
        path.write_text(damaged)
        levels = Levels(path)
        assert levels.of("lobby") is Level.MENTIONS
    assert Levels(path).of("dev") is Level.NONE  # the valid entry of the last one
    levels.set("lobby", Level.ALL)
    assert json.loads(path.read_text()) == {"dev": "none", "lobby": "all"}
