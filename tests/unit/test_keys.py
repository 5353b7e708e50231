"""Every key the app binds, pressed through Pilot, each checked for the effect it promises.

The keys come from the app's BINDINGS (what the footer offers) and the input's own keys; a
key bound without a test here fails `test_every_bound_key_has_a_test`. The same keys go
through a real terminal in test_tmux_keys.py.
"""

import contextlib
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from pravechat.core.levels import Level
from pravechat.ui.app import PravechatApp
from pravechat.ui.chat_log import ChatLog
from pravechat.ui.views import MessagesScreen, PickScreen
from pravechat.ui.widgets import ChatInput, MemberList, RoomList
from tests.fakes import FakeChat, message
from tests.helpers import settled

ROOMS = ["lobby", *(f"r{n}" for n in range(2, 10))]  # nine rooms: Alt+1..9 each have one
HISTORY = [message("alex", f"line {n}" + (" needle" if n % 50 == 0 else "")) for n in range(200)]


@asynccontextmanager
async def _chat(size: tuple[int, int] = (120, 30)) -> AsyncIterator[tuple[Any, PravechatApp]]:
    chat = FakeChat("tim", history=HISTORY)
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, more_rooms=ROOMS[1:])
    async with app.run_test(size=size) as pilot:
        await settled(pilot, app)
        app.chat_input.sent.extend(["first sent", "last sent"])
        yield pilot, app


@contextlib.contextmanager
def _temporary_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def _status(app: PravechatApp) -> str:
    return str(app.query_one("#status").render())


async def _quits(key: str) -> None:
    chat = FakeChat("tim")
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, more_rooms=["dev"])
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        await pilot.press(key)
        await pilot.pause(0.2)
        assert not app.is_running
    assert app.return_code == 0
    assert [s.closed for s in chat.sessions] == [True, True]  # each reader went offline


async def _ctrl_q() -> None:
    await _quits("ctrl+q")


async def _ctrl_c() -> None:
    await _quits("ctrl+c")


async def _switches(key: str, expected: str, times: int = 1) -> None:
    async with _chat() as (pilot, app):
        for _ in range(times):
            await pilot.press(key)
        await pilot.pause()
        assert app.room == expected
        shown = [pane.room for pane in app.rooms.values() if pane.display]
        assert shown == [expected] and app.current.chat_log.display


async def _page_up() -> None:
    async with _chat() as (pilot, app):
        log = app.chat_log
        bottom = log.scroll_y
        assert bottom == log.max_scroll_y > 0
        await pilot.press("pageup")
        await pilot.pause()
        assert log.scroll_y == pytest.approx(bottom - log.scrollable_content_region.height, abs=1)
        assert not log.following


async def _page_down() -> None:
    async with _chat() as (pilot, app):
        log = app.chat_log
        await pilot.press("pageup", "pageup")
        await pilot.pause()
        up = log.scroll_y
        await pilot.press("pagedown")
        await pilot.pause()
        assert log.scroll_y == pytest.approx(up + log.scrollable_content_region.height, abs=1)
        await pilot.press("pagedown")
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y and log.following


async def _top() -> None:
    async with _chat() as (pilot, app):
        await pilot.press("ctrl+home")
        await pilot.pause()
        assert app.chat_log.scroll_y == 0 and not app.chat_log.following


async def _bottom() -> None:
    async with _chat() as (pilot, app):
        log = app.chat_log
        await pilot.press("ctrl+home")
        await pilot.pause()
        await pilot.press("ctrl+end")
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y > 0 and log.following


async def _search() -> None:
    async with _chat() as (pilot, app):
        await pilot.press("ctrl+f")  # no search yet: starts one in the input
        assert app.chat_input.value == "/find "
        await pilot.press(*"needle", "enter")
        await pilot.pause()
        assert "match 1/4" in _status(app)
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert "match 2/4" in _status(app)


async def _end_search() -> None:
    async with _chat() as (pilot, app):
        app.chat_input.value = "/find needle"
        await pilot.press("enter")
        await pilot.pause()
        assert "match 1/4" in _status(app)
        await pilot.press("escape")
        await pilot.pause()
        assert "match" not in _status(app)


