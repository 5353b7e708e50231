"""A followed conversation on screen: its log, the worker that reads it, and what the user has
not seen or not had acknowledged yet.

A pane joins its room, shows the history, turns its session's delivery batches into lines, says
what its connection does, loads older messages on request and echoes the user's own lines out
of the pending list once they are read back. It tells the app what the app needs through
messages (``ui/messages.py``) and never calls into it. A new per-conversation feature (muting,
a direct conversation's header) belongs here.
"""

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.widget import Widget

from pravechat.core.annotations import Annotations, excerpt
from pravechat.core.blocking import off_loop
from pravechat.core.direct import label
from pravechat.core.errors import PravechatError
from pravechat.core.levels import Level, Levels
from pravechat.core.links import open_url, opener_argv, urls
from pravechat.core.names import STREAMCLI_ROOM
from pravechat.core.protocol import ANNOTATIONS, ChatMessage, Kind
from pravechat.core.search import Found, Progress, Searcher
from pravechat.core.session import ChatSession, Connection, SessionStatus
from pravechat.core.streamcli import NOT_HERE
from pravechat.core.trust import KeyRing
from pravechat.ui.chat_log import ChatLog
from pravechat.ui.entries import Entry, EntryKind, message_entry
from pravechat.ui.messages import (
    ConnectionChanged,
    Delivered,
    Entered,
    Joined,
    Mentioned,
    MessageChosen,
    NicksSeen,
    PaneChanged,
    Spoke,
    UnseenChanged,
    WantsOlder,
)
from pravechat.ui.views import MessagesScreen, results_screen

Connector = Callable[[str], Awaitable[ChatSession]]


@dataclass(frozen=True)
class Composing:
    """What the next line sent does to a selected message: ``reply``, ``react`` or ``edit``."""

    what: str
    message: ChatMessage

    def hint(self) -> str:
        about = f"{self.message.sender}: {excerpt(self.message.text, 30)}"
        match self.what:
            case "reply":
                return f"reply to {about}  (Esc: cancel)"
            case "react":
                return f"react to {about}: an emoji or a word  (Esc: cancel)"
            case _:
                return "edit your message, Enter saves  (Esc: cancel)"


PENDING_AFTER = 0.4
"""Seconds a line waits for Pravega before it is shown as pending: sooner would flash."""
OLDER_PAGE = 200
"""Older messages read per request when scrolling up past the first loaded."""


