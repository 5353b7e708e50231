"""How long /search takes over a whole room, and where the time goes.

usage: python -m benchmarks.search [--controller URI] [--sizes 100000 1000000]

For each size, a room of that many signed-size messages (about 390 bytes each, the first one
holding the term) is written, then searched the way /search does (core.search.RoomSearch),
finding the first message ever sent. The same bytes are then read without decoding (the
server's share) and the frames decoded from memory (the decode's share), so the table says
what bounds a search. The screen is not on this path: it lists at most 1,000 results.
"""

import argparse
import base64
import time
import uuid

from benchmarks.results import save, table
from pravechat.core.frames import HEADER_BYTES
from pravechat.core.names import room_stream
from pravechat.core.process import exit_process
from pravechat.core.protocol import dump_event, new_message
from pravechat.core.search import RoomSearch, _frames
from pravechat.core.transport import Transport

BATCH = 5000
TERM = "needle-in-the-first"


def _events(first: int, count: int) -> list[bytes]:
    """Events of the size signed ones have (a key and a signature of the right length: the
    search's fast look parses them as it parses real ones)."""
    key = base64.b64encode(b"k" * 32).decode()
    sig = base64.b64encode(b"s" * 64).decode()
    events = []
    for n in range(first, first + count):
        text = f"the first message, {TERM}" if n == 0 else f"an ordinary line of chat, number {n}"
        fields = new_message("lobby", "alex", text).wire_fields()
        events.append(dump_event({**fields, "key": key, "sig": sig}).encode())
    return events


def _fill(transport: Transport, count: int) -> tuple[str, int]:
    stream = transport.ensure_room("lobby")
    writer = transport.client.writer(transport.scope, stream)
    written = 0
    for first in range(0, count, BATCH):
        chunk = _events(first, min(BATCH, count - first))
        writer.write_all(chunk, "lobby")
        written += sum(len(event) + HEADER_BYTES for event in chunk)
    return stream, written


def measure(uri: str, count: int) -> dict[str, float]:
    transport = Transport.connect(uri, f"bench-search-{uuid.uuid4().hex[:8]}")
    began = time.perf_counter()
    stream, size = _fill(transport, count)
    fill_s = time.perf_counter() - began

    search = RoomSearch(transport, room_stream("lobby"), TERM.upper(), "tim")
    began = time.perf_counter()
    hits = search.search_blocking()
    search_s = time.perf_counter() - began
    assert [hit.offset for hit in hits] == [0], hits  # the first message ever sent

    head, tail = transport.bounds(stream)
    read_s, raw = 0.0, []
    began = time.perf_counter()
    for frame in _frames(search._read, head, tail):  # the server's share: bytes, no decoding
        raw.append(frame[1])
    read_s = time.perf_counter() - began
    began = time.perf_counter()
    for data in raw:
        search._may_match(data)  # the fast look every event gets
    decode_s = time.perf_counter() - began
    return {
        "messages": count,
        "mb": size / 1e6,
        "fill_s": fill_s,
        "search_s": search_s,
        "read_s": read_s,
        "decode_s": decode_s,
        "us_per_message": search_s / count * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--controller", default="tcp://127.0.0.1:9090")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    results = [measure(args.controller, size) for size in args.sizes]
    save("search", {"results": results})
    print(table(
        ["messages", "MB", "/search, s", "µs/message", "reading the bytes, s",
         "decoding (fast look), s", "bound by"],
        [[f"{r['messages']:,.0f}", f"{r['mb']:.0f}", f"{r['search_s']:.2f}",
          f"{r['us_per_message']:.1f}", f"{r['read_s']:.2f}", f"{r['decode_s']:.2f}",
          "decode" if r["decode_s"] > r["read_s"] else "server"]
         for r in results],
    ))  # fmt: skip


if __name__ == "__main__":
    main()
    exit_process(0)
