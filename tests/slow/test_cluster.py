"""`pravechat server start --cluster`: two users chat while, one at a time, a bookie, a
segment store and a controller are SIGKILLed and started again, then one of each at once;
and a client killed with lines pending sends them at its next start.

The bar is Pravega's own failover system tests, seen from a chat: every message is delivered
to each user exactly once, both users see one order, each sender's lines in the order sent.
Each drill prints how long the chat stalled (`make test-cluster` shows it; CI runs it).
"""

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pravechat.core.blocking import off_loop
from pravechat.core.paths import cache_dir
from pravechat.core.session import RoomSession
from pravechat.core.transport import Transport
from pravechat.server.durable import CLUSTER_LAYOUT, DurablePorts, DurableRecord, DurableServer
from pravechat.server.ports import quiet_block
from tests.helpers import wait_for_pane

pytestmark = pytest.mark.durable

FAULTS = (("bookie-2",), ("segmentstore-1",), ("segmentstore-2",), ("controller-1",),
          ("controller-2",), ("bookie-3", "segmentstore-1", "controller-1"))  # fmt: skip
"""One at a time (both segment stores and both controllers: which one holds a room or serves
a client is the cluster's choice), then one of each at once (ZooKeeper is one: losing it
stops the cluster)."""
ROUNDS = int(os.environ.get("PRAVECHAT_CLUSTER_ROUNDS", "2"))
GAP_WINDOW = 60.0
"""Seconds after a kill in which the longest gap between deliveries is measured (the stall
is only the first: a client moving to another controller pauses a little later)."""
DOWN_MAX = 45.0
"""Seconds a killed piece stays dead at most: long enough for the cluster to move its work
elsewhere, if it can (it cannot replace one of three bookies: writes wait for it)."""
EVERY = 0.25
"""Seconds between one user's lines."""


Cluster = tuple[DurableServer, DurableRecord]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    work = tmp_path_factory.mktemp("cluster")
    server = DurableServer(work / "state", cache_dir(), CLUSTER_LAYOUT)
    began = time.monotonic()
    record = server.start(DurablePorts.block(quiet_block(10)), work / "data")
    print(f"\ncluster cold start: {time.monotonic() - began:.1f} s")
    try:
        yield server, record
    finally:
        server.stop()


@dataclass
class Listener:
    """What one user was delivered, and when."""

    session: RoomSession
    arrivals: list[tuple[float, str]] = field(default_factory=list)

    def start(self) -> "asyncio.Task[None]":
        return asyncio.get_running_loop().create_task(self._collect())

    async def _collect(self) -> None:
        async for batch in self.session.batches():
            now = time.monotonic()
            self.arrivals += [(now, d.message.text) for d in batch]

    def texts(self) -> list[str]:
        return [text for _, text in self.arrivals]

    def longest_gap(self, start: float, end: float) -> float:
        """The longest time without a delivery between ``start`` and ``end``."""
        times = [start, *(at for at, _ in self.arrivals if start < at < end), end]
        return max(later - earlier for earlier, later in itertools.pairwise(times))

    def stall(self, killed_at: float) -> float:
        """From the last delivery before the kill to the first after it."""
        before = [at for at, _ in self.arrivals if at <= killed_at]
        after = [at for at, _ in self.arrivals if at > killed_at]
        return after[0] - (before[-1] if before else killed_at)


async def _talk(session: RoomSession, said: list[str], stop: asyncio.Event) -> None:
    """A line every EVERY seconds, queued as the chat's Enter queues it."""
    n = 0
    while not stop.is_set():
        text = f"{session.user} {n}"
        session.submit(text)
        said.append(text)
        n += 1
        await asyncio.sleep(EVERY)


async def _until(what: str, condition: Callable[[], bool], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        await asyncio.sleep(0.1)


async def test_two_users_chat_while_pieces_die_and_nothing_is_lost_or_repeated(
    cluster: Cluster,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, record = cluster
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "clients"))
    scope = f"c-{uuid.uuid4().hex[:10]}"
    sessions = [
        await RoomSession.open(Transport.connect(record.uri, scope), user, "lobby")
        for user in ("alice", "bob")
    ]
    listeners = [Listener(session) for session in sessions]
    collecting = [listener.start() for listener in listeners]
    said: dict[str, list[str]] = {"alice": [], "bob": []}
    stop = asyncio.Event()
    talking = [
        asyncio.get_running_loop().create_task(_talk(s, said[s.user], stop)) for s in sessions
    ]
    stalls: dict[str, list[float]] = {}
    gaps: dict[str, list[float]] = {}
    try:
        for _ in range(ROUNDS):
            for pieces in FAULTS:
                await asyncio.sleep(4)  # steady chat before the fault
                killed_at = time.monotonic()
                for piece in pieces:
                    await off_loop(server.kill_piece, piece)

                def resumed(at: float = killed_at) -> bool:
                    return all(listener.arrivals[-1][0] > at for listener in listeners)

                with contextlib.suppress(AssertionError):  # it did not move on: it waits
                    await _until("the chat going on without it", resumed, DOWN_MAX)
                await off_loop(server.start)  # starts what died
                await _until(f"the chat after {' + '.join(pieces)} died", resumed)
                await asyncio.sleep(GAP_WINDOW - (time.monotonic() - killed_at))
                for listener in listeners:
                    stalls.setdefault(" + ".join(pieces), []).append(listener.stall(killed_at))
                    gaps.setdefault(" + ".join(pieces), []).append(
                        listener.longest_gap(killed_at, killed_at + GAP_WINDOW)
                    )
        stop.set()
        await asyncio.gather(*talking)
        everything = said["alice"] + said["bob"]

        def all_there() -> bool:
            return all(set(listener.texts()) >= set(everything) for listener in listeners)

        await _until(f"both holding all {len(everything)} lines", all_there)
        await asyncio.sleep(5)  # time for a copy to show up
    finally:
        stop.set()
        for task in (*talking, *collecting):
            task.cancel()
        await asyncio.gather(*(session.close() for session in sessions))

    alice_saw, bob_saw = (listener.texts() for listener in listeners)
    lost = sum(len(set(everything) - set(saw)) for saw in (alice_saw, bob_saw))
    shown_twice = sum(len(saw) - len(set(saw)) for saw in (alice_saw, bob_saw))
    print(
        f"\n{len(everything)} lines sent over {ROUNDS} round(s) of {len(FAULTS)} faults; "
        f"over the whole drill, for both users: lost {lost}, shown twice {shown_twice}"
    )
    print(f"{'fault':<42}{'stall p50 / max (s)':>21}{'longest gap p50 / max (s)':>27}")
    for fault, seconds in stalls.items():
        stall = f"{statistics.median(seconds):.2f} / {max(seconds):.2f}"
        gap = f"{statistics.median(gaps[fault]):.2f} / {max(gaps[fault]):.2f}"
        print(f"{fault:<42}{stall:>21}{gap:>27}")
    assert lost == 0 and shown_twice == 0
    for saw in (alice_saw, bob_saw):
        for user, lines in said.items():  # each sender's lines in the order sent
            assert [text for text in saw if text.startswith(f"{user} ")] == lines
    assert alice_saw == bob_saw  # one order for everyone


