"""Annotations: who may edit and delete, how reactions count, replies (pure logic)."""

from pravechat.core.annotations import MAX_PAIRS, Annotations, Look, Reaction
from pravechat.core.identity import Identity
from pravechat.core.names import room_stream
from pravechat.core.protocol import ChatMessage, Kind, decode_event, dump_event, new_message
from tests.fakes import message, signed, unsigned_message

ORIGINAL = message("alex", "hello")


def _about(sender: str, text: str, kind: Kind, target: str = ORIGINAL.id) -> ChatMessage:
    return signed(new_message("lobby", sender, text, kind, target=target))


def test_the_newest_edit_by_the_author_wins_even_before_the_message_is_loaded() -> None:
    notes = Annotations("tim")
    for text in ("first edit", "second edit"):  # read before the message (scrolling back)
        assert notes.add(_about("alex", text, Kind.EDIT), verified=True) == ORIGINAL.id
    assert notes.look(ORIGINAL) == Look("second edit", edited=True)


def test_edits_and_deletions_by_anyone_else_or_unsigned_never_apply() -> None:
    notes = Annotations("tim")
    notes.add(_about("bob", "bob's words", Kind.EDIT), verified=True)
    notes.add(_about("bob", "", Kind.DELETE), verified=True)
    unsigned = unsigned_message("alex", "x").model_copy(
        update={"kind": Kind.EDIT, "target": ORIGINAL.id, "text": "unsigned words"}
    )
    notes.add(unsigned, verified=False)
    assert notes.look(ORIGINAL) == Look("hello")
    old_client = unsigned_message("alex", "from 0.3")  # unsigned: nobody can change it
    notes.add(_about("alex", "", Kind.DELETE, target=old_client.id), verified=True)
    assert notes.look(old_client) == Look("from 0.3")
    assert not notes.may_change(old_client, "alex") and notes.may_change(ORIGINAL, "alex")


def test_a_deletion_hides_text_edits_and_reactions() -> None:
    notes = Annotations("tim")
    notes.add(_about("sam", "👍", Kind.REACT), verified=True)
    notes.add(_about("alex", "edited", Kind.EDIT), verified=True)
    notes.add(_about("alex", "", Kind.DELETE), verified=True)
    assert notes.look(ORIGINAL) == Look("", deleted=True)


def test_reactions_count_verified_senders_toggle_and_mark_the_readers_own() -> None:
    notes = Annotations("tim")
    for sender in ("sam", "kim", "tim", "sam"):  # sam twice counts once
        notes.add(_about(sender, "👍", Kind.REACT), verified=True)
    notes.add(_about("eve", "👎", Kind.REACT), verified=False)  # unverified: not counted
    assert notes.look(ORIGINAL).reactions == (Reaction("👍", 3, mine=True),)
    assert notes.reacted(ORIGINAL.id, "👍")
    undo = signed(new_message("lobby", "tim", "👍", Kind.REACT, target=ORIGINAL.id, undo=True))
    notes.add(undo, verified=True)
    assert notes.look(ORIGINAL).reactions == (Reaction("👍", 2, mine=False),)
    assert not notes.reacted(ORIGINAL.id, "👍")


def test_a_flood_of_reactions_is_bounded() -> None:
    notes = Annotations("tim")
    for n in range(MAX_PAIRS + 500):
        notes.add(_about("sam", f"r{n}", Kind.REACT), verified=True)
    assert len(notes.look(ORIGINAL).reactions) == MAX_PAIRS


def test_replies_are_listed_once_in_order() -> None:
    notes = Annotations("tim")
    replies = [
        signed(new_message("lobby", "sam", f"re {n}", reply_to=ORIGINAL.id)) for n in range(3)
    ]
    for reply in [*replies, replies[0]]:
        assert notes.add(reply, verified=True) == ORIGINAL.id
    assert notes.replies(ORIGINAL.id) == [reply.id for reply in replies]
    assert notes.look(ORIGINAL).replies == 3


def test_edits_under_other_keys_cannot_crowd_out_the_author_once_the_message_is_known() -> None:
    notes = Annotations("tim")
    for n in range(40):  # deletions with valid signatures, each by a key of its own, as alex
        fields = new_message("lobby", "alex", "", Kind.DELETE, target=ORIGINAL.id)
        where = room_stream("lobby")
        signed_fields = Identity.generate(f"k{n}").sign(fields.wire_fields(), where)
        forged = decode_event(dump_event(signed_fields).encode(), where)
        assert isinstance(forged, ChatMessage)
        notes.add(forged, verified=False, author=ORIGINAL)
    notes.add(_about("alex", "", Kind.DELETE), verified=True, author=ORIGINAL)
    assert notes.look(ORIGINAL).deleted


def test_scrolling_back_never_puts_an_older_edit_or_reaction_over_a_newer_one() -> None:
    notes = Annotations("tim")
    notes.add(_about("alex", "newest", Kind.EDIT), verified=True)
    undo = signed(new_message("lobby", "sam", "👍", Kind.REACT, target=ORIGINAL.id, undo=True))
    notes.add(undo, verified=True)
    notes.add(_about("alex", "older", Kind.EDIT), verified=True, older=True)
    notes.add(_about("sam", "👍", Kind.REACT), verified=True, older=True)
    assert notes.look(ORIGINAL) == Look("newest", edited=True)
