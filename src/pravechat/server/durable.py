"""A durable Pravega on one machine: ZooKeeper, a BookKeeper bookie, the controller and the
segment store, each a JVM of its own, from the jars the standalone server already uses.

The standalone emulator keeps everything in memory. Here the segment store writes its
durable log to the bookie (journal and ledgers on disk) and its long-term storage to files
under the data directory (FILESYSTEM), and ZooKeeper keeps the cluster's metadata on disk:
a restart keeps every stream. The layout is a distributed deployment's, shrunk onto one host
(see the README for how each piece moves to a host of its own).
"""

import os
import signal
import subprocess
import time
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path

from pravechat.core.errors import PravechatError
from pravechat.core.paths import OWNER_ONLY_UMASK, private_dir
from pravechat.core.probe import controller_answers, tcp_reachable
from pravechat.server.jars import resolve_classpath
from pravechat.server.jvm import (
    java_flags,
    load_record,
    save_record,
    start_lock,
    stop_jvm,
    write_logback,
)
from pravechat.server.ports import port_holder, port_is_free, process_runs
from pravechat.server.tools import find_java

RECORD_FILE = "durable.json"
CLUSTER = "pravega-cluster"
LEDGERS_PATH = f"/pravega/{CLUSTER}/bookkeeper/ledgers"
"""Where the bookie registers and the segment store looks for it (Pravega's default layout)."""
CONTAINERS = 4
"""Segment containers: the controller and the segment store must agree."""


@dataclass(frozen=True)
class DurablePorts:
    controller: int = 9090
    segment_store: int = 6000
    zookeeper: int = 4000
    bookie: int = 3181
    controller_rest: int = 9091

    def named(self) -> dict[str, int]:
        return {
            "controller": self.controller,
            "segment store": self.segment_store,
            "ZooKeeper": self.zookeeper,
            "bookie": self.bookie,
            "controller REST": self.controller_rest,
        }


@dataclass(frozen=True)
class Piece:
    """One process of the cluster, in start order."""

    name: str
    main_class: str
    heap: str
    stop_grace: float
    """Seconds between SIGTERM and SIGKILL."""


PIECES = (
    Piece("zookeeper", "org.apache.zookeeper.server.ZooKeeperServerMain", "128m", 20.0),
    Piece("bookie", "org.apache.bookkeeper.server.Main", "256m", 20.0),
    # Its state lives in ZooKeeper and the segment store's tables; its own shutdown takes
    # 17-40 s (measured), most of it waiting on connections that do not matter any more.
    Piece("controller", "io.pravega.controller.server.Main", "384m", 3.0),
    Piece("segmentstore", "io.pravega.segmentstore.server.host.ServiceStarter", "512m", 30.0),
)
STOP_ORDER = ("controller", "segmentstore", "bookie", "zookeeper")
"""Clients first lose the controller; the segment store then flushes to the bookie while
the bookie and ZooKeeper are still up."""


@dataclass(frozen=True)
class DurableRecord:
    """What ``start`` launched, saved as durable.json."""

    pids: dict[str, int]
    uri: str
    data_dir: str
    started_at: float
    ports: DurablePorts


