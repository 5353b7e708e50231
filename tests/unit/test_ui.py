"""The chat screen's behaviour, driven with Textual's Pilot over a fake session."""

import asyncio
from pathlib import Path

import pytest
from textual import events

from pravechat.core.commands import jokes
from pravechat.core.presence import Presence
from pravechat.core.protocol import Kind
from pravechat.core.settings import Bell
from pravechat.ui.app import PravechatApp
from tests.fakes import FakeChat, message
from tests.helpers import presence_app

HOSTILE = [
    "[bold]x[/] and [@click=app.quit]quit[/] and [/",
    "[red]red?[/red] [link=https://evil.example]link[/link]",
]


def make_app(chat: FakeChat) -> PravechatApp:
    return PravechatApp(chat.user, "lobby", chat.connect, chat.list_rooms)


async def _until(pilot: object, app: PravechatApp, last: str) -> None:
    """Wait until the log ends with a line starting ``last`` (a loaded machine takes its
    time; nothing is timed)."""
    log = app.chat_log
    async with asyncio.timeout(30):
        while not (log.entries and log.entries[-1].text.startswith(last)):
            await pilot.pause(0.05)  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


async def _type(pilot: object, app: PravechatApp, line: str) -> None:
    app.chat_input.value = line
    await pilot.press("enter")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


async def test_history_then_submit_sends_and_shows_the_line() -> None:
    chat = FakeChat("tim", history=[message("alex", "earlier words")])
    app = make_app(chat)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _type(pilot, app, "hello there")
        assert [m.text for m in chat.current.sent] == ["hello there"]
        assert app.chat_input.value == ""
        lines = app.chat_log.plain_lines()
        assert any("alex earlier words" in line for line in lines)
        assert any("tim hello there" in line for line in lines)


async def test_a_received_message_shows_a_line_and_unread_gets_a_divider() -> None:
    chat = FakeChat("tim")
    app = make_app(chat)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        chat.current.deliver(message("alex", "while you were away"), unread=True)
        chat.current.deliver(message("alex", "live now"))
        await pilot.pause(0.1)
        lines = app.chat_log.plain_lines()
        divider = next(i for i, line in enumerate(lines) if "unread" in line and "─" in line)
        assert "while you were away" in lines[divider + 1]
        assert "live now" in lines[divider + 2]
        assert app.unread == 0  # both fit on the screen: read as they arrive


async def test_slash_commands() -> None:
    chat = FakeChat("tim")
    app = make_app(chat)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await _type(pilot, app, "/help")
        assert any("/join ROOM" in line for line in app.chat_log.plain_lines())
        await _type(pilot, app, "/greet")
        await _type(pilot, app, "/joke")
        await _type(pilot, app, "/me waves")
        sent = chat.current.sent
        assert [m.text for m in sent[:1]] == ["tim says hi!"]
        assert sent[1].text in jokes()
        assert (sent[2].kind, sent[2].text) == (Kind.ACTION, "waves")
        assert any("* tim waves" in line.replace("  ", " ") for line in app.chat_log.plain_lines())
        await _type(pilot, app, "/join Random")
        await pilot.pause(0.1)
        lobby, random = chat.sessions
        assert not lobby.closed and random.room == "random"  # both rooms are followed
        assert app.room == "random"
        await _type(pilot, app, "/rooms")
        await pilot.pause(0.1)
        assert any("rooms: #lobby, #random" in line for line in app.chat_log.plain_lines())
        await _type(pilot, app, "/clear")
        assert app.chat_log.plain_lines() == []
        await _type(pilot, app, "/leave")
        await pilot.pause(0.1)
        assert random.closed and app.room == "lobby" and list(app.rooms) == ["lobby"]
        await _type(pilot, app, "/leave")
        assert any("only room" in line for line in app.chat_log.plain_lines())
        await _type(pilot, app, "/quit")
        await pilot.pause(0.1)
        assert lobby.closed
    assert app.return_code == 0


