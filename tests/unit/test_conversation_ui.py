"""Selecting a message and acting on it: replies, reactions, edits, deletions, threads, info,
day lines (widget logic over a fake session; the real server's proof is
tests/pravega/test_conversation.py)."""

import asyncio
import contextlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import OptionList

from pravechat.core.levels import Level, Levels
from pravechat.core.names import room_stream
from pravechat.core.protocol import ChatMessage, Kind, decode_event, dump_event, new_message
from pravechat.ui.app import PravechatApp
from pravechat.ui.entries import EntryKind
from pravechat.ui.views import MessagesScreen, PickScreen
from tests.fakes import FIXED_TIME, FakeChat, identity, message, signed, unsigned_message


async def _until(pilot: Any, condition: Any, what: str) -> None:
    async with asyncio.timeout(10):
        while not condition():
            await pilot.pause(0.05)


def _about(sender: str, text: str, kind: Kind, target: str, undo: bool = False) -> ChatMessage:
    framed = new_message("lobby", sender, text, kind, target=target, undo=undo)
    return signed(framed.model_copy(update={"sent_at": FIXED_TIME}))


def _signed_by(signer: str, framed: ChatMessage) -> ChatMessage:
    """``framed`` as ``signer`` signs it, whatever sender it names: a valid signature by
    another key than the sender's."""
    fields = framed.model_dump(mode="json", exclude_none=True, exclude={"key", "sig"})
    data = dump_event(identity(signer).sign(fields, room_stream(framed.room))).encode()
    decoded = decode_event(data, room_stream(framed.room))
    assert isinstance(decoded, ChatMessage) and decoded.signature_valid
    return decoded


def _lines(app: PravechatApp) -> str:
    return "\n".join(app.chat_log.plain_lines())


HELLO = message("alex", "hello there, tim")


async def _started(pilot: Any, app: PravechatApp) -> None:
    await _until(pilot, lambda: app.session is not None and app.chat_log.entries, "joined")
    await pilot.pause(0.1)


async def test_reply_react_edit_and_delete_from_the_keyboard() -> None:
    chat = FakeChat("tim", history=[HELLO])
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms)
    async with app.run_test(size=(100, 30)) as pilot:
        await _started(pilot, app)
        await pilot.press("alt+up")  # the newest message is selected; keys act on it
        assert app.chat_log.has_focus and app.chat_log.selected_entry is not None
        assert app.chat_log.selected_entry.text == "hello there, tim"
        await pilot.press("r")
        assert app.chat_input.has_focus and "reply to alex" in app.current.hint
        await pilot.press(*"sure", "enter")
        [reply] = chat.current.sent
        assert reply.reply_to == HELLO.id and reply.text == "sure"
        await _until(pilot, lambda: "↪ alex: hello there, tim" in _lines(app), "the quote")
        assert "1 reply" in _lines(app) and not app.current.hint

        # A reaction: + on the selected message, then the emoji; the same again takes it back.
        await pilot.press("alt+up", "up", "plus")  # up: from the reply to the message before
        assert "react to alex" in app.current.hint
        app.chat_input.value = "👍"  # (Pilot types keys by name: an emoji has none)
        await pilot.press("enter")
        await _until(pilot, lambda: "[👍 1]" in _lines(app), "own reaction, marked")
        chat.current.deliver(_about("sam", "👍", Kind.REACT, HELLO.id))
        await _until(pilot, lambda: "[👍 2]" in _lines(app), "counted")
        await pilot.press("alt+up", "up", "plus")
        app.chat_input.value = "👍"
        await pilot.press("enter")
        await _until(pilot, lambda: "👍 1" in _lines(app) and "[👍" not in _lines(app), "undone")
        assert chat.current.sent[-1].undo is True

        # Someone else's message cannot be edited or deleted.
        await pilot.press("alt+up", "up", "e")
        assert "you can edit only your own messages" in _lines(app)
        await pilot.press("d", "d")
        assert "you can delete only your own messages" in _lines(app)

        # One's own: e fills the input with the text; Enter saves it as an edit.
        await pilot.press("down")  # tim's reply
        assert app.chat_log.selected_entry is not None
        assert app.chat_log.selected_entry.text == "sure"
        await pilot.press("e")
        assert app.chat_input.has_focus and app.chat_input.value == "sure"
        app.chat_input.value = "sure thing"
        await pilot.press("enter")
        await _until(pilot, lambda: "sure thing (edited)" in _lines(app), "edited")
        assert chat.current.sent[-1].kind is Kind.EDIT
        assert chat.current.sent[-1].target == reply.id

        # d asks, d again deletes.
        sent_before = len(chat.current.sent)
        await pilot.press("alt+up", "d")
        assert "d again deletes" in app.current.hint
        assert len(chat.current.sent) == sent_before  # nothing sent yet
        await pilot.press("d")
        await _until(pilot, lambda: "(deleted)" in _lines(app), "deleted")
        assert "sure thing" not in _lines(app)
        assert [m.kind for m in chat.current.sent[sent_before:]] == [Kind.DELETE]
        await pilot.press("escape")
        assert app.chat_input.has_focus and app.chat_log.selected is None


