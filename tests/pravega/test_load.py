"""Load: N clients in one room each send M messages at once, and every client ends with the
same N x M messages in the same order, with no gap and no duplicate (as Pravega's own system
tests check read count, per-writer order and duplicates).

CI runs a small size; `make soak` runs 20 clients x 500 messages. A client here is a user's
reader session (its own reader process) plus a `pravechat send` process writing its lines.
"""

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from pravechat.core.session import RoomSession
from pravechat.core.transport import Transport

CLIENTS = int(os.environ.get("PRAVECHAT_LOAD_CLIENTS", "6"))
MESSAGES = int(os.environ.get("PRAVECHAT_LOAD_MESSAGES", "200"))


async def _read(session: RoomSession, count: int, timeout: float) -> list[str]:
    texts: list[str] = []
    async with asyncio.timeout(timeout):
        async for batch in session.batches():
            texts += [delivery.message.text for delivery in batch]
            if len(texts) >= count:
                return texts
    return texts


async def test_every_client_holds_every_message_once_in_one_order(
    pravega_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    scope = f"load-{uuid.uuid4().hex[:10]}"
    transport = Transport.connect(pravega_uri, scope)
    sessions = [await RoomSession.open(transport, f"user{n}", "load") for n in range(CLIENTS)]
    total = CLIENTS * MESSAGES
    try:
        senders = [
            subprocess.Popen(
                [sys.executable, "-m", "pravechat", "send", f"--user=user{n}", "--room=load",
                 f"--controller={pravega_uri}", f"--scope={scope}", "-"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for n in range(CLIENTS)
        ]  # fmt: skip
        for n, sender in enumerate(senders):
            assert sender.stdin is not None
            sender.stdin.write("".join(f"user{n} says {i}\n" for i in range(MESSAGES)))
            sender.stdin.close()
        held = await asyncio.gather(*(_read(s, total, 60 + total / 50) for s in sessions))
        for sender in senders:
            assert sender.wait(timeout=120) == 0, sender.stderr.read() if sender.stderr else ""
    finally:
        await asyncio.gather(*(session.close() for session in sessions))
    lost = [total - len(set(texts)) for texts in held]
    duplicated = [len(texts) - len(set(texts)) for texts in held]
    print(f"{CLIENTS} clients x {MESSAGES} messages: each holds {[len(t) for t in held]}, "
          f"lost {sum(lost)}, duplicated {sum(duplicated)}")  # fmt: skip
    assert lost == [0] * CLIENTS and duplicated == [0] * CLIENTS
    assert all(texts == held[0] for texts in held)  # one and the same order everywhere
    for n in range(CLIENTS):
        mine = [text for text in held[0] if text.startswith(f"user{n} says ")]
        assert mine == [f"user{n} says {i}" for i in range(MESSAGES)]  # no gap, sent order
