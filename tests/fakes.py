"""A fake room session for widget tests (never the proof that chat works: see test_ui_pravega)."""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from pravechat.core.identity import Identity
from pravechat.core.names import room_stream
from pravechat.core.presence import Presence
from pravechat.core.protocol import ChatMessage, Kind, decode_event, dump_event, new_message
from pravechat.core.search import Found, Progress
from pravechat.core.session import Connection, Delivery, SessionStatus, StatusListener
from pravechat.core.transport import TransportError
from pravechat.core.trust import KeyRing

FIXED_TIME = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


_IDENTITIES: dict[str, Identity] = {}


def identity(user: str) -> Identity:
    """One key pair per name for the whole test run (in memory: never saved)."""
    return _IDENTITIES.setdefault(user, Identity.generate(user))


def signed(message: ChatMessage) -> ChatMessage:
    """``message`` signed by its sender and read back, as a room's reader decodes it."""
    stream = room_stream(message.room)
    data = dump_event(identity(message.sender).sign(message.wire_fields(), stream)).encode()
    decoded = decode_event(data, stream)
    assert isinstance(decoded, ChatMessage), decoded
    return decoded


def unsigned_message(
    sender: str, text: str, kind: Kind = Kind.CHAT, room: str = "lobby"
) -> ChatMessage:
    """As an older client (or a forger) writes it: no signature."""
    return ChatMessage(room=room, sender=sender, kind=kind, text=text, sent_at=FIXED_TIME)


def message(sender: str, text: str, kind: Kind = Kind.CHAT, room: str = "lobby") -> ChatMessage:
    """A message as read from a room, signed by its sender (blank text included: an older
    client can send it)."""
    return signed(unsigned_message(sender, text, kind, room))


class FakeSession:
    def __init__(self, user: str, room: str, history: list[ChatMessage] | None = None) -> None:
        self.user = user
        self.room = room
        self.history = history or []
        self.missed = 0
        self.notices: list[str] = []
        self.sent: list[ChatMessage] = []
        self.closed = False
        self.incoming: asyncio.Queue[list[Delivery]] = asyncio.Queue()
        self.on_status: StatusListener | None = None
        self.held = False
        """While set, what is submitted stays pending, as with the server away."""
        self.kept: list[ChatMessage] | None = None
        """The outbox as saved by keep_unsent."""
        self.outbox: list[ChatMessage] = []
        self.older: list[ChatMessage] = []
        """What load_older hands out, newest last, a page at a time."""
        self.older_fails = False

    @property
    def has_older(self) -> bool:
        return bool(self.older)

    async def load_older(self, limit: int = 1000) -> list[ChatMessage]:
        if self.older_fails:
            raise TransportError("the server at tcp://nowhere went away")
        page, self.older = self.older[-limit:], self.older[:-limit]
        return page

    @property
    def pending(self) -> list[ChatMessage]:
        return list(self.outbox)

    def status(self, state: str, notice: str) -> None:
        assert self.on_status is not None
        self.on_status(SessionStatus(Connection(state), notice))

    def release(self) -> None:
        """The server is back: what waited is sent and delivered, in order."""
        self.held = False
        waiting, self.outbox = self.outbox, []
        self.sent.extend(waiting)
        if waiting:
            self.deliver(*waiting)

    def deliver(self, *messages: ChatMessage, unread: bool = False) -> None:
        self.incoming.put_nowait([Delivery(m, unread) for m in messages])

    async def batches(self, max_size: int = 1000) -> AsyncIterator[list[Delivery]]:
        while True:
            yield await self.incoming.get()

    def submit(
        self, text: str, kind: Kind = Kind.CHAT, *, reply_to: str | None = None,
        target: str | None = None, undo: bool = False,
    ) -> ChatMessage:  # fmt: skip
        framed = new_message(
            self.room, self.user, text, kind, reply_to=reply_to, target=target, undo=undo
        )
        sent = signed(framed.model_copy(update={"sent_at": FIXED_TIME}))
        if self.held:
            self.outbox.append(sent)
        else:
            self.sent.append(sent)
            self.deliver(sent)
        return sent

    async def send(self, text: str, kind: Kind = Kind.CHAT) -> ChatMessage:
        return self.submit(text, kind)

    def searcher(self, term: str) -> "FakeSearch":
        return FakeSearch([*self.older, *self.history, *self.sent], term)

    async def close(self) -> None:
        self.closed = True

    def keep_unsent(self) -> None:
        self.kept = list(self.outbox)


