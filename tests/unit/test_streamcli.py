"""StreamCli's events as pravechat reads and writes them, without a server: decoding (hostile
bytes included), the keywords, ids, the local history and its search, the reserved name."""

import json
import random
from pathlib import Path

import pytest

from pravechat.core.commands import Action, jokes, parse
from pravechat.core.errors import PravechatError
from pravechat.core.names import room_stream
from pravechat.core.protocol import MAX_TEXT_LENGTH, ChatMessage, Skipped, SkipReason
from pravechat.core.search import Found
from pravechat.core.settings import Settings
from pravechat.core.streamcli import LoggedSearch, ShownLog, decode, encode, event_id, line
from tests.helpers import assert_one_clear_line, run_cli

SEGMENT = "scope/stream/0.#epoch.0"


def _decoded(data: bytes, user: str = "tim") -> ChatMessage | Skipped | None:
    return decode(SEGMENT, 0, data, user, random.Random(1))


def _event(sender: object, message: object) -> bytes:
    return json.dumps({"sender": sender, "message": message}).encode()


def test_what_pravechat_writes_is_streamclis_two_fields() -> None:
    assert json.loads(encode("tim", 'Héllo "there"\n')) == {
        "sender": "tim",
        "message": 'Héllo "there"\n',
    }


def test_a_line_and_the_keywords_as_streamcli_shows_them() -> None:
    plain = _decoded(_event("alex", "Hi there"))
    assert isinstance(plain, ChatMessage)
    assert (plain.room, plain.sender, plain.text) == ("streamcli", "alex", "Hi there")
    greet = _decoded(_event("alex", "greet"))
    assert isinstance(greet, ChatMessage) and greet.text == "alex says hi!"
    loud = _decoded(_event("alex", "GREET"))
    assert isinstance(loud, ChatMessage) and loud.text == "alex says hi!"
    spaced = _decoded(_event("alex", " greet "))  # StreamCli does not take it either
    assert isinstance(spaced, ChatMessage) and spaced.text == " greet "
    joke = _decoded(_event("alex", "joke"))
    assert isinstance(joke, ChatMessage) and joke.text in jokes() and joke.sender == "alex"
    not_a_keyword = _decoded(_event("alex", "greet everyone"))
    assert isinstance(not_a_keyword, ChatMessage) and not_a_keyword.text == "greet everyone"


def test_the_users_own_events_are_ignored_as_streamcli_does() -> None:
    assert _decoded(_event("tim", "mine")) is None
    assert isinstance(_decoded(_event("Tim", "a different name")), ChatMessage)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe", SkipReason.NOT_UTF8),
        (b"hello", SkipReason.NOT_JSON),
        (b"[" * 60_000, SkipReason.NOT_JSON),
        (b"[1]", SkipReason.NOT_AN_OBJECT),
        (b"null", SkipReason.NOT_AN_OBJECT),
        (_event(5, "x"), SkipReason.INVALID),
        (_event("alex", 5), SkipReason.INVALID),
        (_event("alex", None), SkipReason.INVALID),
        (b'{"sender": "alex"}', SkipReason.INVALID),
        (_event("al ex", "x"), SkipReason.INVALID),
        (_event("a" * 33, "x"), SkipReason.INVALID),
        (_event("[b]x[/b]", "x"), SkipReason.INVALID),
        (_event("alex", " \t\x1b[0m "), SkipReason.INVALID),
        (_event("alex", "x" * 70_000), SkipReason.OVERSIZED),
    ],
)
def test_hostile_events_are_skipped_with_a_reason(data: bytes, reason: SkipReason) -> None:
    skipped = _decoded(data)
    assert isinstance(skipped, Skipped) and skipped.reason is reason


def test_remote_text_is_sanitized_and_cut_never_interpreted() -> None:
    shown = _decoded(_event("alex", "\x1b[31m[b]red[/b]\x07\u202e"))
    assert isinstance(shown, ChatMessage) and shown.text == "[b]red[/b]"
    long = _decoded(_event("alex", "z" * 50_000))
    assert isinstance(long, ChatMessage)
    assert len(long.text) == MAX_TEXT_LENGTH and long.text.endswith("…")


