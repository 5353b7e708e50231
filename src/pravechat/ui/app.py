"""``pravechat --user tim``: the full-screen chat.

The app composes the screen, dispatches commands, reads presence and quits. Each followed room
is a pane (``ui/room_pane.py``) that joins it, reads it and tells the app, through messages, what
the status bar, the room list, the bell and Tab need. Nothing here waits on Pravega in a way
that freezes the screen: the binding's calls run in threads that release the GIL.
"""

import asyncio
import contextlib
import gc
import os
import signal
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Protocol

from textual import events, work
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.widgets import Footer

from pravechat.core.commands import COMMANDS, Action, parse
from pravechat.core.direct import parse_members
from pravechat.core.editor import edit_text
from pravechat.core.errors import PravechatError
from pravechat.core.levels import Level, Levels
from pravechat.core.names import STREAMCLI_ROOM
from pravechat.core.notify import Limiter, notification_argv, run_notification
from pravechat.core.paths import private_dir, state_dir
from pravechat.core.presence import (
    HEARTBEAT,
    TIMEOUT,
    TYPING_EVERY,
    Change,
    LineBudget,
    Presence,
    Roster,
    elsewhere,
)
from pravechat.core.protocol import Kind
from pravechat.core.retry import backoff
from pravechat.core.session import ChatSession, Connection
from pravechat.core.settings import Bell
from pravechat.core.signing import fingerprint
from pravechat.core.trust import KeyRing, describe_key
from pravechat.ui.chat_log import ACTIONS_HELP, ChatLog
from pravechat.ui.entries import Entry, EntryKind
from pravechat.ui.messages import (
    Delivered,
    Entered,
    LineRefused,
    LineSubmitted,
    Mentioned,
    MessageChosen,
    NicksSeen,
    PaneChanged,
    PresenceEvent,
    Spoke,
)
from pravechat.ui.room_pane import PENDING_AFTER, Connector, RoomPane
from pravechat.ui.terminal_keys import register_alt_keys
from pravechat.ui.views import PickScreen, message_line
from pravechat.ui.widgets import ChatInput, MemberList, PendingLines, RoomList, StatusBar

PRESENCE_RETRY_MAX = 10.0
PRESENCE_SETTLING = HEARTBEAT + 1.0
"""Seconds after entering a room in which members first seen were there already: everyone
present heartbeats within HEARTBEAT, so only later arrivals are announced as joining."""
KEYS_EVERY = 15.0
"""Seconds between reads of the keys stream (sooner when an unknown name signs)."""
FIRST_KEYS_WAIT = 5.0
"""Seconds the first read of the keys stream may delay the first room."""
INBOX_EVERY = 1.0
"""Seconds between looks at the user's inbox for new direct conversations."""
ANSWER_EVERY = 1.0
"""A room's question "who is here?" is answered at most this often."""
PRESENCE_LINES, PRESENCE_WINDOW = 5, 10.0
"""At most this many join/leave lines per room in a window of seconds; the rest are counted."""
STATUS_EVERY = 0.1
NICKS_KEPT = 10_000
PANELS_MIN_WIDTH = 100
"""Below this many columns the side panels hide (F2 shows them)."""
MEMBERS_MIN_WIDTH = 120

KEYS_HELP = (
    ("Enter", "send; Ctrl+J or Alt+Enter: new line"),
    ("Up / Down", "recall what you sent; Down: the draft"),
    ("Tab", "complete a command, nick or room (again: next)"),
    ("Ctrl+E", "write the message in $EDITOR; saved: sent"),
    ("PgUp / PgDn", "scroll; Ctrl+Home / Ctrl+End: top, end"),
    ("Ctrl+N / P", "next, previous room; Alt+1..9: by number"),
    ("Ctrl+F / Esc", "next match of /find; end it, or a /search"),
    *ACTIONS_HELP,
    ("F2", "show or hide the rooms and members panels"),
    ("Alt+U", "up to the first unread line here"),
    ("Alt+A", "next room with activity, mentions first"),
    ("Ctrl+Q", "quit (or Ctrl+C); your place is saved"),
)
"""What /help lists after the commands: at 80 columns each fits on one line."""
HELP_COLUMN = 15


class PresenceLike(Protocol):
    client: str

    async def enter(self, room: str) -> None: ...

    async def here(self, room: str) -> None: ...

    async def typing(self, room: str) -> None: ...

    async def leave(self, room: str) -> None: ...

    def events(self) -> AsyncIterator[Presence]: ...

    async def close(self) -> None: ...


PresenceOpener = Callable[[], Awaitable[PresenceLike]]
KeySync = Callable[[], Awaitable[object]]
"""Publishes the user's keys and pins those of the scope (core.direct.DirectChats.sync)."""


class DirectLike(Protocol):
    """Direct conversations (core.direct.DirectChats)."""

    members: dict[str, tuple[str, ...]]

    async def start(self, members: tuple[str, ...]) -> str: ...

    async def read_inbox(self) -> list[tuple[str, tuple[str, ...]]]: ...

    async def sync(self) -> None: ...

    def problem(self, room: str) -> str | None: ...


RoomLister = Callable[[], Awaitable[list[str]]]