class RoomPane(Widget):
    """One room: joined when mounted, read until removed (its worker goes with it)."""

    DEFAULT_CSS = """
    RoomPane {
        height: 1fr;
    }
    """

    def __init__(
        self,
        room: str,
        user: str,
        connect: Connector,
        scrollback: int,
        keyring: KeyRing,
        members: tuple[str, ...] = (),
        learn_keys: Callable[[], Awaitable[None]] | None = None,
        time_format: str = "%H:%M",
        highlight: tuple[str, ...] = (),
        levels: Levels | None = None,
        url_opener: list[str] | None = None,
    ) -> None:
        super().__init__(id=f"pane-{room}")
        self.room = room
        self.user = user
        self._keyring = keyring
        self._learn_keys = learn_keys
        """Reads the keys stream again (rate-limited by the app): a line from a name that has
        just published its key is judged once it is known, not marked unverified."""
        self.members = members
        """A direct conversation's members (the user included); empty for a room."""
        self.label = label(members, user) if members else f"#{room}"
        """How the sidebar, the status bar and this log name it."""
        self.streamcli = room == STREAMCLI_ROOM
        """The conversation with StreamCli users: plain, unsigned lines (core.streamcli)."""
        self._highlight = highlight
        self._levels = levels or Levels(None)
        self._url_opener = url_opener or []
        self._first_lines: list[str] = []
        """Lines to send once joined (/msg to a conversation not open yet)."""
        self._connect = connect
        self.chat_log = ChatLog(scrollback, time_format)
        self.session: ChatSession | None = None
        """Once joined (the history shown)."""
        self._opened: ChatSession | None = None
        """As soon as it is open: closing the pane closes it, joined or not."""
        self.state = Connection.JOINING
        self.entered_at: float | None = None
        """When presence announced the user here (monotonic)."""
        self._shown = asyncio.Event()
        """Set when the last batch posted has been put on the log."""
        self._submitted_at: dict[str, float] = {}
        """When each line still in the outbox was submitted (monotonic)."""
        self.search_status = ""
        """Where /search stands (the status bar shows it); empty: no search."""
        self.annotations = Annotations(user)
        """Reactions, edits, deletions and replies read here."""
        self._room_search: Searcher | None = None
        """A /search of the whole conversation under way."""
        self.composing: Composing | None = None
        """The selected message the next line replies to, reacts to or edits."""
        self._delete_asked: str | None = None
        """The message whose deletion was asked once (d): a second d deletes it."""
        self._echoed: set[str] = set()
        """Own lines already read back from the room while their acknowledgement is on its
        way: the log shows them, so the pending list does not."""
        self.show(False)

    def compose(self) -> ComposeResult:
        yield self.chat_log

    def on_mount(self) -> None:
        self.run_worker(self._read(), exclusive=True, exit_on_error=False)

    @property
    def announced(self) -> bool:
        """Presence says who is here: not in a private conversation (it would tell who talks
        with whom), nor with StreamCli users (they cannot see it; it would mislead)."""
        return not self.members and not self.streamcli

    @property
    def unseen(self) -> int:
        """Messages from others not on screen yet: unread, new below, or in a hidden room."""
        return self.chat_log.unseen

    @property
    def mentions(self) -> int:
        return self.chat_log.mentions

    def show(self, shown: bool) -> None:
        """Show this pane (the one the user looks at) or hide it; a hidden log counts what
        arrives as unseen."""
        self.display = shown
        self.chat_log.display = shown
        if shown:
            self.chat_log.reveal()

    def local(self, kind: EntryKind, text: str) -> None:
        """A line of our own in this room's log (help, errors, notices): never sent."""
        self.chat_log.add([Entry(kind, text)])

    @property
    def level(self) -> Level:
        """How much this conversation may alert (/notify, /mute)."""
        return self._levels.of(self.room)

    def set_level(self, level: Level) -> None:
        self._levels.set(self.room, level)
        told = {
            Level.ALL: "every line from someone else alerts you",
            Level.MENTIONS: "mentions of you alert you",
            Level.NONE: "muted: nothing alerts you (mentions are still counted)",
        }[level]
        self.local(EntryKind.INFO, f"{self.label}: {told} (/notify all, mentions or none)")
        self.post_message(PaneChanged(self.room))

    @property
    def hint(self) -> str:
        """What the status bar says of this pane's mode: composing, or a search."""
        if self._delete_asked is not None:
            return "d again deletes the selected message  (Esc: keep it)"
        return self.composing.hint() if self.composing is not None else self.search_status

    def _entry(
        self,
        message: ChatMessage,
        live: bool = True,
        batch: dict[str, ChatMessage] | None = None,
        notes: Annotations | None = None,
    ) -> Entry:
        """``batch``: messages about to be shown with it, which a reply may answer; ``notes``:
        the reactions and edits that apply (this conversation's by default)."""
        verified = self._verified(message, live)
        notes = notes or self.annotations
        return message_entry(
            message, self.user, verified, private=bool(self.members),
            look=notes.look(message), reply=self._quote(message, batch or {}, notes),
            highlight=self._highlight,
        )  # fmt: skip

    def _verified(self, message: ChatMessage, live: bool) -> bool:
        """StreamCli signs nothing: its lines are not marked, one notice says so instead."""
        return self.streamcli or self._keyring.judge(message, note=live).verified

    def _remade(self, message: ChatMessage) -> Entry:
        return self._entry(message, live=False)

    def _quote(
        self, message: ChatMessage, batch: dict[str, ChatMessage], notes: Annotations
    ) -> str:
        """What a reply shows of the message it answers."""
        if message.reply_to is None:
            return ""
        answered = batch.get(message.reply_to)
        if answered is None:
            entry = self.chat_log.message_entry(message.reply_to)
            answered = entry.message if entry is not None else None
        return notes.answered(message, answered)

    def _take_in(
        self, messages: Iterable[ChatMessage], live: bool, older: bool = False
    ) -> tuple[list[ChatMessage], set[str]]:
        """Gather the reactions, edits, deletions and replies among ``messages``; returns the
        lines to show and the ids of shown messages whose look changed."""
        lines: list[ChatMessage] = []
        changed: set[str] = set()
        messages = list(messages)
        batch = {message.id: message for message in messages}
        for message in messages:
            if message.kind in ANNOTATIONS or message.reply_to is not None:
                verified = self._keyring.judge(message, note=live).verified
                about = message.target or ""
                loaded = self.chat_log.message_entry(about)
                author = batch.get(about) or (loaded.message if loaded is not None else None)
                target = self.annotations.add(message, verified, author, older)
                if target is not None:
                    changed.add(target)
                    if message.kind in (Kind.EDIT, Kind.DELETE):  # replies quote it
                        changed.update(self.annotations.replies(target))
            if message.kind not in ANNOTATIONS:
                lines.append(message)
        return lines, changed

    def _signer_unknown(self, message: ChatMessage) -> bool:
        return message.signature_valid and self._keyring.pinned(message.sender) is None

    def judge_again(self) -> None:
        """Lines marked unverified whose sender's key is now pinned show as verified."""
        self.chat_log.update_entries(
            lambda entry: (
                entry.message is not None and entry.unverified and entry.message.key is not None
            ),
            self._entry,
        )

    def warn_key_changes(self) -> None:
        """Say once, here, that a name shows another key than the one pinned for it."""
        for change in self._keyring.take_changes():
            self.local(EntryKind.ERROR, change.warning())

    # --- reading -------------------------------------------------------------------------

    async def _read(self) -> None:
        room = self.room
        self.post_message(ConnectionChanged(room, Connection.JOINING))
        try:
            session = await self._connect(room)
        except PravechatError as error:
            self.post_message(ConnectionChanged(room, Connection.NOT_CONNECTED, str(error)))
            return

        def on_status(status: SessionStatus) -> None:
            self.post_message(ConnectionChanged(room, status.state, notice=status.notice))

        session.on_status = on_status
        self._opened = session
        self.post_message(Joined(room, session))
        try:
            async for batch in session.batches():
                if self._learn_keys is not None and any(
                    self._signer_unknown(delivery.message) for delivery in batch
                ):
                    await self._learn_keys()
                # One batch in the queue at a time: a catch-up of 100,000 messages queued
                # whole would hold key presses back for a second (measured); waiting lets keys
                # in between batches, which grow while the screen is busy.
                self._shown.clear()
                self.post_message(Delivered(room, batch))
                await self._shown.wait()
        except PravechatError as error:
            self.post_message(ConnectionChanged(room, Connection.DISCONNECTED, str(error)))

    def on_joined(self, event: Joined) -> None:
        session = self.session = event.session
        self.state = Connection.CONNECTED
        history, _ = self._take_in(session.history, live=False)
        log = self.chat_log
        batch = {message.id: message for message in history}
        log.add((self._entry(message, live=False, batch=batch) for message in history), seen=True)
        log.older = session.has_older
        if self.members:
            self.local(EntryKind.INFO, f"{self.label}: a private conversation, encrypted end to "
                       f"end, with {', '.join(self.members)}")  # fmt: skip
        elif self.streamcli:
            self.local(EntryKind.INFO, f"you are in StreamCli's room as {self.user}: plain "
                       "lines, nothing signed (anyone can write under any name), shown in the "
                       "order they arrive")  # fmt: skip
        else:
            self.local(EntryKind.INFO, f"you are in #{self.room} as {self.user}")
        for notice in session.notices:
            self.local(EntryKind.ERROR, notice)
        if session.missed:
            self.local(
                EntryKind.INFO,
                f"you missed about {session.missed:,} more messages before the unread ones "
                "below: scroll up to load them",
            )
        self.warn_key_changes()
        self.post_message(NicksSeen([message.sender for message in history]))
        self.post_message(Entered(self.room))
        self.post_message(PaneChanged(self.room))
        for line in self._first_lines:
            self.submit(line, Kind.CHAT)
        self._first_lines.clear()

    def on_delivered(self, event: Delivered) -> None:
        self._shown.set()
        entries: list[Entry] = []
        changed: set[str] = set()
        spoken = False  # by someone else, just now (not a catch-up of what was missed)
        for unread, deliveries in itertools.groupby(event.deliveries, lambda d: d.unread):
            lines, touched = self._take_in((delivery.message for delivery in deliveries), True)
            changed |= touched
            batch = {message.id: message for message in lines}
            added = [self._entry(message, batch=batch) for message in lines]
            self.warn_key_changes()  # before the lines it is about
            self.chat_log.add(added, unread=unread)
            entries += added
            spoken = spoken or (not unread and not all(entry.own for entry in added))
        if changed:
            self.chat_log.replace_messages(changed, self._remade)
        called = [entry for entry in entries if entry.mention]
        said = [entry for entry in entries if not entry.own and entry.message is not None]
        match self.level:
            case Level.NONE:
                pass  # counted, never alerting
            case Level.ALL if spoken and said:
                self.post_message(Mentioned(self.room, said[-1]))
            case _ if called:
                self.post_message(Mentioned(self.room, called[-1]))
            case _ if spoken:
                self.post_message(Spoke(self.room))
        self.post_message(NicksSeen([d.message.sender for d in event.deliveries]))
        own = [d.message.id for d in event.deliveries if d.message.sender == self.user]
        if own and self.session is not None:  # those still waiting for their acknowledgement
            waiting = {message.id for message in self.session.pending}
            self._echoed.update(id_ for id_ in own if id_ in waiting)
            self.post_message(PaneChanged(self.room))  # the pending list shrinks

    def on_unseen_changed(self, event: UnseenChanged) -> None:
        """The unseen counts changed. (The log's own message stops here: posted while this
        pane handles a delivery, Textual does not bubble it past its sender.)"""
        event.stop()
        self.post_message(PaneChanged(self.room))

    def on_connection_changed(self, event: ConnectionChanged) -> None:
        self.state = event.state
        if self.session is not None and not self.session.has_older:
            self.chat_log.older = False  # the room was created anew: nothing older is its own
        if event.error:
            self.local(EntryKind.ERROR, event.error)
        if event.notice:
            self.local(EntryKind.ERROR if event.state.warning else EntryKind.INFO, event.notice)
        self.post_message(PaneChanged(self.room))

    # --- moving around ---------------------------------------------------------------------

    def scroll(self, how: str) -> None:
        """PgUp, PgDn, Ctrl+Home, Ctrl+End; at the top, older messages are asked for."""
        log = self.chat_log
        match how:
            case "page_up":
                log.scroll_page_up(animate=False)
            case "page_down":
                log.scroll_page_down(animate=False)
            case "top":
                log.scroll_home(animate=False, immediate=True)
            case _:
                log.follow()
        if how in ("page_up", "top") and log.scroll_y <= 0:
            log.want_older()  # already at the top, so no scroll said so

    def find(self, term: str) -> None:
        """/find TERM: the newest match in the loaded lines; an empty term: the next older
        one."""
        found, total = self.chat_log.search(term)
        if total:
            self.search_status = f"match {found}/{total}  Ctrl+F next, Esc ends"
        else:
            self.search_status = ""
            self.local(EntryKind.ERROR, f"no match for {term!r}" if term else "nothing to find")
        self.post_message(PaneChanged(self.room))

    def end_search(self) -> None:
        """Esc: end a /find, or stop a /search under way."""
        if self._room_search is not None:
            self._room_search.cancel()
        self.chat_log.end_search()
        self.search_status = ""
        self.post_message(PaneChanged(self.room))

    @property
    def searching(self) -> bool:
        """A /search of the whole conversation is under way (not a /find)."""
        return self._room_search is not None

    def search_room(self, term: str) -> None:
        """/search TEXT: the whole conversation as Pravega holds it, not only what is loaded;
        the results in a list, each opened around its message."""
        if self.session is None:
            self.local(EntryKind.ERROR, f"not connected to {self.label} yet: nothing searched")
            return
        if self._room_search is not None:
            self._room_search.cancel()
        searcher = self._room_search = self.session.searcher(term)
        self.search_status = f"searching {self.label} for {term!r}…  Esc stops"
        self.post_message(PaneChanged(self.room))
        self.run_worker(self._search_room(searcher, term), group="search", exit_on_error=False)

    async def _search_room(self, searcher: Searcher, term: str) -> None:
        began = time.monotonic()
        last = Progress(0, 0, 0, 0)

        def progress(now: Progress) -> None:  # in the searching thread
            nonlocal last
            last = now
            self.app.call_from_thread(self._searching, term, now)

        try:
            hits = await off_loop(searcher.search_blocking, progress)
        except PravechatError as error:
            self.local(EntryKind.ERROR, f"searching {self.label} failed: {error}")
            return
        finally:
            if self._room_search is searcher:
                self._room_search, self.search_status = None, ""
                self.post_message(PaneChanged(self.room))
        if searcher.cancelled:
            self.local(EntryKind.INFO, f"search of {self.label} for {term!r} stopped")
            return
        searched = f"{last.events:,} events in {time.monotonic() - began:.1f} s"
        if not hits:
            self.local(EntryKind.ERROR, f"no message of {self.label} holds {term!r} "
                       f"({searched})")  # fmt: skip
            return
        counted = "1 message holds" if len(hits) == 1 else f"{len(hits):,} messages hold"
        self.local(EntryKind.INFO, f"{counted} {term!r} in {self.label} ({searched})")
        title = f"{len(hits):,} found in {self.label} for {term!r}: Enter opens one, Esc closes"
        chosen = await self.app.push_screen_wait(results_screen(title, hits))
        if chosen is not None:
            await self._open_around(searcher, chosen)

    def _searching(self, term: str, now: Progress) -> None:
        if self._room_search is not None and now.total:
            percent = 100 * now.done // now.total
            self.search_status = (f"searching {self.label} for {term!r}: {percent}%, "
                                  f"{now.found:,} found  Esc stops")  # fmt: skip
            self.post_message(PaneChanged(self.room))

    async def _open_around(self, searcher: Searcher, hit: Found) -> None:
        """The messages before and after a result, read from Pravega, the result selected."""
        try:
            before, after = await off_loop(searcher.around_blocking, hit)
        except PravechatError as error:
            self.local(EntryKind.ERROR, f"reading around the result failed: {error}")
            return
        notes = Annotations(self.user)
        lines: list[ChatMessage] = []
        for message in [*before, *after]:
            notes.add(message, self._keyring.judge(message, note=False).verified)
            if message.kind not in ANNOTATIONS:
                lines.append(message)
        batch = {message.id: message for message in lines}
        entries = [self._entry(message, False, batch, notes) for message in lines]
        when = hit.message.sent_at.astimezone().strftime("%Y-%m-%d %H:%M")
        title = f"{self.label} around {hit.message.sender}'s message of {when}: Esc closes"
        self.app.push_screen(MessagesScreen(title, entries, self._choose, hit.message.id))

    # --- older messages ------------------------------------------------------------------

    def on_wants_older(self, event: WantsOlder) -> None:
        event.stop()
        self.run_worker(self._load_older(), group="older")

    async def _load_older(self) -> None:
        """Read the page of messages before the oldest shown, and put it above them."""
        log, session = self.chat_log, self.session
        if session is None:
            log.older_failed()
            return
        try:
            messages = await session.load_older(OLDER_PAGE)
        except PravechatError as error:
            log.older_failed()
            self.notify(f"older messages of {self.label}: {error}", severity="error",
                        markup=False)  # fmt: skip
            return
        lines, changed = self._take_in(messages, live=False, older=True)
        batch = {message.id: message for message in lines}
        entries = [self._entry(message, live=False, batch=batch) for message in lines]
        self.warn_key_changes()
        if not session.has_older:
            entries.insert(0, Entry(EntryKind.INFO, f"the beginning of {self.label}"))
        log.prepend(entries, older=session.has_older)
        for message in lines:  # replies below that answer these now show what they answer
            changed.update(self.annotations.replies(message.id))
        if changed:
            log.replace_messages(changed, self._remade)
        self.post_message(NicksSeen([message.sender for message in messages]))

    # --- sending -------------------------------------------------------------------------

    def send_when_joined(self, text: str) -> None:
        """Send ``text`` now, or as soon as the conversation is joined."""
        if self.session is None:
            self._first_lines.append(text)
        else:
            self.submit(text, Kind.CHAT)

    def submit(self, text: str, kind: Kind, keyword: str = "") -> bool:
        """Queue the line in the room's outbox (the screen never waits for Pravega); refuse,
        with a local error line, what could never be sent. While composing, the line replies
        to, reacts to or edits the selected message. ``keyword``: the line is a /greet or
        /joke, which StreamCli users send as the bare keyword (each receiver shows it)."""
        if self.streamcli and keyword:
            text = keyword
        if self.session is None:
            self.local(EntryKind.ERROR, f"not connected to {self.label} yet: nothing was sent")
            return False
        composing, target = self.composing, None
        reply_to, undo = None, False
        if composing is not None:
            chosen = composing.message.id
            match composing.what:
                case "reply":
                    reply_to = chosen
                case "edit":
                    kind, target = Kind.EDIT, chosen
                case _:
                    kind, target = Kind.REACT, chosen
                    undo = self.annotations.reacted(chosen, text)
        try:
            message = self.session.submit(text, kind, reply_to=reply_to, target=target, undo=undo)
        except PravechatError as error:
            self.local(EntryKind.ERROR, str(error))
            return False
        self._submitted_at[message.id] = time.monotonic()
        self.cancel_composing()
        return True

    # --- acting on a selected message ------------------------------------------------------

    def cancel_composing(self) -> None:
        """Esc: the next line is a plain one again."""
        if self.composing is not None or self._delete_asked is not None:
            self.composing, self._delete_asked = None, None
            self.post_message(PaneChanged(self.room))

    def on_message_chosen(self, event: MessageChosen) -> None:
        """A key in selection mode (or in a thread) chose what to do with a message. The app
        then gives the keys back to the input where typing follows."""
        message, self.composing = event.message, None
        asked, self._delete_asked = self._delete_asked, None
        if message is not None:
            self.act_on(event.what, message, asked == message.id)
        self.post_message(PaneChanged(self.room))

    def act_on(self, what: str, message: ChatMessage, asked: bool = False) -> None:
        """``asked``: the deletion was asked for once already."""
        match what:
            case "reply" | "react" | "edit" | "delete" | "thread" if self.streamcli:
                self.local(EntryKind.ERROR, NOT_HERE)
            case "reply" | "react":
                self.composing = Composing(what, message)
            case "edit" | "delete" if (refused := self._refusal(what, message)) is not None:
                self.local(EntryKind.ERROR, refused)
            case "edit":
                self.composing = Composing(what, message)
            case "delete" if asked:
                self._delete(message)
            case "delete":
                self._delete_asked = message.id
            case "thread":
                self._show_thread(message)
            case "info":
                self.local(EntryKind.INFO, self._describe(message))
            case "open":
                self._open_link(message)

    def _open_link(self, message: ChatMessage) -> bool:
        """Open the message's first link; False (said) when it has none."""
        look = self.annotations.look(message)
        found = [] if look.deleted else urls(look.text)
        if not found:
            self.local(EntryKind.ERROR, "no http(s) link in that message")
            return False
        try:
            argv = opener_argv(self._url_opener, found[0])
        except PravechatError as error:
            self.local(EntryKind.ERROR, str(error))
            return False
        self.local(EntryKind.INFO, f"opening {found[0]}")
        self.run_worker(self._run_opener(argv), group="open", exit_on_error=False)
        return True

    async def _run_opener(self, argv: list[str]) -> None:
        try:
            await open_url(argv)
        except PravechatError as error:
            self.local(EntryKind.ERROR, str(error))

    def open_last_link(self) -> None:
        """/open: the link of the newest message holding one."""
        for entry in reversed(self.chat_log.entries):
            if entry.message is not None and not entry.deleted and urls(entry.text):
                self._open_link(entry.message)
                return
        self.local(EntryKind.ERROR, f"no http(s) link in what is loaded of {self.label}")

    def _refusal(self, what: str, message: ChatMessage) -> str | None:
        if message.sender != self.user:
            return f"you can {what} only your own messages"
        if not self.annotations.may_change(message, self.user):
            return f"this message was sent unsigned (an older pravechat): it cannot be {what}ed"
        if self.annotations.look(message).deleted:
            return "this message is deleted already"
        return None

    def _delete(self, message: ChatMessage) -> None:
        if self.session is None:
            self.local(EntryKind.ERROR, f"not connected to {self.label} yet: nothing was deleted")
            return
        try:
            sent = self.session.submit("", Kind.DELETE, target=message.id)
        except PravechatError as error:
            self.local(EntryKind.ERROR, str(error))
            return
        self._submitted_at[sent.id] = time.monotonic()

    def _describe(self, message: ChatMessage) -> str:
        """The full date and time of a message, and what else is known of it."""
        when = message.sent_at.astimezone()
        stamp = when.strftime("%A %d %B %Y, %H:%M:%S.") + f"{when.microsecond // 1000:03d} "
        stamp += when.strftime("%Z") or when.strftime("%z")
        look = self.annotations.look(message)
        verified = self._keyring.judge(message, note=False).verified
        signed = "verified" if verified else "unverified"
        facts = [
            f"{message.sender}, {stamp}" + (" (when it arrived)" if self.streamcli else ""),
            "unsigned: StreamCli" if self.streamcli else signed,
            *(["edited"] if look.edited else []),
            *(["deleted"] if look.deleted else []),
            *([f"{look.replies} replies"] if look.replies else []),
            f"id {message.id}",
        ]
        return "; ".join(facts)

    def _show_thread(self, message: ChatMessage) -> None:
        """A message and its replies (those loaded), in a view of their own."""
        root = message
        if message.reply_to is not None:  # a reply's thread is its original's
            entry = self.chat_log.message_entry(message.reply_to)
            root = entry.message if entry is not None and entry.message else message
        replies = self.annotations.replies(root.id)
        entries = [self._remade(root)]
        entries += [e for r in replies if (e := self.chat_log.message_entry(r)) is not None]
        title = f"thread in {self.label}: {len(replies)} repl{'y' if len(replies) == 1 else 'ies'}"
        if len(entries) <= len(replies):
            missing = len(replies) + 1 - len(entries)
            entries.append(Entry(EntryKind.INFO, f"{missing} more not loaded: scroll up in "
                                                 f"{self.label} to load them"))  # fmt: skip
        self.app.push_screen(MessagesScreen(title, entries, self._choose))

    def _choose(self, what: str, message: ChatMessage) -> None:
        """As if chosen in this log (from the thread view): the app follows it up too."""
        self.chat_log.post_message(MessageChosen(self.chat_log, what, message))

    def pending_lines(self) -> list[str]:
        """The outbox's lines to show as pending: those that waited PENDING_AFTER, or all
        of them while the room is not connected; none already read back."""
        waiting = self.session.pending if self.session is not None else []
        now = time.monotonic()
        connected = self.state is Connection.CONNECTED
        shown = [
            _pending_text(message)
            for message in waiting
            if message.id not in self._echoed
            and (not connected or now - self._submitted_at.get(message.id, 0.0) >= PENDING_AFTER)
        ]
        if self._submitted_at or self._echoed:  # forget what left the outbox
            still = {message.id for message in waiting}
            self._submitted_at = {k: t for k, t in self._submitted_at.items() if k in still}
            self._echoed &= still
        return shown

    async def close(self) -> None:
        """Stop reading and close the session: queued lines are sent or saved, and the
        reader goes offline, saving the place."""
        self.workers.cancel_node(self)
        if self._opened is not None:
            await self._opened.close()

    def keep_unsent(self) -> None:
        """After a crash: what is still waiting is sent on the next visit."""
        if self.session is not None:
            self.session.keep_unsent()


def _pending_text(message: ChatMessage) -> str:
    """How a line waiting in the outbox is listed."""
    match message.kind:
        case Kind.REACT:
            return f"({'taking back' if message.undo else 'reacting'} {message.text})"
        case Kind.EDIT:
            return f"(edit) {message.text}"
        case Kind.DELETE:
            return "(deleting a message)"
    return message.text