async def test_an_unknown_command_is_a_local_error_and_sends_nothing() -> None:
    chat = FakeChat("tim")
    app = make_app(chat)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _type(pilot, app, "/frobnicate")
        assert chat.current.sent == []
        assert any("unknown command /frobnicate" in line for line in app.chat_log.plain_lines())


async def test_input_history_and_completion() -> None:
    chat = FakeChat("tim", history=[message("alexandra", "hi")])
    app = make_app(chat)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await _type(pilot, app, "first")
        await _type(pilot, app, "second")
        await pilot.press("up")
        assert app.chat_input.value == "second"
        await pilot.press("up")
        assert app.chat_input.value == "first"
        await pilot.press("down", "down")
        assert app.chat_input.value == ""
        await pilot.press("a", "l", "tab")
        assert app.chat_input.value == "alexandra: "
        app.chat_input.value = ""
        await pilot.press("slash", "j", "o", "i", "tab")
        assert app.chat_input.value == "/join "


async def test_hostile_text_is_shown_literally_and_does_not_act() -> None:
    chat = FakeChat("tim")
    app = make_app(chat)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        chat.current.deliver(*(message("mallory", text) for text in HOSTILE))
        await pilot.pause(0.1)
        lines = app.chat_log.plain_lines()
        for text in HOSTILE:
            assert any(text in line for line in lines)
        assert app.is_running  # [@click=app.quit] did nothing


async def test_ctrl_q_closes_the_session() -> None:
    chat = FakeChat("tim")
    app = make_app(chat)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause(0.1)
    assert chat.current.closed


async def test_a_burst_is_rendered_in_batches_and_the_log_stays_bounded() -> None:
    chat = FakeChat("tim")
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, scrollback=1000)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for start in range(0, 5000, 500):
            chat.current.deliver(*(message("alex", f"m{n}") for n in range(start, start + 500)))
        await _until(pilot, app, "m4999")
        entries = app.chat_log.entries
        assert len(entries) <= 1100
        assert entries[-1].text == "m4999"
        assert app.chat_log.scroll_y == app.chat_log.max_scroll_y  # followed the bottom


async def test_oversized_text_is_refused_and_stays_in_the_input() -> None:
    chat = FakeChat("tim")
    app = make_app(chat)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        too_long = "x" * 4001
        await _type(pilot, app, too_long)
        assert chat.current.sent == []
        assert app.chat_input.value == too_long
        assert any("limit is 4000" in line for line in app.chat_log.plain_lines())


async def test_a_pasted_block_is_one_message_and_ctrl_j_starts_a_line() -> None:
    chat = FakeChat("tim")
    app = make_app(chat)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.post_message(events.Paste("line one\nline two\nline three"))  # as a terminal does
        await pilot.pause()
        await pilot.press("enter")
        await pilot.press(*"ab", "ctrl+j", *"cd", "enter", *"next", "enter")
        await pilot.pause(0.1)
        texts = [m.text for m in chat.current.sent]
        assert texts == ["line one\nline two\nline three", "ab\ncd", "next"]
        lines = app.chat_log.plain_lines()
        first = next(i for i, line in enumerate(lines) if line.rstrip().endswith("tim line one"))
        assert lines[first + 1].strip() == "line two"  # one block, continuation indented
        assert lines[first + 1].startswith(" " * 19)


async def test_search_jumps_between_matches_newest_first() -> None:
    history = [message("alex", f"line {n}" + (" needle" if n in (5, 120, 240) else ""))
               for n in range(300)]  # fmt: skip
    chat = FakeChat("tim", history=history)
    app = make_app(chat)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        log = app.chat_log
        bottom = log.scroll_y
        await _type(pilot, app, "/find NEEDLE")
        assert "match 1/3" in str(app.query_one("#status").render())  # newest first

        def visible() -> str:
            return "\n".join(log.plain_lines()[int(log.scroll_y) : int(log.scroll_y) + 16])

        assert "line 240 needle" in visible() and log.scroll_y < bottom
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert "line 120 needle" in visible()
        await pilot.press("ctrl+f", "ctrl+f")  # 5, then wraps around to 240
        await pilot.pause()
        assert "line 240 needle" in visible()
        await pilot.press("escape")
        await pilot.pause()
        assert "match" not in str(app.query_one("#status").render())
        await _type(pilot, app, "/find nowhere")
        assert any("no match for 'nowhere'" in line for line in log.plain_lines())


