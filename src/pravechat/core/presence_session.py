"""A client's presence: heartbeats for the rooms it follows, and everyone else's events."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

from pravechat.core.paths import private_dir, state_dir
from pravechat.core.presence import (
    HEARTBEAT,
    PRESENCE_RETENTION_MS,
    PRESENCE_STREAM,
    Presence,
)
from pravechat.core.room_reader import ReaderArgs
from pravechat.core.session import spawn_reader, stop_reader
from pravechat.core.transport import Transport, TransportError


class PresenceSession:
    """Announces ``user`` in ``rooms`` every HEARTBEAT seconds; iterate for all events."""

    def __init__(
        self,
        transport: Transport,
        user: str,
        writer: Any,
        process: "asyncio.subprocess.Process",
        log_path: Path,
    ) -> None:
        self._log_path = log_path
        self.user = user
        self.rooms: set[str] = set()
        self._transport = transport
        self._writer = writer
        self._process = process
        self._heartbeat = asyncio.get_running_loop().create_task(self._beat())

    @classmethod
    async def open(cls, transport: Transport, user: str) -> "PresenceSession":
        files = state_dir() / "sessions"
        private_dir(files)
        args = ReaderArgs(transport.uri, transport.scope, user, "presence", 0, presence=True)
        log_path = files / f"{transport.scope}.presence.{user}.log"
        # The reader first: it creates the stream, which a restarted in-memory server lost,
        # and a heartbeat of an earlier session may hold the gate until the stream is back.
        process = await spawn_reader(args, log_path)
        assert process.stdout is not None
        ready = await process.stdout.readline()
        if b'"ready"' not in ready:
            await process.wait()
            raise TransportError(f"the presence reader did not start: {ready[:200]!r}")
        try:
            writer = await transport.open_stream_writer(PRESENCE_STREAM, PRESENCE_RETENTION_MS)
        except BaseException:
            await stop_reader(process, log_path)
            raise
        return cls(transport, user, writer, process, log_path)

    async def announce(
        self,
        room: str,
        state: Literal["here", "left"] = "here",
        typing: bool = False,
        ask: bool = False,
    ) -> None:
        event = Presence(user=self.user, room=room, state=state, typing=typing, ask=ask)
        await self._transport.write(self._writer, event.to_json(), PRESENCE_STREAM)

    async def enter(self, room: str) -> None:
        """Say so, asking who is there: they answer at once (see docs/protocol.md)."""
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
        assert self._process.stdout is not None
        while line := await self._process.stdout.readline():
            item = json.loads(line)
            if "presence" in item:
                yield Presence.model_validate(item["presence"])

    async def close(self, detach: bool = False) -> None:
        self._heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._heartbeat
        for room in sorted(self.rooms):
            with contextlib.suppress(TransportError):
                await self.announce(room, "left")
        await stop_reader(self._process, self._log_path, detach)