def _port_frees(port: int, wait: float = 10.0) -> bool:
    """True once ``port`` is free, waiting a little: the sockets of a server killed a moment
    ago take a while to close."""
    deadline = time.monotonic() + wait
    while not port_is_free(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def ports_zk(state_dir: Path) -> str:
    """ZooKeeper's address, from the zoo.cfg written by _configure."""
    config = (state_dir / "zoo.cfg").read_text()
    port = next(
        line.split("=")[1] for line in config.splitlines() if line.startswith("clientPort=")
    )
    return f"127.0.0.1:{port.strip()}"


class DurableServer:
    """The four processes, their configuration and logs in ``state_dir``, data in a data
    directory (``state_dir/data`` unless given)."""

    def __init__(self, state_dir: Path, cache_dir: Path) -> None:
        self.state_dir = state_dir
        self.cache_dir = cache_dir
        self._record_path = state_dir / RECORD_FILE

    def log_path(self, piece: str) -> Path:
        return self.state_dir / f"{piece}.log"

    # --- records -------------------------------------------------------------------------

    def record(self) -> DurableRecord | None:
        """The saved record, if any of its processes is still alive."""
        record = load_record(
            self._record_path,
            lambda raw: DurableRecord(**{**raw, "ports": DurablePorts(**raw["ports"])}),
        )
        if record is None:
            return None
        alive = [p for p in PIECES if process_runs(record.pids.get(p.name, -1), p.main_class)]
        return record if alive else None

    def dead_pieces(self, record: DurableRecord) -> list[str]:
        return [
            p.name for p in PIECES if not process_runs(record.pids.get(p.name, -1), p.main_class)
        ]

    # --- start ---------------------------------------------------------------------------

    def start(
        self,
        ports: DurablePorts | None = None,
        data_dir: Path | None = None,
        ready_timeout: float = 240.0,
    ) -> DurableRecord:
        """Start the four pieces unless they run; returns once the controller serves."""
        ports = ports or DurablePorts()
        data = (data_dir or self.state_dir / "data").resolve()
        with start_lock(self.state_dir):
            existing = self.record()
            if existing is not None:
                return existing
            for name, port in ports.named().items():
                if not _port_frees(port):
                    holder = port_holder(port)
                    raise PravechatError(
                        f"port {port} ({name}) is already in use"
                        f"{f' by {holder}' if holder else ''}; stop it or choose another port"
                    )
            java = find_java().path
            classpath = resolve_classpath(self.cache_dir)
            pids: dict[str, int] = {}
            uri = f"tcp://127.0.0.1:{ports.controller}"
            record = DurableRecord(pids, uri, str(data), time.time(), ports)
            try:
                self._configure(ports, data)
                for piece in PIECES:
                    if piece.name == "bookie":
                        self._format_bookkeeper(java, classpath, data)
                    process = self._spawn(java, classpath, piece, ports, data)
                    pids[piece.name] = process.pid
                    self._save(record)
                    self._wait_for(piece, process, ports, record, ready_timeout)
            except BaseException:
                self._stop_pids(pids)
                self._record_path.unlink(missing_ok=True)
                raise
            return record

    def _save(self, record: DurableRecord) -> None:
        save_record(self._record_path, asdict(record))

    def _configure(self, ports: DurablePorts, data: Path) -> None:
        for folder in ("", "zookeeper", "bookie", "bookie/journal", "bookie/ledgers", "lts"):
            private_dir(data / folder)  # the chat's history, on disk
        (self.state_dir / "zoo.cfg").write_text(
            "tickTime=2000\n"
            f"dataDir={data / 'zookeeper'}\n"
            f"clientPort={ports.zookeeper}\n"
            "clientPortAddress=127.0.0.1\n"
            "admin.enableServer=false\n"
            "autopurge.snapRetainCount=3\n"
            "autopurge.purgeInterval=1\n"
        )
        (self.state_dir / "bookie.conf").write_text(
            f"bookiePort={ports.bookie}\n"
            "advertisedAddress=127.0.0.1\n"
            "allowLoopback=true\n"
            "useHostNameAsBookieID=false\n"
            f"metadataServiceUri=zk://127.0.0.1:{ports.zookeeper}{LEDGERS_PATH}\n"
            f"journalDirectories={data / 'bookie/journal'}\n"
            f"ledgerDirectories={data / 'bookie/ledgers'}\n"
            "journalSyncData=true\n"
            "httpServerEnabled=false\n"
            "diskUsageThreshold=0.99\n"
            "diskUsageWarnThreshold=0.98\n"
        )
        (self.state_dir / "config.properties").touch()  # the segment store insists on one
        for piece in PIECES:
            write_logback(self.state_dir / f"{piece.name}.logback.xml", self.log_path(piece.name))

    def _properties(self, piece: Piece, ports: DurablePorts, data: Path) -> dict[str, object]:
        zk = f"127.0.0.1:{ports.zookeeper}"
        common: dict[str, object] = {
            "logback.configurationFile": self.state_dir / f"{piece.name}.logback.xml",
            "java.io.tmpdir": self.state_dir / "tmp",
        }
        if piece.name == "zookeeper":
            return {**common, "zookeeper.log.dir": self.state_dir}
        if piece.name == "bookie":
            return common
        if piece.name == "controller":
            return {
                **common,
                "controller.zk.connect.uri": zk,
                "controller.server.store.host.type": "Zookeeper",
                "controller.service.rpc.listener.port": ports.controller,
                "controller.service.rpc.published.host.nameOrIp": "127.0.0.1",
                "controller.service.rpc.published.port": ports.controller,
                "controller.service.rest.listener.host.ip": "127.0.0.1",
                "controller.service.rest.listener.port": ports.controller_rest,
                "controller.container.count": CONTAINERS,
                "controller.cluster.name": CLUSTER,
            }
        return {
            **common,
            "pravegaservice.zk.connect.uri": zk,
            "pravegaservice.clusterName": CLUSTER,
            "pravegaservice.container.count": CONTAINERS,
            "pravegaservice.service.listener.host.nameOrIp": "127.0.0.1",
            "pravegaservice.service.listener.port": ports.segment_store,
            "pravegaservice.service.published.host.nameOrIp": "127.0.0.1",
            "pravegaservice.dataLog.impl.name": "BOOKKEEPER",
            "pravegaservice.storage.impl.name": "FILESYSTEM",
            "pravegaservice.cache.size.max": 256 * 1024 * 1024,
            "pravegaservice.rest.listener.enable": False,
            "pravegaservice.admin.gateway.enable": False,
            "filesystem.root": data / "lts",
            "bookkeeper.zk.connect.uri": zk,
            "bookkeeper.ledger.path": LEDGERS_PATH,
            "bookkeeper.ensemble.size": 1,
            "bookkeeper.write.quorum.size": 1,
            "bookkeeper.ack.quorum.size": 1,
            "autoScale.controller.connect.uri": f"tcp://127.0.0.1:{ports.controller}",
            "metrics.enable": False,
        }

    def _command(
        self, java: Path, classpath: str, piece: Piece, ports: DurablePorts, data: Path
    ) -> list[str]:
        properties = self._properties(piece, ports, data)
        arguments: list[str] = []
        if piece.name == "zookeeper":
            arguments = [str(self.state_dir / "zoo.cfg")]
        elif piece.name == "bookie":
            arguments = ["--conf", str(self.state_dir / "bookie.conf")]
        return [
            str(java),
            f"-Xmx{piece.heap}",
            "-XX:MaxDirectMemorySize=512m" if piece.name == "segmentstore" else "-Xss1m",
            "-XX:+UseSerialGC",
            "-XX:+ExitOnOutOfMemoryError",
            *java_flags(properties),
            "-cp",
            classpath,
            piece.main_class,
            *arguments,
        ]

    def _spawn(
        self, java: Path, classpath: str, piece: Piece, ports: DurablePorts, data: Path
    ) -> "subprocess.Popen[bytes]":
        (self.state_dir / "tmp").mkdir(parents=True, exist_ok=True)
        command = self._command(java, classpath, piece, ports, data)
        with (self.state_dir / f"{piece.name}.out").open("wb") as output:
            return subprocess.Popen(
                command,
                cwd=self.state_dir,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                umask=OWNER_ONLY_UMASK,  # its data, logs and ledgers: the owner's alone
            )

    def _format_bookkeeper(self, java: Path, classpath: str, data: Path) -> None:
        """Create BookKeeper's metadata in ZooKeeper, the first time only."""
        marker = data / "bookie" / "metadata-created"
        if marker.exists():
            return
        java_command = [
            str(java),
            "-Xmx128m",
            f"-Dlogback.configurationFile={self.state_dir / 'bookie.logback.xml'}",
            "-cp",
            classpath,
        ]
        parents = "".join(
            f"create {LEDGERS_PATH.rsplit('/', depth)[0]}\n" for depth in (3, 2, 1)
        )  # the ledgers' parents: BookKeeper creates only the last level
        steps = [
            (["org.apache.zookeeper.ZooKeeperMain", "-server", ports_zk(self.state_dir)],
             parents + "quit\n"),
            (["org.apache.bookkeeper.bookie.BookieShell", "-conf",
              str(self.state_dir / "bookie.conf"), "initnewcluster"], ""),
        ]  # fmt: skip
        for arguments, given in steps:
            result = subprocess.run(
                [*java_command, *arguments],
                cwd=self.state_dir,  # anything they write lands there
                umask=OWNER_ONLY_UMASK,
                input=given,
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
            if result.returncode != 0:
                detail = [
                    line
                    for line in (result.stdout + result.stderr).splitlines()
                    if "Exception" in line
                ][:2]
                raise PravechatError(
                    "BookKeeper's metadata could not be created: " + " ".join(detail)
                )
        marker.touch(mode=0o600)  # in the data directory: its owner's alone, as the rest

    def _wait_for(
        self,
        piece: Piece,
        process: "subprocess.Popen[bytes]",
        ports: DurablePorts,
        record: DurableRecord,
        timeout: float,
    ) -> None:
        deadline = time.monotonic() + timeout
        port = {
            "zookeeper": ports.zookeeper,
            "bookie": ports.bookie,
            "controller": ports.controller,
            "segmentstore": ports.segment_store,
        }[piece.name]
        while time.monotonic() < deadline:
            if (code := process.poll()) is not None:
                output = (self.state_dir / f"{piece.name}.out").read_text(errors="replace")
                tail = [line for line in output.splitlines() if line.strip()][-3:]
                raise PravechatError(
                    f"the {piece.name} exited while starting (status {code}); see "
                    f"{self.log_path(piece.name)}: " + " | ".join(tail)
                )
            if tcp_reachable("127.0.0.1", port, 0.5) and (
                piece.name != "segmentstore" or controller_answers(record.uri, 10.0)
            ):
                return
            time.sleep(0.25)
        raise PravechatError(
            f"the {piece.name} did not start within {timeout:.0f} s; "
            f"see {self.log_path(piece.name)}"
        )

    # --- stop ----------------------------------------------------------------------------

    def stop(self) -> DurableRecord | None:
        """Stop every piece, in STOP_ORDER."""
        record = self.record()
        self._record_path.unlink(missing_ok=True)
        if record is None:
            return None
        self._stop_pids(record.pids)
        return record

    def _stop_pids(self, pids: dict[str, int]) -> None:
        by_name = {piece.name: piece for piece in PIECES}
        for piece in (by_name[name] for name in STOP_ORDER):
            pid = pids.get(piece.name)
            if pid is not None and not stop_jvm(pid, piece.main_class, piece.stop_grace):
                raise PravechatError(f"could not stop the {piece.name} (pid {pid})")

    def kill(self) -> None:
        """SIGKILL every piece at once, as a power cut would (for tests)."""
        record = self.record()
        if record is None:
            return
        for piece in PIECES:
            with suppress(ProcessLookupError):
                os.kill(record.pids[piece.name], signal.SIGKILL)
        for piece in PIECES:
            while process_runs(record.pids[piece.name], piece.main_class):
                time.sleep(0.05)
        self._record_path.unlink(missing_ok=True)