def write_crash_log(error: BaseException) -> Path | None:
    """Write the traceback to a file of its own under the state directory; None if that
    cannot be written either."""
    path = state_dir() / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    try:
        private_dir(path.parent)
        path.write_text("".join(traceback.format_exception(error)))
    except OSError:
        return None
    return path


ROOMS_LISTED = 50
"""Rooms /rooms names in its line; the rest it counts."""
ROOMS_OFFERED = 10_000
"""Rooms Tab completes at most."""
ELSEWHERE_SAID = 3
"""Other sessions of this user pointed out at most (anyone can forge presence events)."""
QUIT_TIMEOUT = 8.0
"""Seconds quitting waits for the sessions to close (each bounds its own steps): a session
stuck on a lost server is left as a crash would leave it, its redeliveries dropped by id."""


class PravechatApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "pravechat"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [  # noqa: RUF012 (Textual's own style)
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+n", "cycle_room(1)", "Next", priority=True),
        Binding("ctrl+p", "cycle_room(-1)", "Prev room", show=False, priority=True),
        *[
            Binding(f"alt+{n}", f"room_number({n})", f"Room {n}", show=False, priority=True)
            for n in range(1, 10)
        ],
        # Short labels: at 60 columns the footer still shows F2, the key for the panels.
        Binding("pageup", "scroll('page_up')", "Up", priority=True),
        Binding("pagedown", "scroll('page_down')", "Down", priority=True),
        Binding("ctrl+f", "search_next", "Find", priority=True),
        Binding("ctrl+home", "scroll('top')", "Top", show=False, priority=True),
        Binding("ctrl+end", "scroll('bottom')", "Bottom", show=False, priority=True),
        Binding("f2", "toggle_panels", "Panels", priority=True),
        Binding("alt+up", "select_message", "Select", show=False, priority=True),
        Binding("alt+u", "first_unread", "Unread", show=False, priority=True),
        Binding("alt+a", "next_activity", "Activity", show=False, priority=True),
    ]

    def __init__(
        self,
        user: str,
        room: str,
        connect: Connector,
        list_rooms: RoomLister,
        scrollback: int = 10_000,
        time_format: str = "%H:%M",
        highlight: tuple[str, ...] = (),
        levels: Levels | None = None,
        url_opener: list[str] | None = None,
        bell: Bell = Bell.MENTIONS,
        notify_command: list[str] | None = None,
        more_rooms: list[str] | None = None,
        presence: PresenceOpener | None = None,
        presence_timeout: float = TIMEOUT,
        typing: bool = False,
        keyring: KeyRing | None = None,
        sync_keys: KeySync | None = None,
        direct: DirectLike | None = None,
    ) -> None:
        super().__init__()
        self._direct = direct
        self.keyring = keyring or KeyRing()
        """Pinned keys: who wrote what is judged against them (in memory when not given)."""
        self._sync_keys = sync_keys
        self._keys_lock = asyncio.Lock()
        self._keys_read_at = 0.0
        self._keys_asked_at = 0.0
        """When a line from an unknown name last asked for a read (one a second at most)."""
        self._compared: dict[str, str] = {}
        """The key /verify last showed for each name: the one /trust accepts."""
        register_alt_keys()
        self._open_presence = presence
        self.presence: PresenceLike | None = None
        self.roster = Roster(presence_timeout, always=user)
        self._presence_timeout = presence_timeout
        self._typing = typing
        self._typing_sent = 0.0
        self._presence_started = False
        self._quitting = False
        self._listed_rooms: list[str] = []
        self.crash_log: Path | None = None
        """Where the traceback of an unexpected error went."""
        self._answered: dict[str, float] = {}
        """When each room's question "who is here?" was last answered (monotonic)."""
        self._elsewhere: set[str] = set()
        """Other sessions of this user already pointed out, by client id."""
        self._answer_due: set[str] = set()
        """Rooms with an answer waiting for the end of their ANSWER_EVERY."""
        self._presence_lines = LineBudget(PRESENCE_LINES, PRESENCE_WINDOW)
        """Join, leave and vanish lines per room: a flood of fake members is summed up."""
        self._status_due = False
        self._nicks_known: set[str] = set()
        """The nicks Tab completes, as a set (the input keeps them in order)."""
        self._panels: bool | None = None
        """The side panels shown (True) or hidden (False) by F2; None: by the width."""
        self._bell = bell
        self._notify_command = notify_command or []
        self._notify_limit = Limiter()
        self.user = user
        self.room = room
        self._start_rooms = [room, *[r for r in more_rooms or [] if r != room]]
        self._connect = connect
        self._list_rooms = list_rooms
        self._scrollback = scrollback
        self._time_format = time_format
        self._highlight = highlight
        self._url_opener = url_opener or []
        self.levels = levels or Levels(None)
        """How much each conversation may alert (/notify); in memory when not given."""
        self.rooms: dict[str, RoomPane] = {}
        self._unfrozen = 0

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="main"):
            yield RoomList(id="rooms")
            yield Container(id="logs")
            yield MemberList(id="members")
        yield PendingLines(id="pending")
        yield ChatInput(placeholder="Type a message, or /help", id="input")
        yield Footer()

    # --- the current room ----------------------------------------------------------------

    @property
    def current(self) -> RoomPane:
        return self.rooms[self.room]

    @property
    def chat_log(self) -> ChatLog:
        return self.current.chat_log

    @property
    def session(self) -> ChatSession | None:
        return self.current.session

    @property
    def state(self) -> Connection:
        return self.current.state

    @property
    def unread(self) -> int:
        return self.current.unseen

    @property
    def chat_input(self) -> ChatInput:
        return self.query_one(ChatInput)

    async def on_mount(self) -> None:
        # SIGTERM (a closing terminal, `kill`) quits like Ctrl+Q: the position is saved.
        asyncio.get_running_loop().add_signal_handler(
            signal.SIGTERM, lambda: self.run_worker(self.action_quit(), group="quit")
        )
        self.chat_input.focus()
        self._lay_out_panels()
        self.set_interval(PENDING_AFTER / 2, self._show_pending)
        if self._sync_keys is not None:  # pins before any message is judged
            with contextlib.suppress(PravechatError, TimeoutError):  # the key loop says why
                await asyncio.wait_for(self._read_keys(), FIRST_KEYS_WAIT)
        for room in self._start_rooms:
            await self._follow(room)
        await self._switch(self._start_rooms[0])

    def _start_presence(self) -> None:
        """Once, after the first room is shown: its reader and presence's would otherwise
        start together and compete for the CPU, delaying the screen the user waits for."""
        if self._presence_started:
            return
        self._presence_started = True
        self.call_after_refresh(self._freeze)
        if self._sync_keys is not None:
            self.run_worker(self._learn_keys(), group="keys", exit_on_error=False)
        if self._direct is not None:
            self.run_worker(self._watch_inbox(self._direct), group="inbox", exit_on_error=False)
        if self._open_presence is not None:
            self.run_worker(self._read_presence(), group="presence", exit_on_error=False)
            self.set_interval(1.0, self._expire_presence)

    def _show_status(self) -> None:
        if not self.query(StatusBar):  # torn down: a pane's message came after the exit
            return
        pane = self.current
        typing = ""
        if self._typing:
            typists = [u for u in self.roster.typing(self.room, time.monotonic()) if u != self.user]
            typing = f"{', '.join(typists)} typing…" if typists else ""
        elsewhere = [r for r in self.rooms.values() if r is not pane]
        self.query_one(StatusBar).show(
            self.user,
            pane.label,
            pane.state,
            pane.unseen,
            pane.hint or typing,
            below=not pane.chat_log.following,
            elsewhere=(sum(r.unseen for r in elsewhere), sum(r.mentions for r in elsewhere)),
        )
        self.query_one(RoomList).show(
            [(r.label, r.unseen, r.mentions) for r in self.rooms.values()], pane.label
        )
        if pane.members:
            self.query_one(MemberList).show(list(pane.members), self.user, title="members")
        else:
            refused = self.roster.refused.get(self.room, 0)
            self.query_one(MemberList).show(self.roster.members(self.room), self.user, refused)

    # --- layout --------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._panels = None  # F2 chose for the old size: the new one decides again
        self._lay_out_panels(event.size.width)  # self.size is still the old one here

    def _lay_out_panels(self, width: int | None = None) -> None:
        """Side panels by the width, unless F2 said otherwise: messages keep the room."""
        width = self.size.width if width is None else width
        rooms = self._panels if self._panels is not None else width >= PANELS_MIN_WIDTH
        members = self._panels if self._panels is not None else width >= MEMBERS_MIN_WIDTH
        self.query_one(RoomList).display = rooms
        self.query_one(MemberList).display = members
        self.query_one(StatusBar).panels_hidden = not rooms

    def action_toggle_panels(self) -> None:
        shown = self.query_one(RoomList).display
        self._panels = not shown
        self._lay_out_panels()
        self._show_status()

    def _local(self, kind: EntryKind, text: str, room: str | None = None) -> None:
        self.rooms[room or self.room].local(kind, text)

    # --- following rooms -----------------------------------------------------------------

    async def _follow(self, room: str, members: tuple[str, ...] = ()) -> RoomPane:
        """Open a room (or a direct conversation of ``members``) and keep reading it,
        whether or not it is the one shown. Rooms come first, then conversations."""
        pane = RoomPane(room, self.user, self._connect, self._scrollback, self.keyring, members,
                        learn_keys=self._keys_now if self._sync_keys else None,
                        time_format=self._time_format, highlight=self._highlight,
                        levels=self.levels, url_opener=self._url_opener)  # fmt: skip
        self.rooms[room] = pane
        self.rooms = dict(sorted(self.rooms.items(), key=lambda item: bool(item[1].members)))
        await self.query_one("#logs").mount(pane)
        self._offer_rooms()
        return pane

    async def _switch(self, room: str) -> None:
        if self.room in self.rooms and self.current.search_status:
            self.current.end_search()
        if self.room in self.rooms and self.current.hint:
            self.current.cancel_composing()
            if self.chat_log.has_focus or self.current.composing is None:
                self.chat_input.focus()
        if room != self.room and self.room in self.rooms:
            self.current.show(False)
        self.room = room
        self.current.show(True)
        self._show_status()

    async def _leave(self, room: str) -> None:
        pane = self.rooms.pop(room)
        if self.presence is not None and pane.announced:
            with contextlib.suppress(PravechatError):
                await self.presence.leave(room)
        await pane.close()  # its reader goes offline, saving the place
        await pane.remove()
        self._offer_rooms()

    def _offer_rooms(self, listed: list[str] | None = None) -> None:
        """Rooms Tab completes: those followed, and those /rooms listed."""
        self._listed_rooms = listed if listed is not None else self._listed_rooms
        rooms = [room for room, pane in self.rooms.items() if not pane.members]
        self.chat_input.rooms = sorted({*rooms, *self._listed_rooms, STREAMCLI_ROOM})
        self.chat_input.followed = rooms

    def on_entered(self, event: Entered) -> None:
        pane = self.rooms.get(event.room)
        if pane is None:  # left while joining
            return
        self._start_presence()
        if not pane.announced:
            return
        self.roster.update(Presence(user=self.user, room=event.room), time.monotonic())
        if self.presence is not None:
            self.run_worker(self._enter(pane, self.presence), group="announce")

    def on_pane_changed(self, event: PaneChanged) -> None:
        if event.room in self.rooms:  # not one being left
            self._show_status()  # the status widgets re-render only what changed
        if event.room == self.room:
            self._show_pending()

    def on_mentioned(self, event: Mentioned) -> None:
        if event.room in self.rooms:  # not one being left
            self._alert(event.entry)

    def on_spoke(self, event: Spoke) -> None:
        if self._bell is Bell.ALL and event.room in self.rooms and event.room != self.room:
            self.bell()  # something was said in another room

    def on_nicks_seen(self, event: NicksSeen) -> None:
        self._learn_nicks(event.nicks)

    def on_delivered(self, event: Delivered) -> None:
        self._settle(len(event.deliveries))

    def _show_pending(self) -> None:
        """The shown room's outbox, once a line has waited PENDING_AFTER (or at once when
        the room is not connected)."""
        pending = self.query(PendingLines)
        if pending and self.rooms:
            pending.first().show(self.current.pending_lines())

    async def _read_keys(self, within: float = 0.0) -> PravechatError | None:
        """Read the keys stream (publishing the user's keys first if need be), unless it was
        read less than ``within`` seconds ago; the failure, if any. One read at a time."""
        assert self._sync_keys is not None
        async with self._keys_lock:
            if time.monotonic() - self._keys_read_at < within:
                return None
            try:
                await self._sync_keys()
            except PravechatError as error:
                return error
            finally:
                self._keys_read_at = time.monotonic()
        return None

    async def _keys_now(self) -> None:
        """For a line from a name whose key is not known yet: a flood of them costs one read
        a second (the key loop says why a read fails). The key loop's reads do not count: one
        a moment before the line came may have missed its sender's key."""
        if time.monotonic() - self._keys_asked_at < 1.0:
            return
        self._keys_asked_at = time.monotonic()
        await self._read_keys()

    async def _learn_keys(self) -> None:
        """Read the keys stream every KEYS_EVERY seconds, and at once when a name signed
        something before its key was read: pins what is new, says what changed, and shows
        as verified the lines that now are. (The read before the first room, a moment ago,
        counts as the first.)"""
        told = False
        while True:
            error = await self._read_keys(within=1.0)
            told = self._say_once(told, "keys not checked", error) if error else False
            self.current.warn_key_changes()
            for pane in self.rooms.values():
                pane.judge_again()
            waited = 0.0
            while waited == 0.0 or (waited < KEYS_EVERY and not self.keyring.unknown):
                await asyncio.sleep(1.0)  # at most once a second, however many names sign
                waited += 1.0
            self.keyring.unknown.clear()  # asked once: a forger's name stays unverified

    # --- direct conversations --------------------------------------------------------------

    async def _watch_inbox(self, direct: DirectLike) -> None:
        """Follow every conversation of the user's inbox, and each new one as it comes."""
        told = False
        while True:
            try:
                for room, members in await direct.read_inbox():
                    if room not in self.rooms:
                        await self._follow(room, members)
                told = False
            except PravechatError as error:
                told = self._say_once(told, "inbox not read", error)
            await asyncio.sleep(INBOX_EVERY)

    def _say_once(self, told: bool, what: str, error: PravechatError) -> bool:
        """Say a background reader's failure once, briefly, unless the server is away (the
        status bar says so already); whether it has been said."""
        if told or self.state is not Connection.CONNECTED:
            return told
        head, failed, _ = str(error).partition(" failed: ")
        self._local(EntryKind.ERROR, f"{what} (retrying): {head}{' failed' if failed else ''}")
        return True

    @work(group="direct", exit_on_error=False)
    async def _open_direct(self, target: str, text: str | None) -> None:
        """/msg and /query: the conversation with ``target`` (started if new), shown for
        /query; ``text`` sent in it."""
        if self._direct is None:
            self._local(EntryKind.ERROR, "direct messages need a signing key: not available here")
            return
        try:
            members = parse_members(self.user, target)
            room = await self._direct.start(members)
        except PravechatError as error:
            self._local(EntryKind.ERROR, str(error))
            return
        pane = self.rooms.get(room) or await self._follow(room, members)
        if text is not None:
            pane.send_when_joined(text)
            if room != self.room:
                self._local(EntryKind.INFO, f"to {pane.label}: {text}")
        else:
            await self._switch(room)

    # --- presence ------------------------------------------------------------------------

    async def _read_presence(self) -> None:
        """Read presence; when its reader is lost with the server, open it again."""
        assert self._open_presence is not None
        told = False
        pauses = backoff(1.0, PRESENCE_RETRY_MAX)
        while True:
            try:
                self.presence = presence = await self._open_presence()
                for pane in list(self.rooms.values()):
                    if pane.session is not None and not pane.members:
                        await self._enter(pane, presence)
                pauses = backoff(1.0, PRESENCE_RETRY_MAX)  # the next loss starts short again
                if told:
                    self._local(EntryKind.INFO, "presence is back")
                told = False
                async for event in presence.events():
                    self.post_message(PresenceEvent(event))
                problem = "its reader stopped"
            except PravechatError as error:
                problem = str(error)
            if not told:
                self._local(EntryKind.ERROR, f"presence is off ({problem}); retrying")
                told = True
            if self.presence is not None:
                with contextlib.suppress(PravechatError, TimeoutError):
                    await asyncio.wait_for(self.presence.close(), 3.0)
                self.presence = None
            await anext(pauses)

    async def _enter(self, pane: RoomPane, presence: PresenceLike) -> None:
        pane.entered_at = time.monotonic()
        await presence.enter(pane.room)

    def on_presence_event(self, message: PresenceEvent) -> None:
        event, now = message.event, time.monotonic()
        pane = self.rooms.get(event.room)
        if pane is None:
            return  # a room not followed: nothing to show, and nothing to keep
        if pane.members:
            return  # never about a conversation: whoever sent this is probing
        if event.sig is not None and not self._genuine(event):
            return  # forged, or signed by another key than the one pinned for that name
        if event.ask and event.user != self.user and pane.session:
            self._answer(event.room, now)
        if self.presence is not None and elsewhere(event, self.user, self.presence.client):
            self._say_connected_elsewhere(event)
        change = self.roster.update(event, now)
        if event.typing and self._typing:
            self._show_status_soon()  # "… typing" now, not at the next presence tick
        if change is not None:
            if change.joined:
                self._learn_nicks([event.user])  # Tab completes who is here, spoken or not
            self._show_change(change, now, asking=event.ask)

    def _genuine(self, event: Presence) -> bool:
        """A signed presence event is taken when its signature holds and is by the pinned key
        of its user, or by anyone's for a name with no key yet (a newcomer, read before the
        keys stream says who they are: presence says who is here, it proves nothing)."""
        if not event.signature_valid or event.key is None:
            return False
        if self.keyring.pinned(event.user) is None:
            self.keyring.accepts(event.user, event.key)  # asks for the keys stream again
            return True
        return self.keyring.accepts(event.user, event.key)

    def _say_connected_elsewhere(self, event: Presence) -> None:
        """Once per other session of this user (either may have been started second)."""
        other = event.client or "older"
        if event.state == "left" or other in self._elsewhere:
            return
        if len(self._elsewhere) >= ELSEWHERE_SAID:  # forged ids could fill the log
            return
        self._elsewhere.add(other)
        self._local(
            EntryKind.ERROR,
            f"{self.user} is also connected from another session (in #{event.room}): both "
            "read each room through the same reader group, so each may show only part of "
            "the messages; quit one of them",
        )

    def _answer(self, room: str, now: float) -> None:
        """Say we are here, at once or, within ANSWER_EVERY of the last answer, once at the
        end of that second: many questions at once get one answer each second."""
        wait = self._answered.get(room, -ANSWER_EVERY) + ANSWER_EVERY - now
        if wait <= 0:
            self._answered[room] = now
            if self.presence is not None:
                self.run_worker(self.presence.here(room), group="announce")
        elif room not in self._answer_due:
            self._answer_due.add(room)
            self.set_timer(wait, lambda: self._answer_due_now(room))

    def _answer_due_now(self, room: str) -> None:
        self._answer_due.discard(room)
        if room in self.rooms:
            self._answer(room, time.monotonic())

    def _expire_presence(self) -> None:
        now = time.monotonic()
        for change in self.roster.expire(now):
            self._show_change(change, now)
        for room, quiet in self._presence_lines.summaries(now):
            if room in self.rooms:
                self._local(EntryKind.INFO, f"{quiet} more joined or left: see the member list",
                            room)  # fmt: skip
        if self._typing:
            self._show_status()  # "typing…" fades

    def on_text_area_changed(self, event: ChatInput.Changed) -> None:
        """With the typing indicator on, say so now and then while there is text."""
        now = time.monotonic()
        text = event.text_area.text
        if (
            self._typing
            and self.presence is not None
            and self.current.announced
            and text.strip()
            and not text.startswith("/")
            and now - self._typing_sent >= TYPING_EVERY
        ):
            self._typing_sent = now
            self.run_worker(self.presence.typing(self.room), group="announce")

    def _show_change(self, change: Change, now: float, asking: bool = False) -> None:
        """``asking``: the change came with a question "who is here?", which only a user who
        just entered asks."""
        pane = self.rooms.get(change.room)
        was_there = pane is not None and not asking and self._was_there(pane, change, now)
        if pane is not None and change.user != self.user and not was_there:
            if change.joined:
                text = f"{change.user} joined"
            elif change.timed_out:
                text = f"{change.user} vanished (no heartbeat for {self._presence_timeout:.0f} s)"
            else:
                text = f"{change.user} left"
            if self._presence_lines.allow(change.room, now):
                self._local(EntryKind.INFO, text, change.room)
        self._show_status_soon()

    def _show_status_soon(self) -> None:
        """Once within STATUS_EVERY however many presence events arrive: redrawing the
        member list per event made a flood of them cost O(members) each."""
        if not self._status_due:
            self._status_due = True
            self.set_timer(STATUS_EVERY, self._show_status_now)

    def _show_status_now(self) -> None:
        self._status_due = False
        self._show_status()

    @staticmethod
    def _was_there(pane: RoomPane, change: Change, now: float) -> bool:
        """A member first seen by a heartbeat just after the user entered was there before:
        the member list shows them, and nobody "joined"."""
        settling = pane.entered_at is None or now - pane.entered_at < PRESENCE_SETTLING
        return change.joined and settling

    async def action_room_number(self, number: int) -> None:
        names = list(self.rooms)
        if number <= len(names):
            await self._switch(names[number - 1])

    def _alert(self, entry: Entry) -> None:
        """Someone called the user: ring the bell and run the notification command, if set."""
        if self._bell is not Bell.OFF:
            self.bell()
        message = entry.message
        if (
            self._notify_command
            and message is not None
            and self._notify_limit.allow(time.monotonic())
        ):
            fields = {"sender": message.sender, "room": message.room, "text": message.text}
            argv = notification_argv(self._notify_command, fields)
            self.run_worker(run_notification(argv), group="notify", exit_on_error=False)

    def _settle(self, added: int) -> None:
        """Move what the scrollback keeps out of the garbage collector's way.

        A full collection walks every object: with 100,000 messages kept, each took 50-220 ms
        (measured) and froze typing. Kept messages live long and form no cycles, so they are
        frozen (gc.freeze) once enough have arrived; refcounting still frees them on eviction.
        Frozen objects that later become cyclic garbage are never freed: freezing as is
        leaked 0.9 objects a message, 100 MB over a 1,000,000-message catch-up (measured),
        mostly rendered strips, which hold caches in cycles. So the logs drop their rendered
        strips (only the visible ones come back) and a collection runs first; it walks only
        what arrived since the last freeze.
        """
        self._unfrozen += added
        if self._unfrozen >= 5_000:
            self._freeze()

    def _freeze(self) -> None:
        """Also once the first room is on screen: what starting made (modules, styles, the
        first history) lives as long as the app, and each full collection walked it, 25-70
        ms while lines arrived (measured)."""
        for pane in self.rooms.values():
            pane.chat_log.forget_rendered()
        gc.collect()
        gc.freeze()
        self._unfrozen = 0

    def _learn_nicks(self, nicks: Iterable[str]) -> None:
        known = self._nicks_known
        new = [nick for nick in dict.fromkeys(nicks) if nick not in known]
        if not new:  # the common case: no DOM query (it walks every room's log)
            return
        inputs = self.query(ChatInput)
        if not inputs:  # the screen is being torn down while a last batch arrives
            return
        chat_input = inputs.first()
        for nick in new:
            if nick not in known:
                known.add(nick)
                chat_input.nicks.append(nick)
        if len(known) > NICKS_KEPT:  # fake names by the thousand: forget the oldest half
            del chat_input.nicks[: NICKS_KEPT // 2]
            self._nicks_known = set(chat_input.nicks)

    # --- input ---------------------------------------------------------------------------

    async def on_line_submitted(self, event: LineSubmitted) -> None:
        line = event.value
        if not line.strip():
            return
        chat_input = self.chat_input
        command = parse(line, self.user)
        searching = command.action is Action.SEARCH or (
            command.action is Action.FIND and bool(command.text or self.current.search_status)
        )
        if not searching:
            self.chat_log.follow()  # what you sent, or the answer to it, is what you look at
        match command.action:
            case Action.SAY | Action.EMOTE:
                kind = Kind.ACTION if command.action is Action.EMOTE else Kind.CHAT
                problem = self._direct.problem(self.room) if self._direct else None
                if self.current.members and problem is not None:
                    self._local(EntryKind.ERROR, f"not sent: {problem}")
                    chat_input.value = line
                    return
                if not self.current.submit(command.text, kind, command.keyword):
                    chat_input.value = line  # a refused line goes back into the input
                    return
                self.chat_log.follow()  # your own line is where you look next
                self._show_status()
            case Action.HELP:
                self._local(EntryKind.INFO, "commands:")
                for item in COMMANDS:
                    self._local(EntryKind.INFO, f"{item.usage:<{HELP_COLUMN}}{item.summary}")
                self._local(EntryKind.INFO, "keys:")
                for keys, what in KEYS_HELP:
                    self._local(EntryKind.INFO, f"{keys:<{HELP_COLUMN}}{what}")
            case Action.JOIN:
                if command.text not in self.rooms:
                    await self._follow(command.text)
                await self._switch(command.text)
            case Action.LEAVE if command.target:
                labelled = [r for r, p in self.rooms.items() if p.label == command.target]
                await self._leave_room(labelled[0] if labelled else command.target)
            case Action.LEAVE:
                await self._leave_room(command.text or self.room)
            case Action.ROOMS:
                self.show_rooms()
            case Action.WHO if self.current.streamcli:
                self._local(EntryKind.INFO, "StreamCli has no presence: who reads "
                            f"{self.current.label} cannot be known")  # fmt: skip
            case Action.WHO:
                here = self.current.members or self.roster.members(self.room)
                members = ", ".join(here) or "nobody seen yet"
                self._local(EntryKind.INFO, f"in {self.current.label}: {members}")
            case Action.MSG | Action.QUERY:
                text = command.text if command.action is Action.MSG else None
                self._open_direct(command.target, text)
            case Action.CLEAR:
                self.chat_log.clear()
            case Action.SEARCH:
                self.current.search_room(command.text)
            case Action.FIND if searching:
                self.current.find(command.text)
            case Action.FIND:
                self._local(EntryKind.ERROR, "usage: /find TEXT (then Ctrl+F: the next match)")
            case Action.VERIFY if command.text:
                self._local(EntryKind.INFO, describe_key(self.keyring, command.text))
                if (shown := self.keyring.latest.get(command.text)) is not None:
                    self._compared[command.text] = shown
            case Action.VERIFY:
                own = self.keyring.pinned(self.user)
                told = fingerprint(own) if own else "none yet"
                self._local(EntryKind.INFO, f"your key: {told} (`pravechat keys show` prints it)")
            case Action.TRUST:
                self._trust(command.text)
            case Action.NOTIFY if command.text:
                self.current.set_level(Level(command.text))
            case Action.NOTIFY:
                self._local(EntryKind.INFO, f"{self.current.label} is at /notify "
                            f"{self.current.level} (all, mentions or none)")  # fmt: skip
            case Action.MENTIONS:
                self._list_mentions()
            case Action.OPEN:
                self.current.open_last_link()
            case Action.QUIT:
                await self.action_quit()
            case Action.ERROR:
                self._local(EntryKind.ERROR, command.text)
        chat_input.remember(line)

    def _trust(self, nick: str) -> None:
        """Pin the key /verify last showed for ``nick`` (not whatever came since: someone
        could slip another one in between)."""
        key = self._compared.get(nick)
        if nick == self.user:
            self._local(EntryKind.ERROR, "your own key is yours: `pravechat keys import` moves it")
        elif key is None:
            self._local(EntryKind.ERROR, f"first /verify {nick}, and compare what it shows")
        elif key == self.keyring.pinned(nick):
            self._local(EntryKind.INFO, f"{nick}'s key {fingerprint(key)} is already trusted")
        else:
            self.keyring.trust(nick, key)
            for pane in self.rooms.values():
                pane.judge_again()
            if self._direct is not None:
                self.run_worker(self._direct.sync(), group="keys-now", exit_on_error=False)
            self._local(
                EntryKind.INFO,
                f"{nick}'s key is now {fingerprint(key)}: their messages show as verified",
            )

    async def _leave_room(self, room: str) -> None:
        if room not in self.rooms:
            shown = room if room.startswith("@") else f"#{room}"
            self._local(EntryKind.ERROR, f"you are not in {shown}: /rooms lists the rooms")
        elif len(self.rooms) == 1:
            self._local(EntryKind.ERROR, "this is your only room: /join another first")
        else:
            if room == self.room:
                await self.action_cycle_room(1)
            label = self.rooms[room].label
            await self._leave(room)
            self._local(EntryKind.INFO, f"you left {label}")
            self._show_status()

    def on_line_refused(self, event: LineRefused) -> None:
        self.chat_log.follow()
        self._local(EntryKind.ERROR, event.reason)

    @work(group="rooms", exit_on_error=False)
    async def show_rooms(self) -> None:
        try:
            rooms = await self._list_rooms()
        except PravechatError as error:
            self._local(EntryKind.ERROR, str(error))
            return
        # Anyone may create streams: a scope of thousands of rooms is one line, and Tab.
        self._offer_rooms(rooms[:ROOMS_OFFERED])
        listing = ", ".join(f"#{room}" for room in rooms[:ROOMS_LISTED]) or "none yet"
        if len(rooms) > ROOMS_LISTED:
            listing += f" and {len(rooms) - ROOMS_LISTED:,} more (Tab after /join completes them)"
        self._local(EntryKind.INFO, f"rooms: {listing}")

    def action_search_next(self) -> None:
        """Ctrl+F: the next older match, or start a /find in the input line."""
        if self.current.search_status and not self.current.searching:
            self.current.find("")
        else:
            self.chat_input.value = "/find "
            self.chat_input.focus()

    def action_end_search(self) -> None:
        """Esc in the input: end a search, or stop replying, reacting or editing."""
        if self.current.composing is not None and self.current.composing.what == "edit":
            self.chat_input.value = ""  # the text being edited was never sent
        self.current.cancel_composing()
        self.current.end_search()

    def action_first_unread(self) -> None:
        """Alt+U: up to where the unread lines of this conversation start."""
        if not self.chat_log.jump_to_unread():
            self._local(EntryKind.INFO, f"no unread line in {self.current.label}")
        self._show_status()

    async def action_next_activity(self) -> None:
        """Alt+A (as in WeeChat): the next conversation with unseen lines, those that mention
        the user first; muted ones are passed by."""
        names = list(self.rooms)
        start = names.index(self.room)
        after = [self.rooms[names[(start + n) % len(names)]] for n in range(1, len(names))]
        awake = [pane for pane in after if pane.level is not Level.NONE]
        target = next((p for p in awake if p.mentions), None) or next(
            (p for p in awake if p.unseen), None
        )
        if target is None:
            self._local(EntryKind.INFO, "no activity elsewhere")
            return
        await self._switch(target.room)

    def _list_mentions(self) -> None:
        """/mentions: every loaded mention of the user, newest first; Enter goes to one."""
        found = [
            (entry.message, pane)
            for pane in self.rooms.values()
            for entry in pane.chat_log.mentions_of_user()
            if entry.message is not None
        ]
        if not found:
            self._local(EntryKind.INFO, "no mention of you in what is loaded")
            return
        found.sort(key=lambda item: item[0].sent_at, reverse=True)
        items = [(message_line(message, pane.label), (pane.room, message.id))
                 for message, pane in found]  # fmt: skip
        title = f"{len(found)} mentions of you, newest first: Enter goes there, Esc closes"
        self.push_screen(PickScreen(title, items), self._go_to_mention)

    def _go_to_mention(self, picked: tuple[str, str] | None) -> None:
        if picked is None or picked[0] not in self.rooms:
            return
        room, message_id = picked

        async def go() -> None:
            await self._switch(room)
            self.current.chat_log.start_selecting(message_id)

        self.run_worker(go(), group="mention")

    def action_compose_in_editor(self) -> None:
        """Ctrl+E: write the message in $VISUAL or $EDITOR; what was saved is sent as if
        typed (a reply, an edit... as the input would send it)."""
        chat_input = self.chat_input
        try:
            with self.suspend():
                text = edit_text(chat_input.value)
        except SuspendNotSupported:
            self._local(EntryKind.ERROR, "no terminal to hand to an editor here")
            return
        except PravechatError as error:
            self._local(EntryKind.ERROR, str(error))
            return
        chat_input.value = ""
        if text.strip():
            self.post_message(LineSubmitted(text))
        else:
            self._local(EntryKind.INFO, "the editor saved nothing: nothing was sent")

    def action_select_message(self) -> None:
        """Alt+Up: select the newest message of the conversation, to act on it."""
        if not self.chat_log.start_selecting():
            self._local(EntryKind.ERROR, "no message to select here yet")

    def on_message_chosen(self, event: MessageChosen) -> None:
        """After the pane acted on a selected message: typing goes on in the input when a
        line is expected (a reply, a reaction, an edit) or selecting ended."""
        pane = self.current
        composing = pane.composing
        if composing is not None or event.what == "unselect":
            self.chat_input.focus()
        if composing is not None and composing.what == "edit":
            self.chat_input.value = pane.annotations.look(composing.message).text
        if event.typed:
            self.chat_input.insert(event.typed)
        self._show_status()

    def action_scroll(self, how: str) -> None:
        self.current.scroll(how)

    async def action_cycle_room(self, step: int) -> None:
        names = list(self.rooms)
        await self._switch(names[(names.index(self.room) + step) % len(names)])

    def _handle_exception(self, error: Exception) -> None:
        """A bug: the traceback goes to a file, not over the user's terminal; the command
        line then says where it is and exits non-zero (ui/run.py)."""
        self.crash_log = write_crash_log(error)
        for pane in self.rooms.values():  # lines still waiting are sent on the next visit
            with contextlib.suppress(Exception):
                pane.keep_unsent()
        super()._handle_exception(error)
        if self.crash_log is not None:
            self._exit_renderables.clear()  # Textual would print the traceback at exit

    async def action_quit(self) -> None:
        """Close every session at once: queued lines are sent or saved, and each reader goes
        offline, saving the position (its pending read is interrupted: tens of ms)."""
        if self._quitting:
            return
        self._quitting = True
        self.query_one(StatusBar).show_quitting()
        self.workers.cancel_group(self, "presence")
        closing = [pane.close() for pane in self.rooms.values()]
        if self.presence is not None:
            closing.append(self.presence.close())
        gathered = asyncio.gather(*closing, return_exceptions=True)
        try:
            results = await asyncio.wait_for(gathered, QUIT_TIMEOUT)
        except TimeoutError:  # the server is away: Pravega keeps the last saved positions
            results = []
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, PravechatError):
                raise result
        self.exit()