async def test_rooms_sidebar_counts_and_switching() -> None:
    chat = FakeChat("tim")
    app = PravechatApp(
        "tim", "lobby", chat.connect, chat.list_rooms, more_rooms=["random", "dev"], bell=Bell.ALL
    )
    rings: list[None] = []
    app.bell = lambda: rings.append(None)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        sessions = {s.room: s for s in chat.sessions}
        assert list(app.rooms) == ["lobby", "random", "dev"] and app.room == "lobby"
        sessions["random"].deliver(message("alex", "over here", room="random"))
        sessions["random"].deliver(message("maria", "and here", room="random"))
        await pilot.pause(0.1)
        sidebar = str(app.query_one("#rooms").render())
        assert "2 #random 2" in sidebar and "1 #lobby" in sidebar
        assert rings  # a message in another room rings
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.room == "random" and app.rooms["random"].unseen == 0
        assert any("over here" in line for line in app.chat_log.plain_lines())
        await pilot.press("alt+3")
        await pilot.pause()
        assert app.room == "dev"
        await pilot.press("ctrl+p", "ctrl+p")
        await pilot.pause()
        assert app.room == "lobby"
        await _type(pilot, app, "/join dev")  # already followed: a switch, no new session
        assert app.room == "dev" and len(chat.sessions) == 3


@pytest.mark.parametrize("enabled", [True, False])
async def test_typing_indicator_only_when_enabled(enabled: bool) -> None:
    app, _chat, presence = presence_app(typing=enabled)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        await pilot.press(*"hel")
        await pilot.pause(0.1)
        assert presence.typed == (["lobby"] if enabled else [])  # at most one per 3 s
        presence.queue.put_nowait(Presence(user="alex", room="lobby", typing=True))
        presence.queue.put_nowait(Presence(user="maria", room="lobby"))
        async with asyncio.timeout(10):  # the status is redrawn within STATUS_EVERY
            while "maria" not in str(app.query_one("#members").render()):
                await pilot.pause(0.05)
        await pilot.pause(0.2)
        status = str(app.query_one("#status").render())
        assert ("alex typing…" in status) is enabled


async def test_line_accounting_holds_when_the_oldest_scroll_out() -> None:
    chat = FakeChat("tim")
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, scrollback=100)
    texts = ["short", "wide 漢字 " * 12, "tab\there " * 9, "long words " * 30, "ends"]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for start in range(0, 400, 50):
            chat.current.deliver(
                *(message("alex", f"{n} {texts[n % len(texts)]}") for n in range(start, start + 50))
            )
        await _until(pilot, app, "399 ")
        log = app.chat_log
        assert log.virtual_size.height == len(log.plain_lines())
        assert log.entries[-1].text.startswith("399 ")
        # Scrolled up, the lines being read stay put while the oldest scroll out.
        log.scroll_to(y=log.max_scroll_y - 5, animate=False, immediate=True)
        await pilot.pause()
        shown = log.render_line(0).text
        chat.current.deliver(*(message("alex", f"{n} more") for n in range(400, 460)))
        await _until(pilot, app, "459 more")
        assert log.render_line(0).text == shown
        assert log.virtual_size.height == len(log.plain_lines())


async def test_a_megabyte_paste_is_refused_and_the_input_keeps_its_text() -> None:
    chat = FakeChat("tim")
    app = make_app(chat)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.chat_input.value = "my draft"
        app.post_message(events.Paste("y" * (1 << 20)))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert [m.text for m in chat.current.sent] == ["my draft"]  # the paste never got in
        assert any("1,048,576 characters refused" in line for line in app.chat_log.plain_lines())


