"""A durable Pravega on one machine: ZooKeeper, BookKeeper bookies, controllers and segment
stores, each a JVM of its own, from the jars the standalone server already uses.

Two layouts: ``--durable`` runs one of each (quorums of 1); ``--cluster`` runs three bookies
(ensemble 3, write quorum 3, ack quorum 2: Pravega's defaults), two segment stores sharing the
long-term storage, and two controllers: a controller or a segment store can die (``server
kill --piece``) and the chat goes on; a dead bookie holds writes until it is back.

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
from typing import Any

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
from pravechat.server.secure import PUBLISHED_HOST, SecureFiles, ensure_secure_files
from pravechat.server.tools import find_java

RECORD_FILE = "durable.json"
STATE_DIRS = {"durable": "durable", "cluster": "cluster"}
"""Each layout's state directory, under pravechat's: both can be on disk, one running."""
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

    def named(self, layout: "Layout | None" = None) -> dict[str, int]:
        """Every port the layout listens on, by what listens there."""
        ports = {}
        for instance in instances(layout or SINGLE):
            ports[instance.name] = self.of(instance)
            if instance.piece.name == "controller":
                ports[f"{instance.name} REST"] = self.rest_of(instance)
        return ports

    def of(self, instance: "Instance") -> int:
        """Where ``instance`` listens: the first of a kind on the given port, the next ones
        above it (controllers two apart: each has its REST port next to it)."""
        base = {
            "zookeeper": self.zookeeper,
            "bookie": self.bookie,
            "controller": self.controller,
            "segmentstore": self.segment_store,
        }[instance.piece.name]
        step = 2 if instance.piece.name == "controller" else 1
        return base + step * instance.index

    def rest_of(self, instance: "Instance") -> int:
        return self.controller_rest + 2 * instance.index

    @classmethod
    def block(cls, base: int) -> "DurablePorts":
        """Ten consecutive ports from ``base``, enough for a cluster: controllers at +0 and
        +2 (REST +1, +3), segment stores +4, +5, bookies +6 to +8, ZooKeeper +9."""
        return cls(base, base + 4, base + 9, base + 6, base + 1)


@dataclass(frozen=True)
class Layout:
    """How many of each piece, and the bookies' quorums."""

    bookies: int = 1
    segment_stores: int = 1
    controllers: int = 1
    ensemble: int = 1
    write_quorum: int = 1
    ack_quorum: int = 1


SINGLE = Layout()
CLUSTER_LAYOUT = Layout(bookies=3, segment_stores=2, controllers=2,
                        ensemble=3, write_quorum=3, ack_quorum=2)  # fmt: skip


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
class Instance:
    """One process of a layout: ``bookie-2`` is the second bookie; a piece that runs once is
    named as the piece (``controller``)."""

    name: str
    piece: Piece
    index: int


def instances(layout: Layout) -> list[Instance]:
    """The layout's processes, in start order."""
    counts = {
        "zookeeper": 1,
        "bookie": layout.bookies,
        "controller": layout.controllers,
        "segmentstore": layout.segment_stores,
    }
    found = []
    for piece in PIECES:
        count = counts[piece.name]
        for index in range(count):
            name = piece.name if count == 1 else f"{piece.name}-{index + 1}"
            found.append(Instance(name, piece, index))
    return found


def controllers_uri(ports: "DurablePorts", layout: Layout, secure: bool = False) -> str:
    """Every controller, as clients take them (``tcp://host:port,host:port``; with TLS by
    the name its certificate holds)."""
    host = PUBLISHED_HOST if secure else "127.0.0.1"
    addresses = [f"{host}:{ports.of(i)}" for i in instances(layout) if i.piece.name == "controller"]
    return ("tls://" if secure else "tcp://") + ",".join(addresses)


