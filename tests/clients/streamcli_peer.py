"""A StreamCli user, written for the tests from what StreamCli is known to do (docs/protocol.md,
*StreamCli conversations*), on pravechat's binding: not StreamCli's code.

It creates the scope and the stream of 2 segments; reads through a reader group named after its
id, with a reader of that id, from the head; writes ``{"sender", "message"}`` with no routing
key of its own (a new random one each time: the events spread over both segments); lowercases
what it types; skips its own events; shows ``greet`` as ``<sender> says hi!`` and ``joke`` as a
joke. Its calls block: a test runs them in a thread.
"""

import json
import random
import time
import uuid
from dataclasses import dataclass

from pravechat import _pravega

JOKES = ("why do programmers prefer dark mode? because light attracts bugs",)


@dataclass(frozen=True)
class Shown:
    """A line as a StreamCli terminal prints it: ``sender: message``."""

    sender: str
    message: str


class StreamCliPeer:
    def __init__(self, uri: str, user_id: str, scope: str = "scope") -> None:
        self.id = user_id
        self.scope = scope
        self.client = _pravega.Client(uri)
        self.client.create_scope(scope)
        self.client.create_stream(scope, "stream", 2)
        self._writer = self.client.writer(scope, "stream")
        self._group = self.client.reader_group(scope, user_id, "stream", "head")
        self._reader = self._group.reader(user_id)
        self._held = False
        self.unparsed = 0
        """Events it could not read as a message (counted, never shown)."""
        self.largest_slice = 0
        """The most events one slice brought (StreamCli's own reader fails on two)."""

    def say(self, typed: str) -> None:
        """Type a line: lowercased, written with no routing key of its own."""
        self.write(json.dumps({"sender": self.id, "message": typed.strip().lower()}).encode())

    def write(self, data: bytes) -> None:
        """Any bytes as one event (a hostile peer's)."""
        self._writer.write(data, uuid.uuid4().hex)

    def write_all(self, events: list[bytes]) -> None:
        """Many events at once, pipelined: they land in the same slices."""
        self._writer.write_all(events, uuid.uuid4().hex)

    def read(self, seconds: float = 1.0) -> list[Shown]:
        """What it prints within about ``seconds`` (at least one slice's wait)."""
        shown: list[Shown] = []
        deadline = time.monotonic() + seconds
        while True:
            events = self._reader.acquire(self._held)
            self.largest_slice = max(self.largest_slice, len(events))
            for _, data in events:
                line = self._show(data)
                if line is not None:
                    shown.append(line)
            self._held = True
            if time.monotonic() >= deadline:
                return shown

    def read_until(self, count: int, seconds: float = 30.0) -> list[Shown]:
        """Read until ``count`` lines were printed (or ``seconds`` passed)."""
        shown: list[Shown] = []
        deadline = time.monotonic() + seconds
        while len(shown) < count and time.monotonic() < deadline:
            shown += self.read(0.2)
        return shown

    def _show(self, data: bytes) -> Shown | None:
        try:
            event = json.loads(data)
            sender, message = event["sender"], event["message"]
        except (ValueError, KeyError, TypeError):
            self.unparsed += 1
            return None
        if not isinstance(sender, str) or not isinstance(message, str):
            self.unparsed += 1
            return None
        if sender == self.id:
            return None
        if message == "greet":
            return Shown(sender, f"{sender} says hi!")
        if message == "joke":
            return Shown(sender, random.choice(JOKES))
        return Shown(sender, message)

    def close(self) -> None:
        if self._held:
            self._reader.release()
        self._reader.offline()
