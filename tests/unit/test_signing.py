"""Signatures, keys and trust on first use, without a server (docs/protocol.md, Signatures)."""

import json
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pravechat.core.commands import Action, parse
from pravechat.core.errors import PravechatError
from pravechat.core.identity import Identity, key_file
from pravechat.core.presence import decode_presence
from pravechat.core.protocol import ChatMessage, decode_event, dump_event, new_message
from pravechat.core.signing import fingerprint, signature_valid
from pravechat.core.trust import KeyRing, Verdict, describe_key
from tests.fakes import identity, signed, unsigned_message

ALICE = identity("alice")


def _wire(message: ChatMessage, stream: str = "room-lobby") -> dict[str, object]:
    fields: dict[str, object] = ALICE.sign(message.wire_fields(), stream)
    return fields


def _read(fields: dict[str, object], stream: str = "room-lobby") -> ChatMessage:
    decoded = decode_event(dump_event(fields).encode(), stream)
    assert isinstance(decoded, ChatMessage), decoded
    return decoded


def test_a_signed_event_verifies_as_written() -> None:
    fields = _wire(new_message("lobby", "alice", "hello"))
    assert signature_valid(fields, "room-lobby")
    read = _read(fields)
    assert read.signature_valid and read.key == ALICE.key
    assert "signature_valid" not in read.to_json()  # never on the wire


@pytest.mark.parametrize(
    "change",
    [
        {"text": "hello!"},
        {"sender": "bob"},
        {"room": "other"},
        {"id": "0123456789abcdef"},
        {"sent_at": "2026-11-27T10:00:00.000Z"},
        {"extra": "an unknown field added later"},
        {"key": identity("mallory").key},
    ],
)
def test_any_change_breaks_the_signature(change: dict[str, str]) -> None:
    fields = _wire(new_message("lobby", "alice", "hello"))
    assert not _read({**fields, **change}).signature_valid


def test_a_signed_event_replayed_into_another_stream_does_not_verify() -> None:
    fields = _wire(new_message("lobby", "alice", "hello"))
    assert not _read(fields, stream="room-other").signature_valid


@pytest.mark.parametrize(
    "sig", ["", "not base64!", "AAAA", 12, None, "A" * 150, "\ud800", ["x"], {"a": 1}]
)
def test_garbage_signatures_are_invalid_and_never_raise(sig: object) -> None:
    fields = {**_wire(new_message("lobby", "alice", "hello")), "sig": sig}
    decoded = decode_event(json.dumps(fields).encode(), "room-lobby")
    assert not isinstance(decoded, ChatMessage) or not decoded.signature_valid


def test_the_wire_cannot_claim_a_valid_signature() -> None:
    forged = {**unsigned_message("alice", "trust me").wire_fields(), "signature_valid": True}
    assert not _read(forged).signature_valid
    forged_sig = {**forged, "key": ALICE.key, "sig": "A" * 86 + "=="}
    assert not _read(forged_sig).signature_valid


@given(st.text(max_size=200))
def test_any_text_signs_and_verifies(text: str) -> None:
    try:
        message = new_message("lobby", "alice", text)
    except PravechatError:
        return  # refused before signing (empty, too long)
    assert _read(_wire(message)).signature_valid


def test_trust_on_first_use_then_a_changed_key_is_reported_once(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "pins.json")
    first = signed(unsigned_message("bob", "hi"))
    assert ring.judge(first) is Verdict.UNKNOWN  # a message alone pins nothing
    assert ring.unknown == {"bob"}
    ring.learn([("bob", identity("bob").key)])  # the keys stream's first key for bob
    assert ring.judge(first) is Verdict.VERIFIED and not ring.unknown
    other = Identity.generate("bob")
    second = _read(other.sign(unsigned_message("bob", "new key").wire_fields(), "room-lobby"))
    assert ring.judge(second) is Verdict.OTHER_KEY
    assert ring.judge(second) is Verdict.OTHER_KEY
    [change] = ring.take_changes()
    assert change.user == "bob" and change.seen == other.key
    assert fingerprint(other.key) in change.warning() and "/trust bob" in change.warning()
    assert ring.take_changes() == []  # said once
    assert "now shows" in describe_key(ring, "bob")
    # A later key on the stream is a change, not a pin; pins outlive the process.
    ring.learn([("bob", identity("bob").key), ("bob", other.key)])
    assert ring.take_changes() == []  # the same change: already said
    again = KeyRing(tmp_path / "pins.json")
    assert again.pinned("bob") == first.key
    again.trust("bob", other.key)
    assert KeyRing(tmp_path / "pins.json").judge(second) is Verdict.VERIFIED
    assert stat.S_IMODE((tmp_path / "pins.json").stat().st_mode) == 0o600