class FakeSearch:
    """core.search's Searcher over messages in memory: what the screen does with results."""

    def __init__(self, messages: list[ChatMessage], term: str) -> None:
        self.messages, self.term, self.cancelled = messages, term.casefold(), False

    def search_blocking(self, on_progress: Callable[[Progress], None] | None = None) -> list[Found]:
        hits = [Found(m, n, n + 1) for n, m in enumerate(self.messages)
                if self.term in m.text.casefold()]  # fmt: skip
        if on_progress is not None:
            on_progress(Progress(len(self.messages), len(self.messages), len(hits), len(hits)))
        return hits

    def around_blocking(
        self, hit: Found, count: int = 15
    ) -> tuple[list[ChatMessage], list[ChatMessage]]:
        return self.messages[max(0, hit.offset - count) : hit.end], self.messages[hit.end :][:count]

    def cancel(self) -> None:
        self.cancelled = True


class FakeChat:
    """Connector and room lister for PravechatApp; remembers every session it opened."""

    def __init__(
        self,
        user: str,
        history: list[ChatMessage] | None = None,
        older: list[ChatMessage] | None = None,
    ) -> None:
        self.user = user
        self.history = history or []
        self.older = older or []
        """Messages before the history, in the lobby."""
        self.missed = 0
        self.sessions: list[FakeSession] = []
        self.joining: dict[str, asyncio.Event] = {}
        """Rooms whose join waits until their event is set."""
        self.joins_cancelled: list[str] = []

    async def connect(self, room: str) -> FakeSession:
        session = FakeSession(self.user, room, self.history if room == "lobby" else [])
        if room in self.joining:
            try:
                await self.joining[room].wait()
            except asyncio.CancelledError:
                self.joins_cancelled.append(room)
                raise
            self.sessions.append(session)
            return session
        if room == "lobby":
            session.older = list(self.older)
        self.sessions.append(session)
        return session

    async def list_rooms(self) -> list[str]:
        return sorted({"lobby", *(s.room for s in self.sessions)})

    @property
    def current(self) -> FakeSession:
        return self.sessions[-1]


class FakePresence:
    """Presence events a test feeds in; remembers the rooms entered."""

    def __init__(self) -> None:
        self.client = "0123456789abcdef"
        self.rooms: set[str] = set()
        self.typed: list[str] = []
        self.entered: list[str] = []
        self.answered: list[str] = []
        self.queue: asyncio.Queue[Presence] = asyncio.Queue()
        self.closed = False

    async def enter(self, room: str) -> None:
        self.rooms.add(room)
        self.entered.append(room)

    async def here(self, room: str) -> None:
        self.answered.append(room)

    async def leave(self, room: str) -> None:
        self.rooms.discard(room)

    async def typing(self, room: str) -> None:
        self.typed.append(room)

    async def events(self) -> AsyncIterator[Presence]:
        while True:
            yield await self.queue.get()

    async def close(self) -> None:
        self.closed = True


class FakeDirect:
    """Direct conversations without a server: the ids are the real ones, the inbox is fed by
    the test. (tests/pravega/test_direct*.py prove them through Pravega.)"""

    def __init__(self, user: str, refuse: str = "") -> None:
        self.user = user
        self.members: dict[str, tuple[str, ...]] = {}
        self.inbox: list[tuple[str, tuple[str, ...]]] = []
        self.refuse = refuse
        """An error every start raises (a missing key, say)."""

    async def start(self, members: tuple[str, ...]) -> str:
        from pravechat.core.errors import PravechatError
        from pravechat.core.names import conversation_id

        if self.refuse:
            raise PravechatError(self.refuse)
        room = conversation_id(members)
        self.members[room] = members
        return room

    async def sync(self) -> None:
        """Keys are not the fake's business."""

    def problem(self, room: str) -> str | None:
        return None if room in self.members else "this conversation's members are not known yet"

    async def read_inbox(self) -> list[tuple[str, tuple[str, ...]]]:
        new, self.inbox = self.inbox, []
        for room, members in new:
            self.members[room] = members
        return new


class PublishedFakes(KeyRing):
    """A key ring to which every fake identity was published, as the keys stream would have
    them: the fakes' signed messages show as verified."""

    def accepts(self, user: str, key: str, note: bool = True) -> bool:
        if self.pinned(user) is None and user in _IDENTITIES:
            self.learn([(user, _IDENTITIES[user].key)])
        return super().accepts(user, key, note)