async def test_others_cannot_edit_or_delete_a_message_and_unknown_targets_change_nothing() -> None:
    chat = FakeChat("tim", history=[HELLO])
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms)
    async with app.run_test(size=(100, 30)) as pilot:
        await _started(pilot, app)
        chat.current.deliver(
            _about("mallory", "alex says mallory is great", Kind.EDIT, HELLO.id),
            _about("mallory", "", Kind.DELETE, HELLO.id),
            # an edit under alex's name, signed by another key: not alex's
            _signed_by("mallory", _about("alex", "forged", Kind.EDIT, HELLO.id)),
            unsigned_message("alex", "x").model_copy(
                update={"kind": Kind.EDIT, "target": HELLO.id, "text": "unsigned"}
            ),
            _about("alex", "an edit of nothing", Kind.EDIT, "f" * 32),
            message("alex", "the next line"),
        )
        await _until(pilot, lambda: "the next line" in _lines(app), "delivered")
        shown = _lines(app)
        assert "hello there, tim" in shown and "(edited)" not in shown
        assert "(deleted)" not in shown and "mallory is great" not in shown
        assert "forged" not in shown and "unsigned" not in shown
        assert "an edit of nothing" not in shown
        chat.current.deliver(_about("alex", "hello there, Tim!", Kind.EDIT, HELLO.id))
        await _until(pilot, lambda: "hello there, Tim! (edited)" in _lines(app), "the author")


async def test_a_flood_of_reactions_stays_one_short_line() -> None:
    chat = FakeChat("tim", history=[HELLO])
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms)
    async with app.run_test(size=(100, 30)) as pilot:
        await _started(pilot, app)
        flood = [_about("sam", f"r{n}", Kind.REACT, HELLO.id) for n in range(2000)]
        done = message("sam", "done")
        chat.current.deliver(*flood, done)
        await _until(pilot, lambda: "done" in _lines(app), "delivered")
        shown = _lines(app)
        assert "r255 1" in shown and "r256" not in shown  # 256 (sender, reaction) pairs kept
        hostile = _about("sam", "[b]x[/b]\x1b[31m\x07", Kind.REACT, done.id)
        chat.current.deliver(hostile, message("sam", "after"))
        await _until(pilot, lambda: "after" in _lines(app), "delivered")
        assert "[b]x[/b] 1" in _lines(app)  # shown as typed, the escape and bell removed
        assert "\x1b" not in _lines(app) and "\x07" not in _lines(app)


async def test_thread_view_lists_a_message_and_its_replies() -> None:
    first = message("alex", "what's for lunch?")
    replies = [
        signed(
            new_message("lobby", sender, text, reply_to=first.id).model_copy(
                update={"sent_at": FIXED_TIME}
            )
        )
        for sender, text in (("sam", "pizza"), ("kim", "soup"))
    ]
    chat = FakeChat("tim", history=[first, message("sam", "unrelated"), *replies])
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms)
    async with app.run_test(size=(100, 30)) as pilot:
        await _started(pilot, app)
        assert "↪ alex: what's for lunch?" in _lines(app)
        await pilot.press("alt+up", "t")
        await _until(pilot, lambda: isinstance(app.screen, MessagesScreen), "the thread")
        from pravechat.ui.chat_log import ChatLog

        thread = app.screen.query_one(ChatLog)
        texts = [e.text for e in thread.entries if e.kind is EntryKind.MESSAGE]
        assert texts == ["what's for lunch?", "pizza", "soup"]
        await pilot.press("up", "r")  # reply to "pizza" from the thread
        await _until(pilot, lambda: not isinstance(app.screen, MessagesScreen), "closed")
        assert "reply to sam" in app.current.hint and app.chat_input.has_focus
        await pilot.press(*"yes", "enter")
        assert chat.current.sent[-1].reply_to == replies[0].id


