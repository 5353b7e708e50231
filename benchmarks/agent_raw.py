"""Baseline (a): the bare transport. ``pravega_client`` alone, no pravechat code on the path.

    python -m benchmarks.agent_raw --out DIR --name N receiver URI SCOPE STREAM
    python -m benchmarks.agent_raw --out DIR --name N sender URI SCOPE STREAM RATE:COUNT...

The receiver has a reader group of its own and loops on get_segment_slice_async; the sender
awaits each write_event_async, as a chat must to keep its order.
"""

import asyncio
import sys

import pravega_client

from benchmarks.agent import DONE, AgentFiles, Phase, Recorder, agent_arguments, send_phases
from benchmarks.results import now_ns
from pravechat.core.process import exit_process


async def receive(files: AgentFiles, manager: "pravega_client.StreamManager", scope: str,
                  stream: str) -> Recorder:  # fmt: skip
    readers = manager.create_reader_group(files.name, scope, stream)
    reader = readers.create_reader("raw")
    files.ready()
    recorder = Recorder()
    while not recorder.done:
        segment = await reader.get_segment_slice_async()
        for event in segment:
            recorder.feed(event.data().decode(), now_ns())
        reader.release_segment(segment)
    return recorder


async def send(files: AgentFiles, manager: "pravega_client.StreamManager", scope: str,
               stream: str, phases: list[Phase]) -> None:  # fmt: skip
    writer = manager.create_writer(scope, stream)

    async def write(text: str) -> None:
        await writer.write_event_async(text, stream)

    files.ready()
    await send_phases(write, phases)
    await write(DONE)


if __name__ == "__main__":
    files, (role, uri, scope, stream, *specs) = agent_arguments(sys.argv[1:])
    manager = pravega_client.StreamManager(uri)
    if role == "receiver":
        recorder = asyncio.run(receive(files, manager, scope, stream))
        files.done(recorder.results())
    else:
        asyncio.run(send(files, manager, scope, stream, [Phase.parse(s) for s in specs]))
        files.done({})
    exit_process(0)  # the binding's teardown can crash; the results are written
