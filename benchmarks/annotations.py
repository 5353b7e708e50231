"""What a reply, a reaction and an edit cost on delivery latency, next to a plain line, in one
run on this machine, through the real server.

usage: python -m benchmarks.annotations [--controller URI] [--events N] [--history N]

alice (a signing bot) fills the lobby with ``--history`` lines, so that bob's screen holds that
many (an edit or a reaction redraws a line among them); bob runs the real app, headless, in
this process. alice then sends ``--events`` events of each kind, ten a second: plain lines,
replies, reactions and edits of her earlier lines. Each is timed from alice's send call to the
refresh of bob's screen that shows it (the line, or the line it changes).
"""

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.results import ms, save, summary, table
from pravechat.core.identity import Identity
from pravechat.core.keys import sync_keys
from pravechat.core.process import exit_process
from pravechat.core.protocol import Kind
from pravechat.core.session import RoomSession
from pravechat.core.settings import Settings
from pravechat.core.transport import Transport
from pravechat.core.trust import KeyRing
from pravechat.ui.app import PravechatApp
from pravechat.ui.messages import Delivered
from pravechat.ui.run import build_app

KINDS = ("plain line", "reply", "reaction", "edit")
RATE = 10.0


class TimedApp(PravechatApp):
    """The real app; once a batch is on the log, the next refresh stamps its events."""

    shown: dict[str, int]

    def on_delivered(self, event: Delivered) -> None:
        ids = [delivery.message.id for delivery in event.deliveries]
        self.call_after_refresh(self._stamp, ids)

    def _stamp(self, ids: list[str]) -> None:
        now = time.perf_counter_ns()
        for id_ in ids:
            self.shown.setdefault(id_, now)


async def _alice(uri: str, scope: str) -> RoomSession:
    transport = Transport.connect(uri, scope)
    identity = Identity.generate("alice")
    transport.signer = identity
    await sync_keys(transport, identity, KeyRing(own=("alice", identity.key)))
    return await RoomSession.open(transport, "alice", "lobby")


async def _run(uri: str, events: int, history: int) -> dict[str, Any]:
    scope = f"bench-ann-{uuid.uuid4().hex[:8]}"
    alice = await _alice(uri, scope)
    writer = await alice._transport.open_writer("lobby")
    from pravechat.core.protocol import new_message

    earlier = [new_message("lobby", "alice", f"earlier line {n}") for n in range(history)]
    for first in range(0, len(earlier), 1000):
        await writer.send_batch(earlier[first : first + 1000])
    settings = Settings(user="bob", controller=uri, scope=scope, history=history,
                        scrollback=max(history, 100) + 10 * events)  # fmt: skip
    app = build_app(settings, Transport.connect(uri, scope), app_class=TimedApp)
    assert isinstance(app, TimedApp)
    app.shown = {}
    sent: dict[str, list[tuple[str, int]]] = {kind: [] for kind in KINDS}
    rng = random.Random(7)
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + 120
        while app.session is None or len(app.chat_log.entries) < history:
            if time.monotonic() > deadline:
                raise SystemExit(f"bob's screen never showed the history: "
                                 f"{len(app.chat_log.entries)} entries, {app.state}")  # fmt: skip
            await pilot.pause(0.1)
        await pilot.pause(1.0)
        for kind in KINDS:
            for n in range(events):
                target = earlier[-1 - rng.randrange(min(history, 50))].id if history else None
                began = time.perf_counter_ns()
                match kind:
                    case "plain line":
                        message = alice.submit(f"a plain line {n}")
                    case "reply":
                        message = alice.submit(f"a reply {n}", reply_to=target)
                    case "reaction":
                        message = alice.submit(f"r{n}", Kind.REACT, target=target)
                    case _:
                        message = alice.submit(f"edited {n}", Kind.EDIT, target=target)
                sent[kind].append((message.id, began))
                await asyncio.sleep(1 / RATE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(
            id_ not in app.shown for pairs in sent.values() for id_, _ in pairs
        ):
            await pilot.pause(0.1)
        latencies = {
            kind: [(app.shown[id_] - began) / 1e6 for id_, began in pairs if id_ in app.shown]
            for kind, pairs in sent.items()
        }
    await alice.close()
    return {"history": history, "events": events, "latency_ms": latencies}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--controller", default="tcp://127.0.0.1:9090")
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--history", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state:  # bob's keys and trust, thrown away
        import os

        os.environ["XDG_STATE_HOME"] = str(Path(state))
        result = asyncio.run(_run(args.controller, args.events, args.history))
    stats = {kind: summary(values) for kind, values in result["latency_ms"].items()}
    save("annotations", {**result, "summary": stats})
    print(f"{args.events} events of each kind at {RATE:.0f}/s, {args.history:,} lines on screen\n")
    print(table(
        ["kind", "shown", "p50 ms", "p99 ms", "max ms"],
        [[kind, f"{s['count']}/{args.events}", ms(s["p50"]), ms(s["p99"]), ms(s["max"])]
         for kind, s in stats.items()],
    ))  # fmt: skip


if __name__ == "__main__":
    main()
    exit_process(0)
