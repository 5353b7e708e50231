"""Run the binding's blocking calls off the event loop.

Every call of :mod:`pravechat._pravega` that waits on the network releases the GIL, so it can
wait in a thread while the loop (a screen, other rooms) goes on. Readers wait about a second
in each ``acquire``: one thread per followed room, so the pool is large, and its threads are
only started when needed. asyncio's default executor (min(32, cores + 4) workers) would make
the fifth room wait for the first four.
"""

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

_POOL = ThreadPoolExecutor(max_workers=1024, thread_name_prefix="pravega")
P = ParamSpec("P")
T = TypeVar("T")


async def off_loop(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``call(*args, **kwargs)`` in a thread of the binding's pool."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, functools.partial(call, *args, **kwargs))
