"""pravechat's core without a screen, as a bot or a script uses it (RoomSession).

    python -m benchmarks.agent_core --out DIR --name N receiver URI SCOPE ROOM USER WRITERS
    python -m benchmarks.agent_core --out DIR --name N sender URI SCOPE ROOM USER WRITER \
        START_NS RATE:COUNT... [--done]

A receiver stamps each message as its session delivers it and reports every phase as soon as
all WRITERS have sent that phase's end marker (file ``N.<tag>``). A sender waits until
START_NS (so that several start together; 0: at once), sends its phases, and with ``--done``
ends the run.
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
from pravechat.core.process import exit_process
from pravechat.core.protocol import new_message
from pravechat.core.session import RoomSession
from pravechat.core.transport import Transport


async def receive(files: AgentFiles, transport: Transport, room: str, user: str,
                  writers: int) -> None:  # fmt: skip
    session = await RoomSession.open(transport, user, room, 0)
    files.ready()
    recorder = Recorder(writers)
    reported = 0
    try:
        async for batch in session.batches():
            shown_at = now_ns()
            for delivery in batch:
                recorder.feed(delivery.message.text, shown_at)
            for tag in recorder.completed[reported:]:
                files.done(recorder.result(tag), suffix=tag)
            reported = len(recorder.completed)
            if recorder.done:
                files.done(recorder.results())
                break
    finally:
        await session.close()


async def send(files: AgentFiles, transport: Transport, room: str, user: str,
               sender: SenderArguments) -> None:  # fmt: skip
    """A bot's writer: what is due goes out as one pipelined batch (RoomWriter.send_batch)."""
    room_writer = await transport.open_writer(room)

    async def write(texts: list[str]) -> None:
        await room_writer.send_batch([new_message(room, user, text) for text in texts])

    await run_sender(files, write, sender)


def main(argv: list[str]) -> None:
    files, (role, uri, scope, room, user, *rest) = agent_arguments(argv)
    transport = Transport.connect(uri, scope)
    if role == "receiver":
        asyncio.run(receive(files, transport, room, user, int(rest[0])))
    else:
        asyncio.run(send(files, transport, room, user, sender_arguments(rest)))


if __name__ == "__main__":
    main(sys.argv[1:])
    exit_process(0)