def test_an_event_read_again_keeps_its_id_and_another_gets_another() -> None:
    data = _event("alex", "greet")
    first = event_id(SEGMENT, 0, data)
    assert event_id(SEGMENT, 0, data) == first
    assert event_id("scope/stream/1.#epoch.0", 0, data) != first  # the other segment
    assert event_id(SEGMENT, 40, data) != first
    assert event_id(SEGMENT, 0, _event("alex", "joke")) != first


def test_the_local_history_survives_a_restart_skips_damage_and_keeps_the_last(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log"
    kept = ShownLog(path, keep=3)
    made = [line("alex", f"line {n}") for n in range(5)]
    kept.add(m for m in made if isinstance(m, ChatMessage))
    kept.close()
    with path.open("a") as damaged:
        damaged.write('not json\n{"half": \n')
    again = ShownLog(path, keep=3)
    assert [m.text for m in again.messages] == ["line 4"]  # the last 3 lines, 2 damaged
    again.close()
    assert len(path.read_text().splitlines()) == 1


def test_search_reads_the_local_history_and_opens_around_a_result() -> None:
    made = [line("alex", f"message {n}" + (" needle" if n in (3, 30) else "")) for n in range(40)]
    messages = [m for m in made if isinstance(m, ChatMessage)]
    found = LoggedSearch(messages, "NEEDLE").search_blocking()
    assert [hit.message.text for hit in found] == ["message 3 needle", "message 30 needle"]
    before, after = LoggedSearch(messages, "x").around_blocking(found[0], count=2)
    assert [m.text for m in before] == ["message 1", "message 2", "message 3 needle"]
    assert [m.text for m in after] == ["message 4", "message 5"]
    stopped = LoggedSearch(messages, "needle")
    stopped.cancel()
    assert stopped.search_blocking() == []
    assert isinstance(found[0], Found)


def test_greet_and_joke_carry_their_keyword() -> None:
    assert parse("/greet", "tim").keyword == "greet"
    assert parse("/joke", "tim").keyword == "joke"
    typed = parse("greet", "tim")  # a plain line: sent as typed, shown as the keyword
    assert typed.action is Action.SAY and typed.text == "greet" and not typed.keyword


def test_the_streamcli_name_is_no_pravechat_room() -> None:
    with pytest.raises(PravechatError, match="conversation with StreamCli users"):
        room_stream("streamcli")
    assert Settings(room="streamcli").room == "streamcli"  # the chat opens it
    with pytest.raises(PravechatError, match="invalid scope"):
        Settings(streamcli_scope="no/slash")


def test_scripts_are_told_that_streamcli_is_not_a_room() -> None:
    result = run_cli(
        "send", "--user", "tim", "--room", "streamcli", "--controller", "tcp://127.0.0.1:1", "hi"
    )  # refused before connecting
    assert_one_clear_line(result.stderr, "#streamcli is the conversation with StreamCli users")
    result = run_cli("history", "streamcli", "--controller", "tcp://127.0.0.1:1")
    assert_one_clear_line(result.stderr, "#streamcli is the conversation with StreamCli users")


def test_streamcli_and_room_together_are_one_clear_error() -> None:
    result = run_cli("--user", "tim", "--streamcli", "--room", "dev")
    assert_one_clear_line(result.stderr, "--streamcli opens StreamCli's room")


def test_the_local_history_stays_bounded_drops_copies_and_survives_a_torn_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log"
    made = [m for n in range(7) if isinstance(m := line("alex", f"line {n}"), ChatMessage)]
    kept = ShownLog(path, keep=3)
    kept.add(made[:2])
    kept.add(made[:2])  # read again after a crash: not kept twice
    assert len(path.read_text().splitlines()) == 2
    kept.add(made[2:])  # past twice the limit, in one session: trimmed now
    assert [m.text for m in kept.messages] == ["line 4", "line 5", "line 6"]
    assert len(path.read_text().splitlines()) == 3
    kept.close()
    with path.open("a") as torn:
        torn.write('{"v":1,"id":"half')  # a crash in the middle of a write
    again = ShownLog(path, keep=3)
    after = line("alex", "after the crash")
    assert isinstance(after, ChatMessage)
    again.add([after])
    again.close()
    assert [m.text for m in ShownLog(path, keep=10).messages][-1] == "after the crash"
