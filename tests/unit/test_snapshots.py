"""Snapshot tests of the chat screen (pytest-textual-snapshot); update with --snapshot-update."""

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from pravechat.core.presence import Presence
from pravechat.core.protocol import Kind, new_message
from pravechat.ui.app import PravechatApp
from tests.fakes import FIXED_TIME, FakeChat, message, signed
from tests.helpers import presence_app

SIZE = (80, 24)
"""The classic terminal: the side panels hide, messages get the width."""
SMALL = (60, 20)
WIDE = (120, 30)
"""Wide enough for the rooms and members panels."""
WRAPPING = (
    "a longer message that has to wrap onto a second line, so the continuation lines are "
    "indented under the text column"
)


def _app(chat: FakeChat) -> PravechatApp:
    return PravechatApp(chat.user, "lobby", chat.connect, chat.list_rooms)


def _still(app: PravechatApp) -> None:
    app.chat_input.cursor_blink = False


@pytest.mark.parametrize("size", [SIZE, SMALL], ids=["80x24", "60x20"])
def test_main_screen(snap_compare: Any, size: tuple[int, int]) -> None:
    chat = FakeChat(
        "tim",
        history=[
            message("alex", "morning all"),
            message("maria", WRAPPING),
            message("tim", "hi!"),
            message("alex", "waves", Kind.ACTION),
        ],
    )
    app = _app(chat)

    async def run_before(pilot: Any) -> None:
        _still(app)
        await pilot.pause()
        chat.current.deliver(message("maria", "this arrived while tim was away"), unread=True)
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_help(snap_compare: Any) -> None:
    app = _app(FakeChat("tim"))

    async def run_before(pilot: Any) -> None:
        _still(app)
        await pilot.pause()
        app.chat_input.value = "/help"
        await pilot.press("enter")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_hostile_text_is_literal(snap_compare: Any) -> None:
    chat = FakeChat("tim")
    app = _app(chat)

    async def run_before(pilot: Any) -> None:
        _still(app)
        await pilot.pause()
        chat.current.deliver(
            message("mallory", "[bold]not bold[/] [@click=app.quit]click me[/] [/"),
            message("mallory", "[red]not red[/red] [link=https://evil.example]no link[/link]"),
            # what decoding left of "\x1b[2J\x1b]0;pwned\x07 gone": the escapes are removed
            message("mallory", "\x1b[2J\x1b]0;pwned\x07 gone"),
        )
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_rooms_sidebar(snap_compare: Any) -> None:
    chat = FakeChat("tim")
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, more_rooms=["random", "dev"])

    async def run_before(pilot: Any) -> None:
        _still(app)
        await pilot.pause(0.2)
        random = next(s for s in chat.sessions if s.room == "random")
        random.deliver(*(message("alex", f"ping {n}", room="random") for n in range(3)))
        random.deliver(message("maria", "@tim over here", room="random"))
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


def test_member_list(snap_compare: Any) -> None:
    app, _chat, presence = presence_app()

    async def run_before(pilot: Any) -> None:
        _still(app)
        await pilot.pause(0.2)
        for user in ("tim", "alex", "maria"):  # tim's own event carries this client's id
            client = presence.client if user == "tim" else None
            presence.queue.put_nowait(Presence(user=user, room="lobby", client=client))
        async with asyncio.timeout(10):  # drawn within STATUS_EVERY, on a busy machine later
            while "maria" not in str(app.query_one("#members").render()):
                await pilot.pause(0.05)
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=WIDE, run_before=run_before)


def test_replies_reactions_edits_deletions_and_days(snap_compare: Any) -> None:
    """A day line, a reply showing what it answers, reactions (the reader's in brackets), an
    edited and a deleted message, and a selected one."""
    yesterday = message("alex", "see you tomorrow").model_copy(
        update={"sent_at": FIXED_TIME - timedelta(days=1)}
    )
    question = message("alex", "lunch at noon?")
    reply = signed(new_message("lobby", "maria", "yes, pizza", reply_to=question.id)
                   .model_copy(update={"sent_at": FIXED_TIME}))  # fmt: skip
    typo = message("maria", "I'll bring the dessret")
    gone = message("alex", "a line alex took back")

    def about(sender: str, text: str, kind: Kind, target: str) -> Any:
        framed = new_message("lobby", sender, text, kind, target=target)
        return signed(framed.model_copy(update={"sent_at": FIXED_TIME}))

    chat = FakeChat("tim", history=[
        yesterday, question, reply, typo, gone,
        about("tim", "👍", Kind.REACT, reply.id), about("alex", "👍", Kind.REACT, reply.id),
        about("alex", "yum", Kind.REACT, reply.id),
        about("maria", "I'll bring the dessert", Kind.EDIT, typo.id),
        about("alex", "", Kind.DELETE, gone.id),
    ])  # fmt: skip
    app = _app(chat)

    async def run_before(pilot: Any) -> None:
        _still(app)
        await pilot.pause()
        await pilot.press("alt+up", "k")  # maria's edited line selected
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