async def test_info_says_the_full_date_and_a_new_day_gets_its_line() -> None:
    later = signed(
        unsigned_message("alex", "next day").model_copy(
            update={"sent_at": FIXED_TIME + timedelta(days=1)}
        )
    )
    chat = FakeChat("tim", history=[HELLO, later])
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms)
    async with app.run_test(size=(100, 30)) as pilot:
        await _started(pilot, app)
        days = [e.text for e in app.chat_log.entries if e.kind is EntryKind.DAY]
        local = [m.sent_at.astimezone().strftime("%A %d %B %Y") for m in (HELLO, later)]
        assert days == local
        await pilot.press("alt+up", "i")
        stamp = later.sent_at.astimezone().strftime("%A %d %B %Y, %H:%M:%S.000")
        await _until(pilot, lambda: f"alex, {stamp}" in _lines(app), "the date")
        assert later.id in _lines(app)


async def test_alt_up_with_nothing_to_select_says_so() -> None:
    chat = FakeChat("tim")
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms)
    async with app.run_test(size=(100, 30)) as pilot:
        await _until(pilot, lambda: app.session is not None, "joined")
        await pilot.pause(0.1)
        await pilot.press("alt+up")
        assert "no message to select here yet" in _lines(app)
        assert app.chat_input.has_focus


async def test_the_time_format_setting_writes_each_lines_time() -> None:
    chat = FakeChat("tim", history=[HELLO])
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, time_format="%H:%M:%S")
    async with app.run_test(size=(100, 30)) as pilot:
        await _started(pilot, app)
        stamp = HELLO.sent_at.astimezone().strftime("%H:%M:%S")
        lines = app.chat_log.plain_lines()
        assert any(line.startswith(f"{stamp} ") and "alex hello" in line for line in lines)


async def test_notify_levels_alert_as_asked_and_are_kept(tmp_path: Path) -> None:
    chat = FakeChat("tim", history=[HELLO])
    levels = Levels(tmp_path / "levels.json")
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, levels=levels)
    rings: list[None] = []
    app.bell = lambda: rings.append(None)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await _started(pilot, app)
        app.chat_input.value = "/notify"
        await pilot.press("enter")
        assert "#lobby is at /notify mentions" in _lines(app)
        chat.current.deliver(message("alex", "a plain line"))
        await _until(pilot, lambda: "a plain line" in _lines(app), "delivered")
        assert rings == []  # mentions only, by default
        app.chat_input.value = "/notify all"
        await pilot.press("enter")
        chat.current.deliver(message("alex", "another plain line"))
        await _until(pilot, lambda: rings == [None], "every line rings")
        app.chat_input.value = "/mute"
        await pilot.press("enter")
        assert "muted: nothing alerts you" in _lines(app)
        chat.current.deliver(message("alex", "tim: are you there?"))
        await _until(pilot, lambda: "are you there?" in _lines(app), "delivered")
        await pilot.pause(0.1)
        assert rings == [None]  # muted: even a mention is quiet
        app.chat_input.value = "/notify loud"
        await pilot.press("enter")
        assert "usage: /notify all|mentions|none" in _lines(app)
    assert Levels(tmp_path / "levels.json").of("lobby") is Level.NONE  # kept for next time


async def test_highlight_words_count_as_mentions_and_mentions_lists_them() -> None:
    chat = FakeChat("tim", history=[HELLO])
    app = PravechatApp(
        "tim", "lobby", chat.connect, chat.list_rooms, highlight=("deploy", "on call"),
        more_rooms=["dev"],
    )  # fmt: skip
    rings: list[None] = []
    app.bell = lambda: rings.append(None)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await _started(pilot, app)
        dev = next(s for s in chat.sessions if s.room == "dev")
        dev.deliver(message("sam", "who is On Call tonight?", room="dev"))
        chat.sessions[0].deliver(message("alex", "the deploy is done"),
                                 message("alex", "redeployment is not a word match"))  # fmt: skip
        await _until(pilot, lambda: len(rings) == 2, "two alerts")
        assert app.rooms["dev"].mentions == 1
        app.chat_input.value = "/mentions"
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, PickScreen), "the list")
        listed = [str(o.prompt) for o in app.screen.query_one(OptionList)._options]
        assert len(listed) == 3  # hello there, tim; the deploy; on call
        assert any("#dev" in line and "On Call" in line for line in listed)
        target = next(n for n, line in enumerate(listed) if "#dev" in line)
        await pilot.press(*["down"] * target, "enter")
        await _until(pilot, lambda: app.room == "dev", "gone there")
        await _until(pilot, lambda: app.chat_log.selected_entry is not None, "selected")
        assert app.chat_log.selected_entry.text == "who is On Call tonight?"  # type: ignore[union-attr]


