"""What signatures and end-to-end encryption cost per message, next to the unsigned path of
pravechat 0.3, in one run on this machine (no server needed).

usage: python -m benchmarks.signing [--messages N] [--controller URI --history N]
Prints a markdown table of microseconds per message (median of 5 rounds); with a server, the
time a newcomer's join takes in a room of unsigned messages and in one of signed ones.
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable

from benchmarks.results import save, table
from pravechat.core.identity import Identity
from pravechat.core.names import room_stream
from pravechat.core.process import exit_process
from pravechat.core.protocol import ChatMessage, decode_event, dump_event, new_message
from pravechat.core.sealing import open_sealed, seal
from pravechat.core.session import RoomSession
from pravechat.core.transport import Transport

ROOM = "dm-0123456789abcdef01234567"


def per_message_us(work: Callable[[], object], count: int) -> float:
    rounds = []
    for _ in range(5):
        began = time.perf_counter()
        for _ in range(count):
            work()
        rounds.append((time.perf_counter() - began) / count * 1e6)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--controller", help="also time joins through this server")
    parser.add_argument("--history", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    alice, bob = Identity.generate("alice"), Identity.generate("bob")
    message = new_message("lobby", "alice", "a message of an ordinary length, " * 3)
    stream = room_stream("lobby")
    fields = message.wire_fields()
    unsigned = message.to_json().encode()
    signed = dump_event(alice.sign(fields, stream)).encode()
    boxes = {"alice": alice.box_key, "bob": bob.box_key}
    private = {**fields, "room": ROOM, "text": ""}

    def seal_and_sign() -> bytes:
        sealed = seal(message.text, message.id, ROOM, "alice", boxes)
        return dump_event(alice.sign({**private, "sealed": sealed}, ROOM)).encode()

    sealed_event = seal_and_sign()

    def read_private() -> str:
        decoded = decode_event(sealed_event, ROOM)
        assert isinstance(decoded, ChatMessage)
        return open_sealed(decoded.sealed, decoded.id, ROOM, "alice", "bob", bob.box)

    n = args.messages
    rows = {
        "write: encode": (
            per_message_us(lambda: message.to_json().encode(), n),
            per_message_us(
                lambda: dump_event(alice.sign(message.wire_fields(), stream)).encode(), n
            ),
            per_message_us(seal_and_sign, n),
        ),
        "read: decode and check": (
            per_message_us(lambda: decode_event(unsigned, stream), n),
            per_message_us(lambda: decode_event(signed, stream), n),
            per_message_us(read_private, n),
        ),
    }
    print(table(
        ["per message, µs", "0.3: unsigned room event", "0.4: signed room event",
         "0.4: signed, encrypted direct message (2 members)"],
        [[step, *(f"{value:.1f}" for value in values)] for step, values in rows.items()],
    ))  # fmt: skip
    print(f"\nevent size, bytes: unsigned {len(unsigned)}, signed {len(signed)}, "
          f"direct {len(sealed_event)}")  # fmt: skip
    joins = asyncio.run(join_times(args.controller, args.history, alice)) if args.controller else {}
    if joins:
        print()
        print(table(
            [f"joining a room of {args.history:,} messages (history shown), ms",
             "unsigned (as 0.3 wrote)", "signed (0.4)"],
            [["median of 3", *(f"{joins[kind]:.0f}" for kind in ("unsigned", "signed"))]],
        ))  # fmt: skip
    save("signing", {"us_per_message": rows, "join_ms": joins,
                     "bytes": [len(unsigned), len(signed), len(sealed_event)]})  # fmt: skip


async def join_times(controller: str, count: int, alice: Identity) -> dict[str, float]:
    """How long a newcomer's join takes (its history read, decoded and checked) in a room of
    ``count`` unsigned messages, and in one of ``count`` signed ones, on one server."""
    scope = f"bench-sign-{uuid.uuid4().hex[:8]}"
    transport = Transport.connect(controller, scope)
    for room, signer in (("unsigned", None), ("signed", alice)):
        transport.signer = signer
        writer = await transport.open_writer(room)
        await writer.send_batch(
            [new_message(room, "alice", f"line {n} " * 8) for n in range(count)]
        )
    transport.signer = None
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as state:
        os.environ["XDG_STATE_HOME"] = state
        for room in ("unsigned", "signed"):
            runs = []
            for run in range(3):
                began = time.perf_counter()
                session = await RoomSession.open(transport, f"reader{run}", room, count)
                runs.append((time.perf_counter() - began) * 1000)
                assert len(session.history) == count, len(session.history)
                await session.close()
            times[room] = statistics.median(runs)
    return times


if __name__ == "__main__":
    main()
    exit_process(0)  # the binding's threads must not meet the interpreter's shutdown
