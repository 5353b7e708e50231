"""The wire format and sanitizing: pure logic, no server."""

import json
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pravechat.core.errors import PravechatError
from pravechat.core.protocol import (
    MAX_EVENT_BYTES,
    MAX_TEXT_LENGTH,
    ChatMessage,
    Kind,
    Skipped,
    SkipReason,
    decode_event,
    new_message,
)
from pravechat.core.sanitize import sanitize_text


def _event(**fields: object) -> bytes:
    base: dict[str, object] = {
        "v": 1,
        "id": "0123456789abcdef0123456789abcdef",
        "room": "lobby",
        "sender": "tim",
        "kind": "chat",
        "text": "hi",
        "sent_at": "2026-11-27T10:15:30.123Z",
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not None}).encode()


def test_a_message_survives_the_wire_unchanged() -> None:
    sent = new_message("Lobby", "tim", "hello\nworld", Kind.ACTION)
    assert sent.room == "lobby"
    assert decode_event(sent.to_json().encode()) == sent


def test_the_wire_form_is_the_documented_one() -> None:
    message = decode_event(_event())
    assert isinstance(message, ChatMessage)
    assert json.loads(message.to_json()) == json.loads(_event())
    assert message.sent_at == datetime(2026, 11, 27, 10, 15, 30, 123000, tzinfo=UTC)


def test_unknown_fields_are_ignored() -> None:
    assert isinstance(decode_event(_event(reactions=["+1"], thread="abc")), ChatMessage)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe{", SkipReason.NOT_UTF8),
        (b"not json", SkipReason.NOT_JSON),
        (b"[1, 2]", SkipReason.NOT_AN_OBJECT),
        (_event(v=2), SkipReason.UNKNOWN_VERSION),
        (_event(v=True), SkipReason.UNKNOWN_VERSION),
        (_event(v="1"), SkipReason.UNKNOWN_VERSION),
        (_event(v=None), SkipReason.UNKNOWN_VERSION),
        (_event(text=None), SkipReason.INVALID),
        (_event(sender="[bold]x"), SkipReason.INVALID),
        (_event(room="Lobby"), SkipReason.INVALID),
        (_event(kind="shout"), SkipReason.INVALID),
        (_event(sent_at="2026-11-27T10:15:30"), SkipReason.INVALID),
        (_event(text="x" * (MAX_TEXT_LENGTH + 1)), SkipReason.INVALID),
        (b" " * (MAX_EVENT_BYTES + 1), SkipReason.OVERSIZED),
        (b"[" * 100_000, SkipReason.OVERSIZED),
        (b"[" * 50_000, SkipReason.NOT_JSON),
    ],
)
def test_bad_events_are_skipped_with_a_reason(data: bytes, reason: SkipReason) -> None:
    result = decode_event(data)
    assert isinstance(result, Skipped)
    assert result.reason is reason


def test_hostile_text_is_sanitized_on_receive() -> None:
    text = "a\x1b[31mred\x1b[0m \x1b]8;;https://evil\x07link\x1b]8;;\x07 \u202egnp.exe\x07\x9b2J"
    message = decode_event(_event(text=text))
    assert isinstance(message, ChatMessage)
    assert message.text == "ared link gnp.exe2J"


@pytest.mark.parametrize("markup", ["[bold]x[/]", "[@click=app.quit]quit[/]", "[/", "[red"])
def test_markup_is_just_text(markup: str) -> None:
    message = decode_event(_event(text=markup))
    assert isinstance(message, ChatMessage)
    assert message.text == markup


def test_oversized_text_is_refused_before_sending() -> None:
    with pytest.raises(PravechatError, match="limit is 4000"):
        new_message("lobby", "tim", "x" * (MAX_TEXT_LENGTH + 1))


@pytest.mark.parametrize(("room", "user"), [("lob by", "tim"), ("lobby", "t_m"), ("", "tim")])
def test_bad_names_are_refused_before_sending(room: str, user: str) -> None:
    with pytest.raises(PravechatError, match=r"invalid (room|user) name"):
        new_message(room, user, "hi")


def test_line_endings_become_newlines_and_tabs_stay() -> None:
    assert sanitize_text("a\r\nb\rc\u2028d\te") == "a\nb\nc\nd\te"


_FORBIDDEN = {chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]} | {
    chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
}


