"""A StreamCli conversation's costs: delivery latency both ways, a newcomer's backlog, a burst.

usage: python -m benchmarks.streamcli [--controller URI] [--lines 100] [--backlog 10000]

A StreamCli user is played by the raw binding (a writer with a fresh routing key per event, as
StreamCli writes with none, and a reader group of its own from the head), in a scope of its
own; pravechat's side is core.streamcli.StreamCliSession, as the chat uses it (no screen).
- StreamCli to pravechat: ``--lines`` lines 0.1 s apart, each carrying its send time; the
  latency is from the write call to the session's delivery.
- pravechat to StreamCli: ``--lines`` lines 0.3 s apart (above the 0.2 s pacing); from
  ``submit`` to the raw reader's read.
- A burst: 20 lines submitted at once, until the StreamCli reader has them all (paced).
- A newcomer: ``--backlog`` lines written first; from opening the session to the last one
  delivered.
"""

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid

from benchmarks.results import save, summary, table
from pravechat import _pravega
from pravechat.core.process import exit_process
from pravechat.core.streamcli import STREAM, StreamCliSession, streamcli_transport
from pravechat.core.transport import Transport


def _event(sender: str, text: str) -> bytes:
    return json.dumps({"sender": sender, "message": text}).encode()


class RawStreamCli:
    """A StreamCli user, without its bugs: each event read on its own."""

    def __init__(self, uri: str, scope: str, name: str) -> None:
        self.client = _pravega.Client(uri)
        self.client.create_scope(scope)
        self.client.create_stream(scope, STREAM, 2)
        self.writer = self.client.writer(scope, STREAM)
        self.reader = self.client.reader_group(scope, name, STREAM, "head").reader(name)
        self.name = name

    def say(self, text: str) -> None:
        self.writer.write(_event(self.name, text), uuid.uuid4().hex)

    def read_for(self, seconds: float) -> list[tuple[float, str]]:
        """(monotonic time read, message) of the others' events."""
        got: list[tuple[float, str]] = []
        ends = time.monotonic() + seconds
        while time.monotonic() < ends:
            for _, data in self.reader.acquire():
                event = json.loads(data)
                if event["sender"] != self.name:
                    got.append((time.monotonic(), event["message"]))
            self.reader.release()
        return got


async def measure(uri: str, lines: int, backlog: int) -> dict[str, object]:
    scope = f"bench-sc-{uuid.uuid4().hex[:8]}"
    transport = streamcli_transport(Transport.connect(uri, "pravechat"), scope)
    alex = await asyncio.to_thread(RawStreamCli, uri, scope, "alex")
    session = await StreamCliSession.open(transport, "tim")
    arrived: dict[str, float] = {}

    async def collect() -> None:
        async for batch in session.batches():
            now = time.monotonic()
            for delivery in batch:
                arrived.setdefault(delivery.message.text, now)

    collecting = asyncio.get_running_loop().create_task(collect())
    await asyncio.sleep(2)
    sent_at: dict[str, float] = {}
    for n in range(lines):
        text = f"to tim {n}"
        sent_at[text] = time.monotonic()
        await asyncio.to_thread(alex.say, text)
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)
    inbound = [(arrived[t] - s) * 1000 for t, s in sent_at.items() if t in arrived]

    reading = asyncio.create_task(asyncio.to_thread(alex.read_for, lines * 0.3 + 3))
    submitted: dict[str, float] = {}
    for n in range(lines):
        text = f"to alex {n}"
        submitted[text] = time.monotonic()
        session.submit(text)
        await asyncio.sleep(0.3)
    read = dict((text, at) for at, text in await reading)
    outbound = [(read[t] - s) * 1000 for t, s in submitted.items() if t in read]

    burst_began = time.monotonic()
    for n in range(20):
        session.submit(f"burst {n}")
    burst = await asyncio.to_thread(alex.read_for, 10)
    burst_s = max(at for at, _ in burst) - burst_began if burst else float("nan")
    collecting.cancel()
    await session.close()

    for first in range(0, backlog, 2000):
        events = [_event("alex", f"old {n}") for n in range(first, min(backlog, first + 2000))]
        await asyncio.to_thread(alex.writer.write_all, events, uuid.uuid4().hex)
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp()  # a newcomer: no history of its own
    began = time.monotonic()
    newcomer = await StreamCliSession.open(transport, "sam")
    opened_s = time.monotonic() - began
    count = 0
    async for batch in newcomer.batches():
        count += sum(d.message.text.startswith("old ") for d in batch)
        if count >= backlog:
            break
    backlog_s = time.monotonic() - began
    await newcomer.close()
    return {
        "inbound": summary(inbound),
        "outbound": summary(outbound),
        "burst_lines": len(burst),
        "burst_s": burst_s,
        "backlog": backlog,
        "open_s": opened_s,
        "backlog_s": backlog_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--controller", default="tcp://127.0.0.1:9090")
    parser.add_argument("--lines", type=int, default=100)
    parser.add_argument("--backlog", type=int, default=10_000)
    args = parser.parse_args()
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp()
    result = asyncio.run(measure(args.controller, args.lines, args.backlog))
    save("streamcli", result)
    inbound, outbound = result["inbound"], result["outbound"]
    assert isinstance(inbound, dict) and isinstance(outbound, dict)
    print(table(
        ["path", "lines", "p50 ms", "p99 ms", "max ms"],
        [["StreamCli -> pravechat session", f"{inbound['count']}", f"{inbound['p50']:.1f}",
          f"{inbound['p99']:.1f}", f"{inbound['max']:.1f}"],
         ["pravechat session -> StreamCli", f"{outbound['count']}", f"{outbound['p50']:.1f}",
          f"{outbound['p99']:.1f}", f"{outbound['max']:.1f}"]],
    ))  # fmt: skip
    print(
        f"\nburst: {result['burst_lines']} of 20 lines at the StreamCli reader in "
        f"{result['burst_s']:.2f} s (paced 0.2 s apart)\n"
        f"newcomer: {result['backlog']:,} lines of backlog, session open in "
        f"{result['open_s']:.2f} s, all delivered in {result['backlog_s']:.2f} s"
    )


if __name__ == "__main__":
    main()
    exit_process(0)