def test_only_the_latest_published_key_is_compared_with_the_pin() -> None:
    """After /trust of bob's new key, his old key event on the stream is no warning."""
    ring, old, new = KeyRing(), identity("bob").key, Identity.generate("bob").key
    ring.learn([("bob", old)])
    ring.trust("bob", new)
    ring.learn([("bob", old), ("bob", new)])
    assert ring.take_changes() == []


def test_unsigned_and_badly_signed_messages_are_not_verified() -> None:
    ring = KeyRing()
    assert ring.judge(unsigned_message("bob", "old client")) is Verdict.UNSIGNED
    broken = _read({**_wire(new_message("lobby", "alice", "x")), "text": "y"})
    assert ring.judge(broken) is Verdict.BAD_SIGNATURE
    assert ring.pinned("alice") is None  # a bad signature pins nothing


def test_a_name_of_your_own_is_your_key_and_another_key_for_it_is_said(tmp_path: Path) -> None:
    path = tmp_path / "pins.json"
    KeyRing(path).learn([("tim", identity("mallory").key)])
    tim = Identity.generate("tim")
    ring = KeyRing(path, own=("tim", tim.key))
    assert ring.pinned("tim") == tim.key
    ring.learn([("tim", tim.key), ("tim", identity("mallory").key)])
    [change] = ring.take_changes()
    assert change.own and "someone published another key for your name tim" in change.warning()


def test_keys_are_made_once_kept_private_and_moved_by_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "a"))
    made = Identity.load_or_create("tim")
    assert Identity.load_or_create("tim").key == made.key
    assert stat.S_IMODE(key_file("tim").stat().st_mode) == 0o600
    exported = made.export()
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "b"))
    moved = Identity.parse(exported, "tim", "the file")
    moved.save()
    assert Identity.load("tim") is not None and Identity.load("tim").key == made.key  # type: ignore[union-attr]
    with pytest.raises(PravechatError, match="pass --force"):
        Identity.generate("tim").save()
    with pytest.raises(PravechatError, match="holds the keys of 'tim', not 'bob'"):
        Identity.parse(exported, "bob", "the file")
    for damaged in ("", "{}", "[1]", '{"v":1,"user":"tim","signing":"xx","box":"yy"}'):
        with pytest.raises(PravechatError, match="not a pravechat key file"):
            Identity.parse(damaged, "tim", "the file")


def test_presence_events_carry_their_signature_state() -> None:
    fields = {
        "v": 1,
        "user": "alice",
        "room": "lobby",
        "state": "here",
        "at": "2026-11-27T10:00:00Z",
    }
    good = decode_presence(json.dumps(ALICE.sign(fields, "presence")).encode())
    assert good is not None and good.signature_valid
    moved = decode_presence(json.dumps(ALICE.sign(fields, "room-lobby")).encode())
    assert moved is not None and not moved.signature_valid
    bare = decode_presence(json.dumps({**fields, "signature_valid": True}).encode())
    assert bare is not None and not bare.signature_valid and bare.sig is None


def test_verify_and_trust_commands() -> None:
    assert parse("/verify", "tim").action is Action.VERIFY
    assert parse("/verify @bob", "tim").text == "bob"
    assert (
        parse("/trust bob", "tim").text == "bob"
        and parse("/trust bob", "tim").action is Action.TRUST
    )
    assert parse("/trust", "tim").action is Action.ERROR
    assert parse("/verify no/such", "tim").action is Action.ERROR
    typed_on_two_lines = parse("/msg bob\nsee you", "tim")
    assert (typed_on_two_lines.target, typed_on_two_lines.text) == ("bob", "see you")
    assert parse("/query bob\nx", "tim").action is Action.ERROR
    assert parse("/leave @bob,carol", "tim").target == "@bob,carol"


def test_a_key_event_with_an_unusable_box_key_is_ignored() -> None:
    from pravechat.core.keys import decode_key_event

    fields = {"v": 1, "kind": "key", "user": "alice", "at": "2026-11-27T10:00:00.000Z"}
    good = dump_event(ALICE.sign({**fields, "box": ALICE.box_key}, "s/keys")).encode()
    assert decode_key_event(good, "s/keys") is not None
    assert decode_key_event(good, "other/keys") is None  # replayed from another scope
    for box in ["AAAA", "not base64", "A" * 43 + "=", 7]:  # "A"*43+"=": the zero point
        bad = dump_event(ALICE.sign({**fields, "box": box}, "s/keys")).encode()
        assert decode_key_event(bad, "s/keys") is None, box