_CLIENT = """
import asyncio, sys
from pravechat.core.process import exit_process
from pravechat.core.session import RoomSession
from pravechat.core.transport import Transport

async def main(uri, scope):
    session = await RoomSession.open(Transport.connect(uri, scope), "tim", "lobby")
    print("open", flush=True)
    for line in sys.stdin:
        session.submit(line.strip())
        print("pending", len(session.pending), flush=True)
    while session.pending:
        await asyncio.sleep(0.1)
    await session.close()
    print("sent", flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2]))
exit_process(0)
"""


def test_a_client_killed_with_lines_pending_sends_them_at_its_next_start(
    cluster: Cluster, tmp_path: Path
) -> None:
    server, record = cluster
    scope = f"c-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "tim"), "RUST_LOG": "off"}
    command = [sys.executable, "-c", _CLIENT, record.uri, scope]
    client = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    assert client.stdin is not None and client.stdout is not None
    try:
        assert client.stdout.readline().strip() == "open"
        for piece in ("segmentstore-1", "segmentstore-2"):  # nothing can be acknowledged
            server.kill_piece(piece)
        lines = [f"typed while the cluster was away {n}" for n in range(5)]
        for n, line in enumerate(lines, 1):
            client.stdin.write(line + "\n")
            client.stdin.flush()
            assert client.stdout.readline().split() == ["pending", str(n)]
        client.kill()  # kill -9: no quitting, no saving
    finally:
        client.kill()
        client.wait()
    server.start()
    again = subprocess.run(command, env=env, input="", capture_output=True, text=True,
                           timeout=240, check=False)  # fmt: skip
    assert again.stdout.split()[-1] == "sent", again.stderr[-2000:]
    shown = subprocess.run(
        [sys.executable, "-m", "pravechat", "history", "lobby", "--json"],
        env={**env, "PRAVECHAT_CONTROLLER": record.uri, "PRAVECHAT_SCOPE": scope},
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    texts = [json.loads(line)["text"] for line in shown.stdout.splitlines()]
    assert texts == lines  # each once, in order


PRAVECHAT = Path(sys.executable).parent / "pravechat"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_chat_given_both_controllers_goes_on_through_the_other_when_one_dies(
    cluster: Cluster, tmux: list[str], tmp_path: Path
) -> None:
    """The real program in tmux, --controller naming both, as the README says to run it."""
    server, record = cluster
    scope = f"c-{uuid.uuid4().hex[:10]}"
    subprocess.run([*tmux, "new-session", "-d", "-s", "chat", "-x", "100", "-y", "30"], check=True)
    subprocess.run([*tmux, "send-keys", "-t", "chat", f"XDG_STATE_HOME={tmp_path} {PRAVECHAT} "
                    f"--user tim --controller {record.uri} --scope {scope}; echo EXITED $?",
                    "Enter"], check=True)  # fmt: skip
    wait_for_pane(tmux, "chat", "you are in #lobby as tim")
    first = record.uri.removeprefix("tcp://").split(",")[0]
    server.kill_piece("controller-1")  # the first named: the one it chose
    try:
        screen = wait_for_pane(tmux, "chat", "through the controller at", seconds=90)
        assert first not in screen.split("through the controller at")[1].splitlines()[0]
        subprocess.run([*tmux, "send-keys", "-t", "chat", "still here", "Enter"], check=True)
        wait_for_pane(tmux, "chat", "tim still here")
        subprocess.run([*tmux, "send-keys", "-t", "chat", "C-q"], check=True)
        wait_for_pane(tmux, "chat", "EXITED 0", seconds=60)
    finally:
        server.start()
    shown = subprocess.run(
        [sys.executable, "-m", "pravechat", "history", "lobby", "--json"],
        env={**os.environ, "PRAVECHAT_CONTROLLER": record.uri, "PRAVECHAT_SCOPE": scope,
             "RUST_LOG": "off", "XDG_STATE_HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert [json.loads(line)["text"] for line in shown.stdout.splitlines()] == ["still here"]
