"""Direct conversations on the screen, over fake sessions: where they go, what /msg, /query,
/who and /leave do, and what is refused (through Pravega: tests/pravega/test_direct_ui.py)."""

import asyncio
from typing import Any

from pravechat.core.names import conversation_id
from pravechat.core.settings import Bell
from pravechat.ui.app import PravechatApp
from tests.fakes import FakeChat, FakeDirect, FakePresence, message

BOB = conversation_id(["tim", "bob"])


async def _until(pilot: Any, what: str, check: Any) -> None:
    async with asyncio.timeout(10):
        while not check():
            await pilot.pause(0.05)


def _app(
    direct: FakeDirect | None, presence: FakePresence | None = None
) -> tuple[PravechatApp, FakeChat]:
    chat = FakeChat("tim")

    async def open_presence() -> FakePresence:
        assert presence is not None
        return presence

    app = PravechatApp(
        "tim", "lobby", chat.connect, chat.list_rooms, direct=direct, bell=Bell.MENTIONS,
        presence=open_presence if presence else None,
    )  # fmt: skip
    return app, chat


def _said(app: PravechatApp) -> str:
    return app.chat_log.entries[-1].text


async def test_msg_opens_a_conversation_below_the_rooms_and_sends_once_joined() -> None:
    direct, presence = FakeDirect("tim"), FakePresence()
    app, chat = _app(direct, presence)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        app.chat_input.value = "/msg bob hello there"
        await pilot.press("enter")
        await _until(pilot, "the pane", lambda: BOB in app.rooms)
        assert app.room == "lobby" and _said(app) == "to @bob: hello there"
        await _until(pilot, "sent", lambda: chat.sessions[-1].sent)
        assert [m.text for m in chat.sessions[-1].sent] == ["hello there"]
        assert chat.sessions[-1].room == BOB
        app.chat_input.value = "/join later"
        await pilot.press("enter")
        await _until(pilot, "joined", lambda: "later" in app.rooms)
        assert list(app.rooms) == ["lobby", "later", BOB]  # rooms first, then conversations
        await pilot.press("alt+3")
        assert app.room == BOB and app.current.label == "@bob"
        app.chat_input.value = "/who"
        await pilot.press("enter")
        await _until(pilot, "who", lambda: _said(app) == "in @bob: bob, tim")
        assert BOB not in presence.entered  # presence never names a conversation
        assert "bob" in str(app.query_one("#members").render())
        assert "members (2)" in str(app.query_one("#members").render())
        await pilot.press("alt+1")
        app.chat_input.value = "/leave @bob"  # as the sidebar names it
        await pilot.press("enter")
        await _until(pilot, "left", lambda: BOB not in app.rooms)
        assert _said(app) == "you left @bob"
        app.chat_input.value = "/leave @bob"
        await pilot.press("enter")
        await _until(pilot, "not in", lambda: "you are not in @bob" in _said(app))


async def test_query_shows_the_conversation_and_the_inbox_brings_new_ones() -> None:
    direct = FakeDirect("tim")
    app, chat = _app(direct)
    rang: list[bool] = []
    app.bell = lambda: rang.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        app.chat_input.value = "/query bob"
        await pilot.press("enter")
        await _until(pilot, "shown", lambda: app.room == BOB)
        group = conversation_id(["tim", "carol", "dan"])
        direct.inbox.append((group, ("carol", "dan", "tim")))
        await _until(pilot, "the inbox", lambda: group in app.rooms)
        assert app.rooms[group].label == "@carol,dan" and app.room == BOB
        await _until(pilot, "joined", lambda: app.rooms[group].session is not None)
        chat.sessions[-1].deliver(message("carol", "hi tim", room=group))
        await _until(pilot, "counted", lambda: app.rooms[group].mentions == 1)
        assert rang  # a private line rings like a mention


async def test_what_msg_and_query_refuse() -> None:
    app, _chat = _app(FakeDirect("tim", refuse="no published key for bob: ..."))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        for line, said in [
            ("/msg", "usage: /msg NICK[,NICK...] TEXT"),
            ("/msg bob", "usage: /msg NICK[,NICK...] TEXT"),
            ("/query", "usage: /query NICK[,NICK...]"),
            ("/query bob hi", "usage: /query NICK[,NICK...]"),
            ("/msg tim hi", "a direct conversation needs someone else: /msg NICK TEXT"),
            ("/msg a,b,c,d,e,f,g,h hi", "a direct conversation has at most 8 members"),
            ("/msg bo!b hi", "invalid user name 'bo!b'"),
            ("/msg bob hi", "no published key for bob: ..."),
            ("/join dm-0123", "names starting with dm- are direct conversations"),
        ]:
            app.chat_input.value = line
            await pilot.press("enter")
            await _until(pilot, line, lambda said=said: said in _said(app))
        assert list(app.rooms) == ["lobby"]
    app, _chat = _app(None)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        app.chat_input.value = "/msg bob hi"
        await pilot.press("enter")
        await _until(pilot, "none", lambda: "need a signing key" in _said(app))


async def test_presence_never_names_a_conversation() -> None:
    """Not on entering, not on presence coming back, not as an answer, not while typing."""
    from pravechat.core.presence import Presence

    direct, presence = FakeDirect("tim"), FakePresence()
    chat = FakeChat("tim")

    async def open_presence() -> FakePresence:
        return presence

    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, direct=direct,
                       presence=open_presence, typing=True)  # fmt: skip
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        app.chat_input.value = "/query bob"
        await pilot.press("enter")
        await _until(pilot, "joined", lambda: app.rooms[BOB].session is not None)
        presence.queue.put_nowait(Presence(user="mallory", room=BOB, ask=True))
        presence.queue.put_nowait(Presence(user="alex", room="lobby", ask=True))
        await _until(pilot, "lobby answered", lambda: "lobby" in presence.answered)
        await pilot.press(*"typing away")
        await pilot.pause(0.3)
        assert BOB not in presence.entered and BOB not in presence.answered
        assert presence.typed == [] and "mallory" not in app.roster.members(BOB)