@dataclass(frozen=True)
class DurableRecord:
    """What ``start`` launched, saved as durable.json."""

    pids: dict[str, int]
    uri: str
    data_dir: str
    started_at: float
    ports: DurablePorts
    layout: Layout = SINGLE
    secure: bool = False
    """TLS and password authentication (`server start --durable --secure`)."""


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
    """The layout's processes, their configuration and logs in ``state_dir``, data in a data
    directory (``state_dir/data`` unless given)."""

    def __init__(self, state_dir: Path, cache_dir: Path, layout: Layout = SINGLE) -> None:
        self.state_dir = state_dir
        self.cache_dir = cache_dir
        self.layout = layout
        self._record_path = state_dir / RECORD_FILE
        self.secure_files = SecureFiles(state_dir / "secure")

    def log_path(self, piece: str) -> Path:
        return self.state_dir / f"{piece}.log"

    def piece_names(self) -> list[str]:
        return [instance.name for instance in instances(self.layout)]

    # --- records -------------------------------------------------------------------------

    def record(self) -> DurableRecord | None:
        """The saved record, if any of its processes is still alive."""
        record = load_record(self._record_path, _build_record)
        if record is None:
            return None
        running = [i for i in instances(record.layout) if _runs(record, i)]
        return record if running else None

    def answers(self, record: DurableRecord, timeout: float = 3.0) -> bool:
        """Whether a controller serves requests (logging in, when secure)."""
        login = self.secure_files.credentials().client_env() if record.secure else None
        return controller_answers(record.uri, timeout, login)

    def dead_pieces(self, record: DurableRecord) -> list[str]:
        return [i.name for i in instances(record.layout) if not _runs(record, i)]

    # --- start ---------------------------------------------------------------------------

    def start(
        self,
        ports: DurablePorts | None = None,
        data_dir: Path | None = None,
        ready_timeout: float = 240.0,
        secure: bool = False,
    ) -> DurableRecord:
        """Start the layout unless it runs (then start the pieces of it that died); returns
        once the controllers serve. ``secure``: clients and servers talk TLS, and clients
        log in (secure_files)."""
        with start_lock(self.state_dir):
            existing = self.record()
            if existing is not None:
                if existing.secure != secure:
                    raise PravechatError(
                        f"it runs {'with' if existing.secure else 'without'} --secure: "
                        "`pravechat server stop` it first"
                    )
                if self.dead_pieces(existing):
                    self._restart_dead(existing, ready_timeout)
                return existing
            ports = ports or DurablePorts()
            data = (data_dir or self.state_dir / "data").resolve()
            named = ports.named(self.layout)
            if len(set(named.values())) < len(named):
                raise PravechatError(f"two pieces would share a port: {named}")
            for name, port in named.items():
                if not _port_frees(port):
                    holder = port_holder(port)
                    raise PravechatError(
                        f"port {port} ({name}) is already in use"
                        f"{f' by {holder}' if holder else ''}; stop it or choose another port"
                    )
            pids: dict[str, int] = {}
            uri = controllers_uri(ports, self.layout, secure)
            record = DurableRecord(pids, uri, str(data), time.time(), ports, self.layout, secure)
            try:
                if secure:
                    ensure_secure_files(self.secure_files.directory, find_java().path)
                self._configure(ports, data, secure)
                self._start_pieces(record, instances(self.layout), ready_timeout)
            except BaseException:
                self._stop_pids(record)
                self._record_path.unlink(missing_ok=True)
                raise
            return record

    def _start_pieces(
        self, record: DurableRecord, which: list[Instance], ready_timeout: float
    ) -> None:
        java = find_java().path
        classpath = resolve_classpath(self.cache_dir)
        data = Path(record.data_dir)
        for instance in which:
            if instance.piece.name == "bookie" and instance.index == 0:
                self._format_bookkeeper(java, classpath, data, instance.name)
            process = self._spawn(java, classpath, instance, record)
            record.pids[instance.name] = process.pid
            self._save(record)
            self._wait_for(instance, process, record, ready_timeout)

    def _restart_dead(self, record: DurableRecord, ready_timeout: float) -> None:
        """Start again, with the configuration they had, the pieces that are not running."""
        dead = [i for i in instances(record.layout) if not _runs(record, i)]
        for instance in dead:
            port = record.ports.of(instance)
            if not _port_frees(port, wait=30.0):
                raise PravechatError(f"port {port} of the {instance.name} is still in use")
        self._start_pieces(record, dead, ready_timeout)
        # A piece's port answering is not the cluster serving again: the segment stores may
        # still be recovering their logs from a bookie that was away.
        deadline = time.monotonic() + ready_timeout
        while not self.answers(record, 10.0):
            if time.monotonic() > deadline:
                raise PravechatError(
                    f"started {', '.join(i.name for i in dead)} again, but the controllers "
                    f"do not serve within {ready_timeout:.0f} s; see `pravechat server logs`"
                )
            time.sleep(1.0)

    def _save(self, record: DurableRecord) -> None:
        save_record(self._record_path, asdict(record))

    def _configure(self, ports: DurablePorts, data: Path, secure: bool) -> None:
        folders = ["", "zookeeper", "lts"]
        for name in self.piece_names():
            if name.startswith("bookie"):
                folders += [name, f"{name}/journal", f"{name}/ledgers"]
        for folder in folders:
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
        for instance in instances(self.layout):
            if instance.piece.name == "bookie":
                self._configure_bookie(instance, ports, data)
        # The segment stores read config.properties, the controllers conf.file: the secret
        # there, readable by its owner alone; the segment store insists on one anyway.
        secrets = self.secure_files.secret_properties() if secure else {}
        for name in ("config.properties", "controller.properties"):
            path = self.state_dir / name
            path.touch(mode=0o600)
            path.chmod(0o600)  # one from an earlier version may be 0644
            path.write_text("".join(f"{key}={value}\n" for key, value in secrets.items()))
        for name in self.piece_names():
            write_logback(self.state_dir / f"{name}.logback.xml", self.log_path(name))

    def _configure_bookie(self, bookie: Instance, ports: DurablePorts, data: Path) -> None:
        (self.state_dir / f"{bookie.name}.conf").write_text(
            f"bookiePort={ports.of(bookie)}\n"
            "advertisedAddress=127.0.0.1\n"
            "allowLoopback=true\n"
            "useHostNameAsBookieID=false\n"
            f"metadataServiceUri=zk://127.0.0.1:{ports.zookeeper}{LEDGERS_PATH}\n"
            f"journalDirectories={data / bookie.name / 'journal'}\n"
            f"ledgerDirectories={data / bookie.name / 'ledgers'}\n"
            "journalSyncData=true\n"
            "httpServerEnabled=false\n"
            "diskUsageThreshold=0.99\n"
            "diskUsageWarnThreshold=0.98\n"
        )

    def _properties(self, instance: Instance, record: DurableRecord) -> dict[str, object]:
        ports, data, layout = record.ports, Path(record.data_dir), record.layout
        security = self.secure_files if record.secure else None
        published = PUBLISHED_HOST if security else "127.0.0.1"  # TLS: the certificate's
        zk = f"127.0.0.1:{ports.zookeeper}"
        common: dict[str, object] = {
            "logback.configurationFile": self.state_dir / f"{instance.name}.logback.xml",
            "java.io.tmpdir": self.state_dir / "tmp" / instance.name,
        }
        kind = instance.piece.name
        if kind == "zookeeper":
            return {**common, "zookeeper.log.dir": self.state_dir}
        if kind == "bookie":
            return common
        if kind == "controller":
            port = ports.of(instance)
            return {
                **common,
                "controller.zk.connect.uri": zk,
                "controller.server.store.host.type": "Zookeeper",
                "controller.service.rpc.listener.port": port,
                "controller.service.rpc.published.host.nameOrIp": published,
                "controller.service.rpc.published.port": port,
                "controller.service.rest.listener.host.ip": "127.0.0.1",
                "controller.service.rest.listener.port": ports.rest_of(instance),
                "controller.container.count": CONTAINERS,
                "controller.cluster.name": CLUSTER,
                **(
                    {
                        "conf.file": self.state_dir / "controller.properties",
                        **security.controller_properties(),
                    }
                    if security
                    else {}
                ),
            }
        return {
            **common,
            "pravegaservice.zk.connect.uri": zk,
            "pravegaservice.clusterName": CLUSTER,
            "pravegaservice.container.count": CONTAINERS,
            "pravegaservice.service.listener.host.nameOrIp": "127.0.0.1",
            "pravegaservice.service.listener.port": ports.of(instance),
            "pravegaservice.service.published.host.nameOrIp": published,
            "pravegaservice.dataLog.impl.name": "BOOKKEEPER",
            "pravegaservice.storage.impl.name": "FILESYSTEM",
            "pravegaservice.cache.size.max": 256 * 1024 * 1024,
            "pravegaservice.rest.listener.enable": False,
            "pravegaservice.admin.gateway.enable": False,
            "filesystem.root": data / "lts",  # shared by every segment store, as NFS would be
            "bookkeeper.zk.connect.uri": zk,
            "bookkeeper.ledger.path": LEDGERS_PATH,
            "bookkeeper.ensemble.size": layout.ensemble,
            "bookkeeper.write.quorum.size": layout.write_quorum,
            "bookkeeper.ack.quorum.size": layout.ack_quorum,
            "autoScale.controller.connect.uri": controllers_uri(ports, layout, record.secure),
            "metrics.enable": False,
            **(security.segment_store_properties() if security else {}),
        }

    def _command(
        self, java: Path, classpath: str, instance: Instance, record: DurableRecord
    ) -> list[str]:
        properties = self._properties(instance, record)
        arguments: list[str] = []
        kind = instance.piece.name
        if kind == "zookeeper":
            arguments = [str(self.state_dir / "zoo.cfg")]
        elif kind == "bookie":
            arguments = ["--conf", str(self.state_dir / f"{instance.name}.conf")]
        return [
            str(java),
            f"-Xmx{instance.piece.heap}",
            "-XX:MaxDirectMemorySize=512m" if kind == "segmentstore" else "-Xss1m",
            "-XX:+UseSerialGC",
            "-XX:+ExitOnOutOfMemoryError",
            *java_flags(properties),
            "-cp",
            classpath,
            instance.piece.main_class,
            *arguments,
        ]

    def _spawn(
        self, java: Path, classpath: str, instance: Instance, record: DurableRecord
    ) -> "subprocess.Popen[bytes]":
        (self.state_dir / "tmp" / instance.name).mkdir(parents=True, exist_ok=True)
        command = self._command(java, classpath, instance, record)
        login = (
            self.secure_files.segment_store_env()
            if record.secure and instance.piece.name == "segmentstore"
            else {}
        )
        with (self.state_dir / f"{instance.name}.out").open("wb") as output:
            return subprocess.Popen(
                command,
                env={**os.environ, **login},
                cwd=self.state_dir,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                umask=OWNER_ONLY_UMASK,  # its data, logs and ledgers: the owner's alone
            )

    def _format_bookkeeper(self, java: Path, classpath: str, data: Path, bookie: str) -> None:
        """Create BookKeeper's metadata in ZooKeeper, the first time only (with the
        configuration of the first ``bookie``)."""
        marker = data / bookie / "metadata-created"
        if marker.exists():
            return
        java_command = [
            str(java),
            "-Xmx128m",
            f"-Dlogback.configurationFile={self.state_dir / f'{bookie}.logback.xml'}",
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
              str(self.state_dir / f"{bookie}.conf"), "initnewcluster"], ""),
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
        instance: Instance,
        process: "subprocess.Popen[bytes]",
        record: DurableRecord,
        timeout: float,
    ) -> None:
        deadline = time.monotonic() + timeout
        port = record.ports.of(instance)
        name = instance.name
        while time.monotonic() < deadline:
            if (code := process.poll()) is not None:
                output = (self.state_dir / f"{name}.out").read_text(errors="replace")
                tail = [line for line in output.splitlines() if line.strip()][-3:]
                raise PravechatError(
                    f"the {name} exited while starting (status {code}); see "
                    f"{self.log_path(name)}: " + " | ".join(tail)
                )
            if tcp_reachable("127.0.0.1", port, 0.5) and (
                instance.piece.name != "segmentstore" or self.answers(record, 10.0)
            ):
                return
            time.sleep(0.25)
        raise PravechatError(
            f"the {name} did not start within {timeout:.0f} s; see {self.log_path(name)}"
        )

    # --- stop ----------------------------------------------------------------------------

    def stop(self) -> DurableRecord | None:
        """Stop every piece, in STOP_ORDER."""
        record = self.record()
        self._record_path.unlink(missing_ok=True)
        if record is None:
            return None
        self._stop_pids(record)
        return record

    def _stop_pids(self, record: DurableRecord) -> None:
        for kind in STOP_ORDER:
            for instance in instances(record.layout):
                pid = record.pids.get(instance.name)
                if instance.piece.name != kind or pid is None:
                    continue
                if not stop_jvm(pid, instance.piece.main_class, instance.piece.stop_grace):
                    raise PravechatError(f"could not stop the {instance.name} (pid {pid})")

    def kill_piece(self, name: str) -> int:
        """SIGKILL one piece, as a crash would (``server kill --piece``); returns its pid.
        ``start`` starts it again."""
        record = self.record()
        if record is None:
            raise PravechatError("no durable or cluster Pravega is running")
        by_name = {i.name: i for i in instances(record.layout)}
        if name not in by_name:
            raise PravechatError(f"no piece {name!r}: choose one of {', '.join(by_name)}")
        instance = by_name[name]
        if not _runs(record, instance):
            raise PravechatError(f"{name} is not running")
        pid = record.pids[name]
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while process_runs(pid, instance.piece.main_class):
            time.sleep(0.05)
        return pid

    def kill(self) -> None:
        """SIGKILL every piece at once, as a power cut would (for tests)."""
        record = self.record()
        if record is None:
            return
        for instance in instances(record.layout):
            with suppress(ProcessLookupError):
                os.kill(record.pids[instance.name], signal.SIGKILL)
        for instance in instances(record.layout):
            while _runs(record, instance):
                time.sleep(0.05)
        self._record_path.unlink(missing_ok=True)


def _runs(record: DurableRecord, instance: Instance) -> bool:
    return process_runs(record.pids.get(instance.name, -1), instance.piece.main_class)


def _build_record(raw: dict[str, Any]) -> DurableRecord:
    """A saved record (one from before clusters has no layout: one of each)."""
    layout = Layout(**raw["layout"]) if "layout" in raw else SINGLE
    return DurableRecord(**{**raw, "ports": DurablePorts(**raw["ports"]), "layout": layout})