@given(st.text())
def test_sanitizing_is_idempotent_and_leaves_nothing_forbidden(text: str) -> None:
    once = sanitize_text(text)
    assert sanitize_text(once) == once
    assert not (set(once) & _FORBIDDEN)
    assert all(unicodedata.category(ch) != "Cs" for ch in once)  # no lone surrogates
    once.encode("utf-8")  # always encodable


@given(st.binary(max_size=2048))
def test_decoding_any_bytes_gives_a_message_or_a_skip(data: bytes) -> None:
    result = decode_event(data)
    assert isinstance(result, ChatMessage | Skipped)


@given(st.text(max_size=200), st.sampled_from(["chat", "action", "system"]))
def test_decoding_valid_events_with_any_text_gives_safe_text(text: str, kind: str) -> None:
    result = decode_event(_event(text=text, kind=kind))
    if isinstance(result, ChatMessage):
        assert result.text == sanitize_text(text)
        assert not (set(result.text) & _FORBIDDEN)
    else:
        assert result.reason is SkipReason.INVALID


@given(
    st.dictionaries(
        st.sampled_from(["v", "id", "room", "sender", "kind", "text", "sent_at", "extra"]),
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=40)),
    )
)
def test_decoding_any_json_object_never_raises(fields: dict[str, object]) -> None:
    result = decode_event(json.dumps(fields).encode())
    assert isinstance(result, ChatMessage | Skipped)


@given(st.text(max_size=200), st.sampled_from(list(Kind)))
def test_a_message_rebuilt_from_our_readers_json_equals_the_validated_one(
    text: str, kind: Kind
) -> None:
    result = decode_event(_event(text=text, kind=str(kind)))
    if isinstance(result, ChatMessage):
        rebuilt = ChatMessage.from_trusted(json.loads(result.to_json()))
        assert rebuilt == result and rebuilt.to_json() == result.to_json()


@pytest.mark.parametrize(
    ("fields", "valid"),
    [
        ({"kind": "react", "target": "a" * 32, "text": "👍"}, True),
        ({"kind": "react", "target": "a" * 32, "text": "👍", "undo": True}, True),
        ({"kind": "edit", "target": "a" * 32, "text": "new words"}, True),
        ({"kind": "delete", "target": "a" * 32, "text": ""}, True),
        ({"kind": "chat", "reply_to": "a" * 32, "text": "yes"}, True),
        ({"kind": "react", "text": "👍"}, False),  # no target
        ({"kind": "react", "target": "a" * 32, "text": "x" * 33}, False),
        ({"kind": "react", "target": "a" * 32, "text": "a\nb"}, False),
        ({"kind": "react", "target": "a" * 32, "text": "   "}, False),
        ({"kind": "delete", "target": "a" * 32, "text": "words"}, False),
        ({"kind": "edit", "target": "a" * 32, "text": "x", "reply_to": "b" * 32}, False),
        ({"kind": "chat", "target": "a" * 32, "text": "x"}, False),
        ({"kind": "chat", "undo": True, "text": "x"}, False),
        ({"kind": "edit", "target": "bad id!", "text": "x"}, False),
        ({"kind": "chat", "reply_to": "../../etc", "text": "x"}, False),
    ],
)
def test_reactions_edits_deletions_and_replies_are_checked(
    fields: dict[str, object], valid: bool
) -> None:
    event = {"v": 1, "id": "c" * 32, "room": "lobby", "sender": "tim",
             "sent_at": "2026-11-27T10:15:30.123Z", **fields}  # fmt: skip
    decoded = decode_event(json.dumps(event).encode())
    assert isinstance(decoded, ChatMessage) is valid, decoded


def test_new_message_frames_reactions_and_refuses_what_cannot_be_sent() -> None:
    reaction = new_message("lobby", "tim", "  👍 ", Kind.REACT, target="a" * 32)
    assert reaction.text == "👍" and json.loads(reaction.to_json())["target"] == "a" * 32
    deletion = new_message("lobby", "tim", "", Kind.DELETE, target="a" * 32)
    assert "undo" not in json.loads(deletion.to_json())
    with pytest.raises(PravechatError, match="cannot send: a reaction is 1-32 characters"):
        new_message("lobby", "tim", "x" * 40, Kind.REACT, target="a" * 32)
    with pytest.raises(PravechatError, match="cannot send: edit events need a target"):
        new_message("lobby", "tim", "x", Kind.EDIT)
