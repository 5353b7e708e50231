"""A client's presence: heartbeats for the rooms it follows, and everyone else's events."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Literal

from pravechat import _pravega
from pravechat.core.blocking import off_loop
from pravechat.core.names import is_direct
from pravechat.core.presence import (
    HEARTBEAT,
    PRESENCE_RETENTION_MS,
    PRESENCE_STREAM,
    Presence,
)
from pravechat.core.room_reader import Failed, PresenceSeen, ReaderArgs, Ready, RoomReader
from pravechat.core.server_watch import server_lost
from pravechat.core.transport import Transport, TransportError, binding

CLIENT_ID = uuid.uuid4().hex[:16]
"""This running process's id on its presence events, whichever presence session writes them:
another session of the same user has another one (presence.elsewhere)."""
LEAVING_TIMEOUT = 1.0
"""Seconds closing spends saying "left": past them, the others see a vanish instead."""


class PresenceSession:
    """Announces ``user`` in ``rooms`` every HEARTBEAT seconds; iterate for all events."""

    def __init__(
        self,
        transport: Transport,
        user: str,
        writer: _pravega.Writer,
        reader: RoomReader,
        client: str = CLIENT_ID,
    ) -> None:
        self.user = user
        self.client = client
        self.rooms: set[str] = set()
        self._transport = transport
        self._writer = writer
        self._encode = transport.event_encoder(PRESENCE_STREAM)
        self._reader = reader
        self._heartbeat = asyncio.get_running_loop().create_task(self._beat())

    @classmethod
    async def open(
        cls, transport: Transport, user: str, client: str = CLIENT_ID
    ) -> "PresenceSession":
        """``client``: another id than this process's stands for another client (tests)."""
        if server_lost(transport.uri).is_set():  # a cluster's other controller may serve
            await off_loop(transport.find_controller)
        # The reader first: it creates the stream, which a restarted in-memory server lost.
        reader = RoomReader.start(transport, ReaderArgs(user, "presence", 0, presence=True))
        try:
            first = await reader.items.get()
            if not isinstance(first, Ready):
                detail = first.error if isinstance(first, Failed) else "it ended"
                raise TransportError(f"the presence reader did not start: {detail}")
            writer = await transport.open_stream_writer(PRESENCE_STREAM, PRESENCE_RETENTION_MS)
        except BaseException:
            await reader.stop()
            raise
        return cls(transport, user, writer, reader, client)

    async def announce(
        self,
        room: str,
        state: Literal["here", "left"] = "here",
        typing: bool = False,
        ask: bool = False,
    ) -> None:
        _refuse_private(room)
        event = Presence(
            user=self.user, room=room, state=state, typing=typing, ask=ask, client=self.client
        )
        data = self._encode(event.wire_fields())
        with binding("announcing presence"):
            await off_loop(self._writer.write, data, PRESENCE_STREAM)

    async def enter(self, room: str) -> None:
        """Say so, asking who is there: they answer at once (see docs/protocol.md)."""
        _refuse_private(room)
        self.rooms.add(room)
        await self.announce(room, ask=True)

    async def here(self, room: str) -> None:
        """A heartbeat now: the answer to someone's question."""
        await self.announce(room)

    async def typing(self, room: str) -> None:
        await self.announce(room, typing=True)

    async def leave(self, room: str) -> None:
        self.rooms.discard(room)
        await self.announce(room, "left")

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            for room in sorted(self.rooms):
                with contextlib.suppress(TransportError):
                    await self.announce(room)

    async def events(self) -> AsyncIterator[Presence]:
        """Everyone's presence events, until the reader ends (the server went away)."""
        while (item := await self._reader.items.get()) is not None:
            if isinstance(item, PresenceSeen):
                yield item.presence

    async def close(self) -> None:
        self._heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._heartbeat
        with contextlib.suppress(TransportError, TimeoutError):
            async with asyncio.timeout(LEAVING_TIMEOUT):  # the server may be away
                for room in sorted(self.rooms):
                    await self.announce(room, "left")
        await self._reader.stop()


def _refuse_private(room: str) -> None:
    """The presence stream is the whole scope's: naming a conversation there would tell
    everyone who talks with whom."""
    if is_direct(room):
        raise TransportError(f"{room} is a private conversation: no presence there")