def _recorder(tmp_path: Path, name: str, body: str = 'printf "%s\\n" "$@" >> "$0.log"') -> Path:
    """A script that stands for a program: it appends its arguments to ``<script>.log``."""
    script = tmp_path / name
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o700)
    return script


async def test_o_and_open_start_the_opener_with_the_link_alone(tmp_path: Path) -> None:
    opener = _recorder(tmp_path, "opener")
    links = message("alex", "see https://example.org/a_(b)?q=1. and http://x.test/-rf")
    hostile = message("alex", "not a link: javascript:alert(1) file:///etc/passwd --help")
    chat = FakeChat("tim", history=[links, hostile])
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, url_opener=[str(opener)])
    async with app.run_test(size=(100, 30)) as pilot:
        await _started(pilot, app)
        await pilot.press("alt+up", "o")  # the newest holds no http(s) link
        assert "no http(s) link in that message" in _lines(app)
        await pilot.press("k", "o")
        log = Path(f"{opener}.log")
        await _until(pilot, log.exists, "the opener ran")
        assert log.read_text() == "https://example.org/a_(b)?q=1\n"  # one argument, no shell
        await pilot.press("escape")
        app.chat_input.value = "/open"
        await pilot.press("enter")
        await _until(pilot, lambda: log.read_text().count("\n") == 2, "again")
    missing = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms,
                           url_opener=["no-such-opener-here"])  # fmt: skip
    async with missing.run_test(size=(100, 30)) as pilot:
        await _started(pilot, missing)
        missing.chat_input.value = "/open"
        await pilot.press("enter")
        assert "'no-such-opener-here' is not installed" in _lines(missing)


async def test_ctrl_e_sends_what_the_editor_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = _recorder(
        tmp_path, "editor", 'cat "$1" > "$0.seen"; printf "line one\\nline two\\n" > "$1"'
    )
    monkeypatch.setenv("VISUAL", str(editor))
    chat = FakeChat("tim", history=[HELLO])
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms)
    app.suspend = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    async with app.run_test(size=(100, 30)) as pilot:
        await _started(pilot, app)
        await pilot.press(*"draft", "ctrl+e")
        await _until(pilot, lambda: chat.current.sent, "sent")
        assert chat.current.sent[-1].text == "line one\nline two"
        assert Path(f"{editor}.seen").read_text() == "draft"  # the input's text, to edit
        assert app.chat_input.value == ""
        monkeypatch.setenv("VISUAL", "false")
        await pilot.press("ctrl+e")
        assert "the editor 'false' exited with 1: nothing was sent" in _lines(app)


async def test_typing_in_selection_mode_goes_back_to_the_input_with_the_character() -> None:
    chat = FakeChat("tim", history=[HELLO])
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms)
    async with app.run_test(size=(100, 30)) as pilot:
        await _started(pilot, app)
        await pilot.press("alt+up", "slash", "m", "u", "t", "e")  # t and e are keys there
        assert app.chat_input.has_focus and app.chat_input.value == "/mute"
        assert app.chat_log.selected is None and not app.current.hint


async def test_lines_changed_in_place_keep_every_line_where_it_is_counted() -> None:
    chat = FakeChat("tim", history=[message("alex", f"line {n}") for n in range(50)])
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms)
    async with app.run_test(size=(100, 30)) as pilot:
        await _started(pilot, app)
        targets = chat.history[::7]
        reactions = [_about("sam", "👍", Kind.REACT, m.id) for m in targets]
        longer = _about("alex", "a much longer line " * 12, Kind.EDIT, targets[1].id)
        chat.current.deliver(*reactions, longer)
        await _until(pilot, lambda: "(edited)" in _lines(app), "changed")
        log = app.chat_log
        assert log.virtual_size.height == len(log.plain_lines())  # counts match what is drawn
