"""``pravechat --user tim``: the full-screen chat.

A worker joins the room and turns the session's delivery batches into ``Delivered`` messages;
the input's submit handler expands slash-commands (parsed in the core) and sends. Nothing here
waits on Pravega in a way that freezes the screen: joining and reading run in the worker, the
live reader in its own process, and a lost server shows in the status bar.
"""

import asyncio
import gc
import signal
from collections.abc import Awaitable, Callable

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer

from pravechat.core.commands import COMMANDS, Action, parse
from pravechat.core.errors import PravechatError
from pravechat.core.protocol import Kind, new_message
from pravechat.core.session import ChatSession, Delivery
from pravechat.ui.chat_log import ChatLog
from pravechat.ui.entries import Entry, EntryKind, message_entry
from pravechat.ui.widgets import ChatInput, StatusBar

KEYS_HELP = (
    "keys: Enter sends, Ctrl+J starts a new line, PgUp/PgDn scroll, Tab completes, "
    "Up/Down recall, Ctrl+Q quits"
)
Connector = Callable[[str], Awaitable[ChatSession]]
RoomLister = Callable[[], Awaitable[list[str]]]


async def _run_quietly(argv: list[str]) -> None:
    """Run a notification command without a shell; its output never reaches the screen."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.wait_for(process.wait(), 10)
    except (OSError, TimeoutError):
        pass


class Delivered(Message):
    """A batch of messages read from the room."""

    def __init__(self, deliveries: list[Delivery]) -> None:
        super().__init__()
        self.deliveries = deliveries


class Joined(Message):
    def __init__(self, session: ChatSession) -> None:
        super().__init__()
        self.session = session


class ConnectionState(Message):
    def __init__(self, state: str, error: str | None = None) -> None:
        super().__init__()
        self.state = state
        self.error = error


class PravechatApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "pravechat"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [  # noqa: RUF012 (Textual's own style)
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("pageup", "scroll('page_up')", "Page up", priority=True),
        Binding("pagedown", "scroll('page_down')", "Page down", priority=True),
        Binding("ctrl+f", "search_next", "Search", priority=True),
        Binding("ctrl+home", "scroll('scroll_home')", "Top", show=False, priority=True),
        Binding("ctrl+end", "scroll('scroll_end')", "Bottom", show=False, priority=True),
    ]

    def __init__(
        self,
        user: str,
        room: str,
        connect: Connector,
        list_rooms: RoomLister,
        scrollback: int = 100_000,
        bell: bool = True,
        notify_command: list[str] | None = None,
    ) -> None:
        super().__init__()
        self._bell = bell
        self._notify_command = notify_command or []
        self.user = user
        self.room = room
        self._connect = connect
        self._list_rooms = list_rooms
        self._scrollback = scrollback
        self.session: ChatSession | None = None
        self.state = "connecting"
        self.unread = 0
        self._divider_shown = False
        self._unfrozen = 0
        self._search_status = ""

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield ChatLog(self._scrollback, id="log")
        yield ChatInput(placeholder="Type a message, or /help", id="input")
        yield Footer()

    @property
    def chat_log(self) -> ChatLog:
        return self.query_one(ChatLog)

    @property
    def chat_input(self) -> ChatInput:
        return self.query_one(ChatInput)

    def on_mount(self) -> None:
        # SIGTERM (a closing terminal, `kill`) quits like Ctrl+Q: the position is saved.
        asyncio.get_running_loop().add_signal_handler(
            signal.SIGTERM, lambda: self.run_worker(self.action_quit(), group="quit")
        )
        self.chat_input.focus()
        self._show_status()
        self.join_room(self.room)

    def _show_status(self) -> None:
        self.query_one(StatusBar).show(
            self.user, self.room, self.state, self.unread, self._search_status
        )

    def _local(self, kind: EntryKind, text: str) -> None:
        self.chat_log.add([Entry(kind, text)])

    # --- the room worker -----------------------------------------------------------------

    @work(exclusive=True, group="room", exit_on_error=False)
    async def join_room(self, room: str) -> None:
        previous, self.session = self.session, None
        if previous is not None:
            await previous.close()
        self.room, self.unread, self._divider_shown = room, 0, False
        self.post_message(ConnectionState(f"joining #{room}"))
        try:
            session = await self._connect(room)
        except PravechatError as error:
            self.post_message(ConnectionState("not connected", str(error)))
            return
        self.post_message(Joined(session))
        try:
            async for batch in session.batches():
                self.post_message(Delivered(batch))
        except PravechatError as error:
            self.post_message(ConnectionState("disconnected", str(error)))

    def on_joined(self, event: Joined) -> None:
        session = event.session
        self.session = session
        self.state = "connected"
        log = self.chat_log
        log.add(message_entry(message, self.user) for message in session.history)
        self._local(EntryKind.INFO, f"you are in #{session.room} as {self.user}")
        self._learn_nicks(m.sender for m in session.history)
        self._show_status()

    def on_delivered(self, event: Delivered) -> None:
        entries: list[Entry] = []
        for delivery in event.deliveries:
            if delivery.unread:
                if not self._divider_shown:
                    entries.append(Entry(EntryKind.DIVIDER, "unread"))
                    self._divider_shown = True
                self.unread += 1
            entries.append(message_entry(delivery.message, self.user))
        self.chat_log.add(entries)
        called = [entry for entry in entries if entry.mention]
        if called:
            self._alert(called[-1])
        self._learn_nicks(d.message.sender for d in event.deliveries)
        self._show_status()
        self._settle(len(entries))

    def _alert(self, entry: Entry) -> None:
        """Someone called the user: ring the bell and run the notification command, if set."""
        if self._bell:
            self.bell()
        message = entry.message
        if self._notify_command and message is not None:
            fields = {"sender": message.sender, "room": message.room, "text": message.text}
            argv = [part.format_map(fields) for part in self._notify_command]
            self.run_worker(_run_quietly(argv), group="notify", exit_on_error=False)

    def _settle(self, added: int) -> None:
        """Move what the scrollback keeps out of the garbage collector's way.

        A full collection walks every object: with 100,000 messages kept, each took 50-220 ms
        (measured) and froze typing. Kept messages live long and form no cycles, so they are
        frozen (gc.freeze) once enough have arrived; refcounting still frees them on eviction.
        """
        self._unfrozen += added
        if self._unfrozen >= 5_000:
            gc.freeze()
            self._unfrozen = 0

    def on_connection_state(self, event: ConnectionState) -> None:
        self.state = event.state
        if event.error:
            self._local(EntryKind.ERROR, event.error)
        self._show_status()

    def _learn_nicks(self, nicks: object) -> None:
        known = set(self.chat_input.nicks)
        for nick in nicks:  # type: ignore[attr-defined]
            if nick not in known:
                known.add(nick)
                self.chat_input.nicks.append(nick)

    # --- input ---------------------------------------------------------------------------

    async def on_chat_input_submitted(self, event: ChatInput.Submitted) -> None:
        line = event.value
        if not line.strip():
            return
        chat_input = self.chat_input
        command = parse(line, self.user)
        match command.action:
            case Action.SAY | Action.EMOTE:
                kind = Kind.ACTION if command.action is Action.EMOTE else Kind.CHAT
                if not self._can_send(command.text, kind):
                    chat_input.value = line  # a refused line goes back into the input
                    return
                self._send(command.text, kind)
                self.unread = 0
                self._show_status()
            case Action.HELP:
                for item in COMMANDS:
                    self._local(EntryKind.INFO, f"{item.usage:<12} {item.summary}")
                self._local(EntryKind.INFO, KEYS_HELP)
            case Action.JOIN:
                self.join_room(command.text)
            case Action.ROOMS:
                self.show_rooms()
            case Action.CLEAR:
                self.chat_log.clear()
            case Action.SEARCH:
                self._search(command.text)
            case Action.QUIT:
                await self.action_quit()
            case Action.ERROR:
                self._local(EntryKind.ERROR, command.text)
        chat_input.remember(line)

    def _can_send(self, text: str, kind: Kind) -> bool:
        """Refuse, with a local error line, what could never be sent (nothing is sent)."""
        if self.session is None:
            self._local(EntryKind.ERROR, f"not connected to #{self.room} yet: nothing was sent")
            return False
        try:
            new_message(self.room, self.user, text, kind)
        except PravechatError as error:
            self._local(EntryKind.ERROR, str(error))
            return False
        return True

    @work(group="send", exit_on_error=False)
    async def _send(self, text: str, kind: Kind) -> None:
        """Sends in a worker: the screen never waits for Pravega's acknowledgement."""
        session = self.session
        if session is None:
            return
        try:
            await session.send(text, kind)
        except PravechatError as error:
            self._local(EntryKind.ERROR, f"not sent: {error}")

    @work(group="rooms", exit_on_error=False)
    async def show_rooms(self) -> None:
        try:
            rooms = await self._list_rooms()
        except PravechatError as error:
            self._local(EntryKind.ERROR, str(error))
            return
        listing = ", ".join(f"#{room}" for room in rooms) or "none yet"
        self._local(EntryKind.INFO, f"rooms: {listing}")

    def _search(self, term: str) -> None:
        found, total = self.chat_log.search(term)
        if total:
            self._search_status = f"match {found}/{total}  Ctrl+F next, Esc ends"
        else:
            self._search_status = ""
            self._local(EntryKind.ERROR, f"no match for {term!r}" if term else "nothing to find")
        self._show_status()

    def action_search_next(self) -> None:
        """Ctrl+F: the next older match, or start a search in the input line."""
        if self._search_status:
            self._search("")
        else:
            self.chat_input.value = "/search "
            self.chat_input.focus()

    def action_end_search(self) -> None:
        self.chat_log.end_search()
        self._search_status = ""
        self._show_status()

    def action_scroll(self, how: str) -> None:
        getattr(self.chat_log, how)(animate=False)

    async def action_quit(self) -> None:
        """Close the session first: the reader goes offline, saving the position."""
        self.workers.cancel_group(self, "room")
        session, self.session = self.session, None
        if session is not None:
            await session.close()
        self.exit()
