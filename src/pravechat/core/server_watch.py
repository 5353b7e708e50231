"""Noticing that the Pravega server went away, once per process for every reader.

An idle reader does not notice a lost server: its pending read just waits (seen with a
restarted standalone, whose reader groups were gone when it came back). A TCP connect to the
controller every WATCH_EVERY seconds notices, without the binding, for all the readers of
the event loop at once.
"""

import asyncio
import weakref

from pravechat.core.blocking import off_loop
from pravechat.core.probe import parse_controller_uri, tcp_reachable

WATCH_EVERY = 1.0
FAILURES_FOR_LOST = 2
"""Probes in a row that must fail: one slow connect on a loaded machine is not a loss."""


class _Watch:
    def __init__(self, uri: str) -> None:
        self.address = parse_controller_uri(uri)
        self.lost = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._probe())

    async def _probe(self) -> None:
        failures = 0
        while True:
            await asyncio.sleep(WATCH_EVERY)
            address = self.address
            up = await off_loop(tcp_reachable, address.host, address.port, WATCH_EVERY)
            failures = 0 if up else failures + 1
            if failures >= FAILURES_FOR_LOST:
                self.lost.set()
            elif up:
                self.back()

    def back(self) -> None:
        """Whoever reads from now on waits on a new event."""
        if self.lost.is_set():
            self.lost = asyncio.Event()


_watches: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Watch]]" = (
    weakref.WeakKeyDictionary()
)


def server_lost(uri: str) -> asyncio.Event:
    """An event set once the controller at ``uri`` stops taking connections (from now on:
    ask again after it is back)."""
    watches = _watches.setdefault(asyncio.get_running_loop(), {})
    if uri not in watches:
        watches[uri] = _Watch(uri)
    return watches[uri].lost


def server_back(uri: str) -> None:
    """The controller at ``uri`` answers again (a caller just checked): readers started from
    now on are not told of the earlier loss."""
    watches = _watches.get(asyncio.get_running_loop(), {})
    if uri in watches:
        watches[uri].back()