async def _panels() -> None:
    async with _chat(size=(120, 30)) as (pilot, app):
        rooms, members = app.query_one(RoomList), app.query_one(MemberList)
        assert rooms.display and members.display
        await pilot.press("f2")
        await pilot.pause()
        assert not rooms.display and not members.display
        assert app.chat_log.size.width == 120
    async with _chat(size=(80, 24)) as (pilot, app):
        rooms = app.query_one(RoomList)
        assert not rooms.display  # narrow: messages get the width
        await pilot.press("f2")
        await pilot.pause()
        assert rooms.display and app.query_one(MemberList).display


async def _enter() -> None:
    async with _chat() as (pilot, app):
        await pilot.press(*"hi", "enter")
        await pilot.pause(0.1)
        assert app.chat_input.value == ""
        assert app.chat_log.entries[-1].text == "hi" and app.chat_log.entries[-1].own


async def _newline(key: str) -> None:
    async with _chat() as (pilot, app):
        await pilot.press("a", key, "b")
        await pilot.pause(0.1)
        assert app.chat_input.value == "a\nb"
        assert not any(entry.own for entry in app.chat_log.entries)  # nothing was sent


async def _recall() -> None:
    async with _chat() as (pilot, app):
        await pilot.press(*"my draft")
        await pilot.press("up")
        assert app.chat_input.value == "last sent"
        await pilot.press("up")
        assert app.chat_input.value == "first sent"


async def _recall_back_to_the_draft() -> None:
    async with _chat() as (pilot, app):
        await pilot.press(*"my draft", "up", "up", "down")
        assert app.chat_input.value == "last sent"
        await pilot.press("down")
        assert app.chat_input.value == "my draft"  # kept, as a shell keeps it
        await pilot.press("down")
        assert app.chat_input.value == "my draft"


async def _tab() -> None:
    async with _chat() as (pilot, app):
        await pilot.press("slash", "j", "o", "tab")
        assert app.chat_input.value == "/join "
        await pilot.press("tab")
        assert app.chat_input.value == "/joke "  # again: the next candidate
        await pilot.press("tab")
        assert app.chat_input.value == "/join "  # and round
        await pilot.press("r", "tab")
        assert app.chat_input.value == "/join r2 "
        await pilot.press("tab")
        assert app.chat_input.value == "/join r3 "


async def _back_to_the_first_room() -> None:
    async with _chat() as (pilot, app):
        await pilot.press("alt+5")
        await pilot.pause()
        assert app.room == "r5"
        await pilot.press("alt+1")
        await pilot.pause()
        assert app.room == "lobby"


async def _editor() -> None:
    async with _chat() as (pilot, app):
        app.suspend = contextlib.nullcontext  # type: ignore[method-assign,assignment]
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("VISUAL", "sed -i s/draft/edited/")
            await pilot.press(*"draft", "ctrl+e")
            await pilot.pause(0.2)
        assert app.chat_log.entries[-1].text == "edited"  # sent, as the editor left it


async def _first_unread() -> None:
    chat = FakeChat("tim", history=HISTORY)
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot, app)
        chat.current.deliver(*(message("alex", f"new {n}") for n in range(60)), unread=True)
        for _ in range(100):
            if any(e.text == "new 59" for e in app.chat_log.entries):
                break
            await pilot.pause(0.05)
        await pilot.press("ctrl+end")  # read to the end
        await pilot.pause(0.1)
        await pilot.press("alt+u")
        await pilot.pause(0.1)
        log = app.chat_log
        top = log.plain_lines()[int(log.scroll_y)]
        assert " unread " in top and log.plain_lines()[int(log.scroll_y) + 1].rstrip().endswith(
            "new 0"
        )


async def _nothing_unread() -> None:
    async with _chat() as (pilot, app):
        await pilot.press("alt+u")
        await pilot.pause()
        assert app.chat_log.entries[-1].text == "no unread line in #lobby"


async def _next_activity() -> None:
    async with _chat() as (pilot, app):
        chats = {s.room: s for s in app._connect.__self__.sessions}  # type: ignore[attr-defined]
        chats["r4"].deliver(message("alex", "something in r4", room="r4"))
        chats["r7"].deliver(message("alex", "tim: look in r7", room="r7"))
        app.rooms["r2"].set_level(Level.NONE)
        chats["r2"].deliver(message("alex", "tim, muted r2", room="r2"))
        await pilot.pause(0.2)
        await pilot.press("alt+a")
        await pilot.pause(0.1)
        assert app.room == "r7"  # a mention first, the muted room passed by
        await pilot.press("alt+a")
        await pilot.pause(0.1)
        assert app.room == "r4"
        await pilot.press("alt+a")
        await pilot.pause(0.1)
        assert app.room == "r4" and app.chat_log.entries[-1].text == "no activity elsewhere"


