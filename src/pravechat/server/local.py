"""Start, stop and inspect a local Pravega standalone server (LocalPravegaEmulator).

The server runs detached in its own session; everything it writes goes to files in the state
directory, so its logs never reach the user's terminal. ``server.json`` there records what was
started, which is how ``stop`` and ``status`` find it again.
"""

import os
import re
import subprocess
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path

from pravechat.core.errors import PravechatError
from pravechat.core.paths import OWNER_ONLY_UMASK
from pravechat.core.probe import controller_answers
from pravechat.server.jars import PRAVEGA_VERSION, resolve_classpath
from pravechat.server.jvm import (
    java_flags,
    java_value,
    load_record,
    save_record,
    start_lock,
    stop_jvm,
    write_logback,
)
from pravechat.server.ports import port_holder, port_is_free, process_runs
from pravechat.server.secure import PUBLISHED_HOST, SecureFiles, ensure_secure_files
from pravechat.server.tools import find_java

MAIN_CLASS = "io.pravega.local.LocalPravegaEmulator"
READY_LINE = "Pravega Sandbox is running locally now"
DEFAULT_HEAP = "1g"
LOG_FILE = "server.log"
JVM_OUTPUT_FILE = "jvm.out"
RECORD_FILE = "server.json"


@dataclass(frozen=True)
class ServerPorts:
    controller: int = 9090
    segment_store: int = 6000
    zookeeper: int = 4000
    rest: int | None = None
    """The controller's REST API; off unless a port is given."""

    def named(self) -> dict[str, int]:
        ports = {
            "controller": self.controller,
            "segment store": self.segment_store,
            "ZooKeeper": self.zookeeper,
        }
        if self.rest is not None:
            ports["controller REST"] = self.rest
        return ports


@dataclass(frozen=True)
class ServerRecord:
    """What ``start`` launched, saved as server.json."""

    pid: int
    uri: str
    version: str
    started_at: float
    java: str
    heap: str
    ports: ServerPorts = field(default_factory=ServerPorts)
    secure: bool = False
    """TLS and password authentication (`server start --secure`)."""


class StartOutcome(Enum):
    STARTED = "started"
    ALREADY_RUNNING = "already running"
    FOREIGN = "another Pravega server answers"


@dataclass(frozen=True)
class ServerStatus:
    answering: bool
    uri: str
    record: ServerRecord | None
    """Set when the server was started by pravechat and its process is alive."""

    @property
    def uptime(self) -> float | None:
        return None if self.record is None else time.time() - self.record.started_at


def controller_uri(port: int, secure: bool = False) -> str:
    return f"tls://{PUBLISHED_HOST}:{port}" if secure else f"tcp://127.0.0.1:{port}"


def _validate_heap(heap: str) -> str:
    if not re.fullmatch(r"[1-9][0-9]*[kKmMgG]?", heap):
        raise PravechatError(f"invalid heap size {heap!r}: use a JVM size such as 512m or 1g")
    return heap


def _process_is_server(pid: int) -> bool:
    """True when ``pid`` is a live Pravega standalone JVM."""
    return process_runs(pid, MAIN_CLASS)


def _tail(path: Path, lines: int) -> list[str]:
    try:
        with path.open(errors="replace") as handle:
            return [line.rstrip("\n") for line in deque(handle, maxlen=lines)]
    except OSError:
        return []


