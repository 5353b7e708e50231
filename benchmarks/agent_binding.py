"""Baseline: pravechat's own binding (``pravechat._pravega``) alone, no pravechat Python on the
path: the floor of the transport pravechat now stands on.

    python -m benchmarks.agent_binding --out DIR --name N receiver URI SCOPE ROOM USER WRITERS
    python -m benchmarks.agent_binding --out DIR --name N sender URI SCOPE ROOM USER WRITER \
        START_NS RATE:COUNT... [--done]

The same arguments as benchmarks.agent_core. A receiver has a reader group of its own, from
the stream's head, and loops on acquire (each call waits with the GIL released); events are
the stamped text itself, not chat messages. A sender writes what is due as one pipelined batch
(Writer.write_all), as pravechat's RoomWriter does.
"""

import asyncio
import sys

from benchmarks.agent import (
    AgentFiles,
    Recorder,
    SenderArguments,
    agent_arguments,
    run_sender,
    sender_arguments,
)
from benchmarks.results import now_ns
from pravechat import _pravega
from pravechat.core.process import exit_process


def open_stream(uri: str, scope: str, stream: str) -> _pravega.Client:
    client = _pravega.Client(uri, False, False, 1000)
    client.create_scope(scope)
    client.create_stream(scope, stream)
    return client


def receive(files: AgentFiles, client: _pravega.Client, scope: str, stream: str, user: str,
            writers: int) -> None:  # fmt: skip
    reader = client.reader_group(scope, f"raw-{user}", stream, "head").reader(user)
    files.ready()
    recorder = Recorder(writers)
    reported = 0
    held = False
    while not recorder.done:
        events = reader.acquire(release_previous=held)
        held = True
        arrived_at = now_ns()
        for _, data in events:
            recorder.feed(data.decode(), arrived_at)
        for tag in recorder.completed[reported:]:
            files.done(recorder.result(tag), suffix=tag)
        reported = len(recorder.completed)
    files.done(recorder.results())
    reader.offline()


async def send(files: AgentFiles, client: _pravega.Client, scope: str, stream: str,
               sender: SenderArguments) -> None:  # fmt: skip
    writer = client.writer(scope, stream)

    async def write(texts: list[str]) -> None:
        await asyncio.to_thread(writer.write_all, [text.encode() for text in texts], stream)

    await run_sender(files, write, sender)


def main(argv: list[str]) -> None:
    files, (role, uri, scope, room, user, *rest) = agent_arguments(argv)
    client = open_stream(uri, scope, room)
    if role == "receiver":
        receive(files, client, scope, room, user, int(rest[0]))
    else:
        asyncio.run(send(files, client, scope, room, sender_arguments(rest)))


if __name__ == "__main__":
    main(sys.argv[1:])
    exit_process(0)
