"""Run the binding's blocking calls off the event loop.

Every call of :mod:`pravechat._pravega` that waits on the network releases the GIL, so it can
wait in a thread while the loop (a screen, other rooms) goes on. Readers wait about a second
in each ``acquire``: one thread per followed room, so the pool grows as needed. asyncio's
default executor (min(32, cores + 4) workers) would make the fifth room wait for the first
four. Its threads are daemons: a call stuck on a dead server (the client retries for a
minute) must not hold up the interpreter's exit, as ThreadPoolExecutor's joined threads do.
"""

import asyncio
import functools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class DaemonPool(Executor):
    """Daemon threads, started when none is idle, kept for the next call."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._work: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._started = 0

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            self._work.put((future, functools.partial(fn, *args, **kwargs)))
            if self._idle:
                self._idle -= 1  # an idle worker takes it
            else:
                self._started += 1
                name = f"{self._name}_{self._started}"
                threading.Thread(target=self._worker, name=name, daemon=True).start()
        return future

    def _worker(self) -> None:
        while True:
            future, call = self._work.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(call())
                except BaseException as error:  # handed to whoever awaits it
                    future.set_exception(error)
            del future, call
            with self._lock:
                self._idle += 1


_POOL = DaemonPool("pravega")


def in_pool(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> "asyncio.Future[T]":
    """``call(*args, **kwargs)`` started in a thread of the binding's pool: a future of the
    loop, which a canceller can abandon (the call ends on its own)."""
    loop = asyncio.get_running_loop()
    return loop.run_in_executor(_POOL, functools.partial(call, *args, **kwargs))


async def off_loop(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``call(*args, **kwargs)`` in a thread of the binding's pool."""
    return await in_pool(call, *args, **kwargs)
