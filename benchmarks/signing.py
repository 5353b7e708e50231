"""What signatures and end-to-end encryption cost per message, next to the unsigned path of
pravechat 0.3, in one run on this machine (no server needed).

usage: python -m benchmarks.signing [--messages N]
Prints a markdown table of microseconds per message (median of 5 rounds).
"""

import argparse
import statistics
import time
from collections.abc import Callable

from benchmarks.results import save, table
from pravechat.core.identity import Identity
from pravechat.core.names import room_stream
from pravechat.core.protocol import ChatMessage, decode_event, dump_event, new_message
from pravechat.core.sealing import open_sealed, seal

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
    parser.add_argument("--controller", help="ignored: nothing here needs a server")
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
    save(
        "signing",
        {"us_per_message": rows, "bytes": [len(unsigned), len(signed), len(sealed_event)]},
    )


if __name__ == "__main__":
    main()
