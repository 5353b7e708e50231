"""End-to-end encryption of direct messages, without a server: who can open what, and that
nothing a hostile writer puts in ``sealed`` makes opening raise."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pravechat.core.identity import Identity
from pravechat.core.sealing import SealError, open_sealed, seal

ALICE, BOB, EVE = (Identity.generate(name) for name in ("alice", "bob", "eve"))
ROOM = "dm-0123456789abcdef01234567"


def _sealed(text: str = "meet at noon", message_id: str = "abcdef0123456789") -> dict[str, Any]:
    return seal(text, message_id, ROOM, "alice", {"alice": ALICE.box_key, "bob": BOB.box_key})


def test_each_member_opens_it_and_nobody_else() -> None:
    sealed = _sealed()
    for member in (ALICE, BOB):
        assert open_sealed(sealed, "abcdef0123456789", ROOM, "alice", member.user, member.box) == (
            "meet at noon"
        )
    with pytest.raises(SealError, match="not encrypted to you"):
        open_sealed(sealed, "abcdef0123456789", ROOM, "alice", "eve", EVE.box)
    with pytest.raises(SealError, match="another key of yours, or altered"):
        open_sealed(sealed, "abcdef0123456789", ROOM, "alice", "bob", EVE.box)  # bob's new key
    assert "meet" not in str(sealed)


@pytest.mark.parametrize(
    ("message_id", "room", "sender"),
    [("0000000000000000", ROOM, "alice"), ("abcdef0123456789", "dm-other", "alice"),
     ("abcdef0123456789", ROOM, "bob")],
)  # fmt: skip
def test_a_ciphertext_moved_to_another_message_does_not_open(
    message_id: str, room: str, sender: str
) -> None:
    with pytest.raises(SealError):
        open_sealed(_sealed(), message_id, room, sender, "bob", BOB.box)


def test_altered_parts_do_not_open() -> None:
    sealed = _sealed()
    for part in ("data", "eph", "nonce"):
        other = _sealed("another text")[part]
        with pytest.raises(SealError):
            open_sealed({**sealed, part: other}, "abcdef0123456789", ROOM, "alice", "bob", BOB.box)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=80),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(
    st.dictionaries(
        st.sampled_from(["alg", "eph", "nonce", "data", "keys", "x"]), json_values, max_size=6
    )
    | json_values
)
def test_anything_in_sealed_is_refused_in_words_never_raised(sealed: Any) -> None:
    try:
        open_sealed(sealed, "abcdef0123456789", ROOM, "alice", "bob", BOB.box)
    except SealError as why:
        assert str(why)


@pytest.mark.parametrize(
    "change",
    [
        {"data": "not base64!"},
        {"data": "A" * 60_000},
        {"data": 5},
        {"keys": {"bob": "AAAA"}},
        {"keys": ["bob"]},
        {"eph": "short"},
        {"nonce": None},
        {"alg": "rot13"},
    ],
)
def test_a_damaged_sealed_object_says_so(change: dict[str, Any]) -> None:
    with pytest.raises(SealError):
        open_sealed({**_sealed(), **change}, "abcdef0123456789", ROOM, "alice", "bob", BOB.box)