async def test_a_paste_within_the_limit_goes_in_once() -> None:
    chat = FakeChat("tim")
    app = make_app(chat)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.chat_input.value = "say: "
        app.post_message(events.Paste("x" * 4000))
        await pilot.pause()
        assert app.chat_input.value == "say: " + "x" * 4000


async def test_a_lost_server_shows_reconnecting_and_lines_wait_as_pending() -> None:
    chat = FakeChat("tim")
    app = make_app(chat)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        session = chat.current
        session.held = True
        session.status("reconnecting", "lost #lobby: the server went away; reconnecting")
        await _until(pilot, app, "lost #lobby")
        status = str(app.query_one("#status").render())
        assert "reconnecting" in status
        for line in ("first while away", "second\nwith two lines"):
            await _type(pilot, app, line)
        assert app.chat_input.value == ""
        await pilot.pause(0.3)
        pending = app.query_one("#pending")
        assert pending.display
        shown = str(pending.render())
        assert shown.index("first while away") < shown.index("second …")
        assert session.sent == []

        session.release()
        session.status("connected", "reconnected to #lobby")
        await _until(pilot, app, "second")
        await pilot.pause(0.3)
        assert not app.query_one("#pending").display
        assert "reconnecting" not in str(app.query_one("#status").render())
        texts = [entry.text for entry in app.chat_log.entries if entry.message is not None]
        assert texts == ["first while away", "second\nwith two lines"]


async def test_a_line_waiting_a_moment_is_not_flashed_as_pending() -> None:
    chat = FakeChat("tim")
    app = make_app(chat)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        chat.current.held = True  # connected, but Pravega has not acknowledged yet
        await _type(pilot, app, "slow ack")
        assert not app.query_one("#pending").display
        await pilot.pause(0.6)
        assert "slow ack" in str(app.query_one("#pending").render())


async def test_a_crash_saves_the_outbox_and_writes_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    chat = FakeChat("tim")
    app = make_app(chat)

    def broken() -> None:
        raise RuntimeError("planted bug")

    app.action_toggle_panels = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):  # Pilot re-raises what ended the app
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            chat.current.held = True
            await _type(pilot, app, "not sent yet")
            await pilot.press("f2")
            await pilot.pause()
    assert app.return_code == 1
    assert chat.current.kept is not None and [m.text for m in chat.current.kept] == ["not sent yet"]
    assert app.crash_log is not None and "planted bug" in app.crash_log.read_text()
    assert app.crash_log.parent == tmp_path / "pravechat"


async def test_rooms_names_fifty_and_counts_the_rest() -> None:
    """A scope of 2,000 rooms (anyone may create streams) is one line, not 2,000."""
    chat = FakeChat("tim")
    many = sorted(f"room{n:04d}" for n in range(2000))
    chat.list_rooms = lambda: _listed(many)  # type: ignore[method-assign]
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.2)
        await _type(pilot, app, "/rooms")
        await pilot.pause(0.2)
        text = " ".join(" ".join(app.chat_log.plain_lines()).split())  # wrapped lines joined
        assert "#room0049" in text and "#room0050" not in text
        assert "and 1,950 more" in text
        assert len(app.chat_input.rooms) == 2002  # all of them, lobby and streamcli, for Tab


async def _listed(rooms: list[str]) -> list[str]:
    return rooms


async def test_a_panes_change_arriving_after_the_screen_was_torn_down_is_ignored() -> None:
    """Seen in CI: a PaneChanged handled while the app exited found no status bar, and the
    app died with NoMatches."""
    from pravechat.ui.messages import PaneChanged
    from pravechat.ui.widgets import StatusBar

    chat = FakeChat("tim")
    app = make_app(chat)
    async with app.run_test(size=(100, 30)) as pilot:
        await _until(pilot, app, "")
        await app.query_one(StatusBar).remove()  # as the exit removes it
        app.post_message(PaneChanged("lobby"))
        await pilot.pause()
        assert app.is_running and app.return_code is None
