"""Background traffic for benchmarks/rooms.py: one message a second into each room.

    python -m benchmarks.room_traffic URI SCOPE ROOM...

Runs until killed, in a process of its own so that its writes cost the measured client
nothing.
"""

import asyncio
import sys
import time

from pravechat.core.protocol import new_message
from pravechat.core.transport import Transport


async def main(uri: str, scope: str, rooms: list[str]) -> None:
    transport = Transport.connect(uri, scope)
    writers = [await transport.open_writer(room) for room in rooms]
    tick = 0
    while True:
        began = time.monotonic()
        for room, writer in zip(rooms, writers, strict=True):
            await writer.send(new_message(room, "traffic", f"tick {tick} in {room}"))
        tick += 1
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - began)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