class _LogFollower:
    """Reads a growing log from where it stopped: the line looked for may have scrolled far
    out of the tail by the time it is read (a secure start logs thousands of lines)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._offset = 0
        self._partial = ""
        self._said: set[str] = set()

    def has_said(self, text: str) -> bool:
        if text in self._said:
            return True
        try:
            with self._path.open(errors="replace") as handle:
                handle.seek(self._offset)
                chunk = self._partial + handle.read()
                self._offset = handle.tell()
        except OSError:
            return False
        complete, _, self._partial = chunk.rpartition("\n")
        if text in complete:
            self._said.add(text)
        return text in self._said


class LocalServer:
    """The local standalone server whose files live in ``state_dir``."""

    def __init__(self, state_dir: Path, cache_dir: Path) -> None:
        self.state_dir = state_dir
        self.cache_dir = cache_dir
        self.log_path = state_dir / LOG_FILE
        self.jvm_output_path = state_dir / JVM_OUTPUT_FILE
        self._record_path = state_dir / RECORD_FILE
        self._foreground: subprocess.Popen[bytes] | None = None

    # --- records -------------------------------------------------------------------------

    def record(self) -> ServerRecord | None:
        """The saved record, if its process is still a live server."""
        record = load_record(
            self._record_path,
            lambda raw: ServerRecord(**{**raw, "ports": ServerPorts(**raw["ports"])}),
        )
        return record if record is not None and _process_is_server(record.pid) else None

    def _save(self, record: ServerRecord) -> None:
        save_record(self._record_path, asdict(record))

    # --- queries -------------------------------------------------------------------------

    @property
    def secure_files(self) -> SecureFiles:
        return SecureFiles(self.state_dir / "secure")

    def _answers(self, uri: str, secure: bool, timeout: float = 5.0) -> bool:
        credentials = self.secure_files.credentials().client_env() if secure else None
        return controller_answers(uri, timeout, credentials)

    def status(self, port: int | None = None, timeout: float = 1.5) -> ServerStatus:
        record = self.record()
        uri = record.uri if record else controller_uri(port or ServerPorts().controller)
        secure = record is not None and record.secure
        return ServerStatus(self._answers(uri, secure, timeout), uri, record)

    def log_tail(self, lines: int = 50) -> list[str]:
        return _tail(self.log_path, lines)

    # --- start ---------------------------------------------------------------------------

    def start(
        self,
        ports: ServerPorts | None = None,
        heap: str = DEFAULT_HEAP,
        ready_timeout: float = 180.0,
        foreground: bool = False,
        secure: bool = False,
    ) -> tuple[StartOutcome, ServerStatus]:
        """Start the server unless one already answers; returns once it serves requests.

        With ``foreground``, the JVM stays in this process group: the caller waits on it with
        :meth:`wait_foreground`. With ``secure``, it takes TLS connections only, and requests
        with the password of the account in :attr:`secure_files`.
        """
        ports = ports or ServerPorts()
        heap = _validate_heap(heap)
        with start_lock(self.state_dir):
            existing = self.record()
            if existing is not None:
                status = self.status()
                if not status.answering:
                    raise PravechatError(
                        f"the local Pravega server (pid {existing.pid}) runs but its controller "
                        f"at {existing.uri} does not answer; try `pravechat server stop`"
                    )
                if existing.secure != secure:
                    raise PravechatError(
                        f"the local Pravega server (pid {existing.pid}) runs "
                        f"{'with' if existing.secure else 'without'} --secure: "
                        "`pravechat server stop` it first"
                    )
                return StartOutcome.ALREADY_RUNNING, status
            uri = controller_uri(ports.controller, secure)
            plain = controller_uri(ports.controller)
            if controller_answers(plain, timeout=5.0):
                return StartOutcome.FOREIGN, ServerStatus(True, plain, None)
            self._check_ports(ports)
            java = find_java()
            classpath = resolve_classpath(self.cache_dir)
            files = ensure_secure_files(self.secure_files.directory, java.path) if secure else None
            process = self._spawn(java.path, classpath, ports, heap, foreground, files)
            record = ServerRecord(
                pid=process.pid,
                uri=uri,
                version=PRAVEGA_VERSION,
                started_at=time.time(),
                java=str(java.path),
                heap=heap,
                ports=ports,
                secure=secure,
            )
            self._save(record)
            self._wait_ready(process, record, ready_timeout)
            if foreground:
                self._foreground = process
            return StartOutcome.STARTED, ServerStatus(True, uri, record)

    def _check_ports(self, ports: ServerPorts) -> None:
        for name, port in ports.named().items():
            if not port_is_free(port):
                holder = port_holder(port)
                by = f" by {holder}" if holder else " by another program"
                raise PravechatError(
                    f"port {port} ({name}) is already in use{by}; stop it or choose another "
                    f"port (see `pravechat server start --help`)"
                )

    def _spawn(
        self,
        java: Path,
        classpath: str,
        ports: ServerPorts,
        heap: str,
        foreground: bool,
        secure: SecureFiles | None,
    ) -> "subprocess.Popen[bytes]":
        temp = self.state_dir / "tmp"
        if temp.exists():
            subprocess.run(["rm", "-rf", str(temp)], check=False)
        temp.mkdir(parents=True)
        logback = self.state_dir / "logback.xml"
        write_logback(logback, self.log_path)
        config = self.state_dir / "standalone.properties"
        config.unlink(missing_ok=True)
        config.touch(mode=0o600)
        # Secure settings go in the file (its password too), not on the public command line.
        config.write_text(
            "".join(f"{key}={java_value(value)}\n" for key, value in
                    (secure.server_properties() if secure else {}).items())
        )  # fmt: skip
        for stale in [self.log_path, *self.state_dir.glob(f"{LOG_FILE}.*")]:
            stale.unlink(missing_ok=True)
        properties = {
            "singlenode.configurationFile": config,
            "logback.configurationFile": logback,
            "java.io.tmpdir": temp,
            "singlenode.zk.port": ports.zookeeper,
            "singlenode.segmentStore.port": ports.segment_store,
            "singlenode.controller.rpc.port": ports.controller,
            "singlenode.controller.rest.enable": ports.rest is not None,
            "singlenode.controller.rest.port": ports.rest or 9091,
            "singlenode.admin.gateway.enable": False,
            "pravegaservice.admin.gateway.enable": False,
            "pravegaservice.rest.listener.enable": False,
            "pravegaservice.service.listener.host.nameOrIp": "127.0.0.1",
            "pravegaservice.service.published.host.nameOrIp": (
                PUBLISHED_HOST if secure else "127.0.0.1"
            ),
        }
        command = [
            str(java),
            f"-Xmx{heap}",
            "-XX:+UseSerialGC",
            "-XX:+ExitOnOutOfMemoryError",
            *java_flags(properties),
            *os.environ.get("PRAVECHAT_JAVA_OPTS", "").split(),
            "-cp",
            classpath,
            MAIN_CLASS,
        ]
        with self.jvm_output_path.open("wb") as output:
            return subprocess.Popen(
                command,
                cwd=self.state_dir,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=not foreground,
                umask=OWNER_ONLY_UMASK,
            )

    def _wait_ready(
        self, process: "subprocess.Popen[bytes]", record: ServerRecord, timeout: float
    ) -> None:
        deadline = time.monotonic() + timeout
        log = _LogFollower(self.log_path)
        while time.monotonic() < deadline:
            code = process.poll()
            if code is not None:
                self._record_path.unlink(missing_ok=True)
                raise PravechatError(
                    f"Pravega exited while starting (exit code {code}); last lines of its output:\n"
                    + "\n".join(self._crash_context())
                )
            if log.has_said(READY_LINE) and self._answers(record.uri, record.secure):
                return
            time.sleep(0.25)
        self.stop()
        raise PravechatError(
            f"Pravega did not become ready within {timeout:.0f} s; see `pravechat server logs`"
        )

    def _crash_context(self) -> list[str]:
        lines = self.log_tail(15) + _tail(self.jvm_output_path, 10)
        return [f"  {line}" for line in lines if line.strip()] or ["  (no output)"]

    # --- stop ----------------------------------------------------------------------------

    def stop(self, grace: float = 20.0) -> int | None:
        """Stop the server ``start`` started: SIGTERM, then SIGKILL after ``grace`` seconds.

        Returns the stopped pid, or None when none was running.
        """
        record = self.record()
        self._record_path.unlink(missing_ok=True)
        if record is None:
            return None
        if not stop_jvm(record.pid, MAIN_CLASS, grace):
            raise PravechatError(f"could not stop the Pravega server (pid {record.pid})")
        return record.pid

    def wait_foreground(self) -> int:
        """Wait for a server started with ``foreground=True``; Ctrl-C stops it cleanly."""
        process = self._foreground
        if process is None:
            raise PravechatError("no server was started in the foreground")
        try:
            return process.wait()
        except KeyboardInterrupt:
            self.stop()
            return 0
        finally:
            self._record_path.unlink(missing_ok=True)