async def _select() -> None:
    async with _chat() as (pilot, app):
        await pilot.press("alt+up")
        entry = app.chat_log.selected_entry
        assert app.chat_log.has_focus and entry is not None and entry.text == "line 199"


EFFECTS: dict[str, Callable[[], Awaitable[None]]] = {
    "ctrl+q": _ctrl_q,
    "ctrl+c": _ctrl_c,
    "ctrl+n": lambda: _switches("ctrl+n", "r3", times=2),
    "ctrl+p": lambda: _switches("ctrl+p", "r9"),
    **{f"alt+{n}": partial(_switches, f"alt+{n}", ROOMS[n - 1]) for n in range(2, 10)},
    "alt+1": _back_to_the_first_room,
    "pageup": _page_up,
    "pagedown": _page_down,
    "ctrl+home": _top,
    "ctrl+end": _bottom,
    "ctrl+f": _search,
    "f2": _panels,
    "enter": _enter,
    "ctrl+j": lambda: _newline("ctrl+j"),
    "shift+enter": lambda: _newline("shift+enter"),
    "alt+enter": lambda: _newline("alt+enter"),
    "up": _recall,
    "down": _recall_back_to_the_draft,
    "tab": _tab,
    "ctrl+e": _editor,
    "escape": _end_search,
    "alt+up": _select,
    "alt+u": _first_unread,
    "alt+a": _next_activity,
}


@asynccontextmanager
async def _selecting(*keys: str) -> AsyncIterator[tuple[Any, PravechatApp]]:
    """The chat with tim's own last line, the newest message selected, then ``keys``."""
    async with _chat() as (pilot, app):
        await pilot.press(*"mine", "enter", "alt+up", *keys)
        await pilot.pause()
        yield pilot, app


def _selected_text(app: PravechatApp) -> str | None:
    entry = app.chat_log.selected_entry
    return entry.text if entry is not None else None


async def _older(key: str) -> None:
    async with _selecting(key, key) as (_pilot, app):
        assert _selected_text(app) == "line 198"


async def _newer(key: str) -> None:
    async with _selecting("up", "up", key) as (pilot, app):
        assert _selected_text(app) == "line 199"
        await pilot.press(key)
        assert _selected_text(app) == "mine"
        await pilot.press(key)  # past the newest: typing again
        assert app.chat_input.has_focus and app.chat_log.selected is None


async def _unselect() -> None:
    async with _selecting("escape") as (_pilot, app):
        assert app.chat_input.has_focus and app.chat_log.selected is None


async def _reply(key: str) -> None:
    async with _selecting("up", key) as (_pilot, app):
        assert app.chat_input.has_focus and app.current.hint.startswith("reply to alex: line 199")


async def _react() -> None:
    async with _selecting("plus") as (_pilot, app):
        assert app.chat_input.has_focus and app.current.hint.startswith("react to tim: mine")


async def _edit() -> None:
    async with _selecting("e") as (_pilot, app):
        assert app.chat_input.has_focus and app.chat_input.value == "mine"


async def _delete() -> None:
    async with _selecting("d") as (pilot, app):
        assert "d again" in app.current.hint
        await pilot.press("d")
        await pilot.pause(0.1)
        assert any(entry.deleted for entry in app.chat_log.entries)


async def _thread() -> None:
    async with _selecting("t") as (_pilot, app):
        assert isinstance(app.screen, MessagesScreen)


async def _info() -> None:
    async with _selecting("i") as (_pilot, app):
        assert (
            "tim, " in app.chat_log.entries[-1].text and "verified" in app.chat_log.entries[-1].text
        )


async def _open_link() -> None:
    with _temporary_dir() as where:
        await _opens_link(where)


async def _opens_link(where: Path) -> None:
    async with _chat() as (pilot, app):
        opener = where / "opener"
        opener.write_text('#!/bin/sh\necho "$@" > "$0.log"\n')
        opener.chmod(0o700)
        app.current._url_opener = [str(opener)]
        await pilot.press(*"see https://example.org/x now", "enter", "alt+up", "o")
        for _ in range(100):
            if Path(f"{opener}.log").exists():
                break
            await pilot.pause(0.05)
        assert Path(f"{opener}.log").read_text() == "https://example.org/x\n"


