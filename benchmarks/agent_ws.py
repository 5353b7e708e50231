"""Baseline (b): what people build chats with today, a broadcast server over ``websockets``.

    python -m benchmarks.agent_ws --out DIR --name N server PORT
    python -m benchmarks.agent_ws --out DIR --name N receiver PORT
    python -m benchmarks.agent_ws --out DIR --name N sender PORT RATE:COUNT...

Messages are JSON objects, as in a typical chat; the server relays each one to every client
but its sender. Nothing is stored: a client that is away misses what was said.
"""

import asyncio
import json
import sys

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, broadcast, serve

from benchmarks.agent import DONE, AgentFiles, Phase, Recorder, agent_arguments, send_phases
from benchmarks.results import now_ns


async def relay(files: AgentFiles, port: int) -> None:
    clients: set[ServerConnection] = set()

    async def handle(connection: ServerConnection) -> None:
        clients.add(connection)
        try:
            async for frame in connection:
                broadcast(clients - {connection}, frame)
        finally:
            clients.discard(connection)

    async with serve(handle, "127.0.0.1", port, max_size=1 << 16):
        files.ready()
        await asyncio.Future()  # until terminated


async def receive(files: AgentFiles, port: int) -> Recorder:
    recorder = Recorder()
    async with connect(f"ws://127.0.0.1:{port}") as connection:
        files.ready()
        async for frame in connection:
            recorder.feed(json.loads(frame)["text"], now_ns())
            if recorder.done:
                break
    return recorder


async def send(files: AgentFiles, port: int, phases: list[Phase]) -> None:
    async with connect(f"ws://127.0.0.1:{port}") as connection:

        async def write(text: str) -> None:
            await connection.send(json.dumps({"sender": "bench", "text": text}))

        files.ready()
        await send_phases(write, phases)
        await write(DONE)
        await asyncio.sleep(0.5)  # let the last frame leave before closing


if __name__ == "__main__":
    files, (role, port, *specs) = agent_arguments(sys.argv[1:])
    if role == "server":
        asyncio.run(relay(files, int(port)))
    elif role == "receiver":
        files.done(asyncio.run(receive(files, int(port))).results())
    else:
        asyncio.run(send(files, int(port), [Phase.parse(s) for s in specs]))
        files.done({})
