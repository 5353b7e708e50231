"""A minimal chat client for tests: joins a room and prints what it shows, as JSON lines.

usage: python -m tests.clients.listen CONTROLLER SCOPE USER ROOM
Prints {"history": [ids...]} once, then {"id": ..., "unread": ...} per delivery, until killed.
"""

import asyncio
import json
import sys

from pravechat.core.process import exit_process
from pravechat.core.session import RoomSession
from pravechat.core.transport import Transport


async def main(controller: str, scope: str, user: str, room: str) -> None:
    transport = Transport.connect(controller, scope)
    session = await RoomSession.open(transport, user, room)
    print(json.dumps({"history": [m.id for m in session.history]}), flush=True)
    try:
        async for delivery in session:
            line = {"id": delivery.message.id, "unread": delivery.unread}
            print(json.dumps(line), flush=True)
    finally:
        await session.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
    exit_process(0)