async def _thread_closes(key: str) -> None:
    async with _selecting("t") as (pilot, app):
        await pilot.press(key)
        await pilot.pause()
        assert not isinstance(app.screen, MessagesScreen)


@asynccontextmanager
async def _results() -> AsyncIterator[tuple[Any, PravechatApp]]:
    """The results of /search needle (lines 0, 50, 100 and 150 hold it), newest first."""
    async with _chat() as (pilot, app):
        app.chat_input.value = "/search needle"
        await pilot.press("enter")
        for _ in range(100):
            if isinstance(app.screen, PickScreen):
                break
            await pilot.pause(0.05)
        assert isinstance(app.screen, PickScreen)
        yield pilot, app


async def _results_close(key: str) -> None:
    async with _results() as (pilot, app):
        await pilot.press(key)
        await pilot.pause()
        assert not isinstance(app.screen, PickScreen)


async def _result_opens() -> None:
    async with _results() as (pilot, app):
        await pilot.press("down", "enter")  # the second newest: line 100
        for _ in range(100):
            if isinstance(app.screen, MessagesScreen):
                break
            await pilot.pause(0.05)
        log = app.screen.query_one(ChatLog)
        assert log.selected_entry is not None and log.selected_entry.text == "line 100 needle"
        texts = [e.text for e in log.entries if e.message is not None]
        assert texts[0] == "line 85" and texts[-1] == "line 115"  # 15 before, 15 after


LOG_EFFECTS: dict[str, Callable[[], Awaitable[None]]] = {
    "up": partial(_older, "up"),
    "k": partial(_older, "k"),
    "down": partial(_newer, "down"),
    "j": partial(_newer, "j"),
    "escape": _unselect,
    "r": partial(_reply, "r"),
    "enter": partial(_reply, "enter"),
    "plus": _react,
    "e": _edit,
    "d": _delete,
    "t": _thread,
    "i": _info,
    "o": _open_link,
}
"""The keys of a selected message (the log has the focus)."""
THREAD_EFFECTS: dict[str, Callable[[], Awaitable[None]]] = {
    "escape": partial(_thread_closes, "escape"),
    "q": partial(_thread_closes, "q"),
}


def _keys(bindings: Any) -> set[str]:
    return {key for binding in bindings for key in binding.key.split(",")}


def _bound_keys() -> set[str]:
    return _keys(PravechatApp.BINDINGS) | set(ChatInput.KEY_ACTIONS)


RESULTS_EFFECTS: dict[str, Callable[[], Awaitable[None]]] = {
    "escape": partial(_results_close, "escape"),
    "q": partial(_results_close, "q"),
    "enter": _result_opens,  # the option list's own key
}


async def test_alt_u_with_nothing_unread_says_so() -> None:
    await _nothing_unread()


def test_every_bound_key_has_a_test() -> None:
    assert _bound_keys() == set(EFFECTS)
    assert _keys(ChatLog.BINDINGS) == set(LOG_EFFECTS)
    assert _keys(MessagesScreen.BINDINGS) == set(THREAD_EFFECTS)
    assert _keys(PickScreen.BINDINGS) | {"enter"} == set(RESULTS_EFFECTS)


@pytest.mark.parametrize("key", sorted(EFFECTS))
async def test_key(key: str) -> None:
    await EFFECTS[key]()


@pytest.mark.parametrize("key", sorted(LOG_EFFECTS))
async def test_key_of_a_selected_message(key: str) -> None:
    await LOG_EFFECTS[key]()


@pytest.mark.parametrize("key", sorted(RESULTS_EFFECTS))
async def test_key_of_search_results(key: str) -> None:
    await RESULTS_EFFECTS[key]()


@pytest.mark.parametrize("key", sorted(THREAD_EFFECTS))
async def test_key_of_the_thread_view(key: str) -> None:
    await THREAD_EFFECTS[key]()


async def test_the_footer_offers_only_bound_keys() -> None:
    async with _chat() as (_pilot, app):
        shown = {binding.key for (_, binding, enabled, _) in app.active_bindings.values()
                 if binding.show and enabled}  # fmt: skip
        assert {"pageup", "pagedown", "ctrl+q", "ctrl+n", "ctrl+f", "f2"} <= shown
        assert shown <= set(EFFECTS)
