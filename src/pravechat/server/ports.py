"""Is a TCP port free, and if not, which program holds it; is a server process still running
(Linux /proc, best effort)."""

import os
import random
import socket
from contextlib import suppress
from pathlib import Path

_TCP_LISTEN = "0A"


def port_is_free(port: int) -> bool:
    """True when nothing listens on ``port`` on any local address."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            listening = len(fields) > 9 and fields[3] == _TCP_LISTEN
            if listening and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def port_holder(port: int) -> str | None:
    """``"pid 123 (python3)"`` for the process listening on ``port``, when it can be seen."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            if any(str(fd.readlink()) in targets for fd in (process / "fd").iterdir()):
                name = (process / "comm").read_text().strip()
                return f"pid {process.name} ({name})"
        except OSError:
            continue
    return None


def process_runs(pid: int, main_class: str) -> bool:
    """True while ``pid`` runs ``main_class``, or is still dying.

    A killed JVM's main thread turns zombie before its other threads have exited, and
    those still hold its sockets (seen: a port still listening after the kill), so a
    zombie counts as dead only once its last thread is gone.
    """
    with suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        threads = sum(1 for _ in Path(f"/proc/{pid}/task").iterdir())
    except (OSError, IndexError):
        return False
    if state == "Z":
        return threads > 1
    return main_class.encode() in cmdline


def quiet_port() -> int:
    """A free port below the kernel's range of ephemeral ports. A port the kernel picks is
    in that range: once released, any outgoing connection may take it before the server
    that should listen there does (seen: a bookie that could not start)."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    while True:
        port = random.randrange(20000, min(low, 32768))
        if port_is_free(port):
            return port


def quiet_block(size: int) -> int:
    """The first of ``size`` consecutive free ports below the ephemeral range (quiet_port)."""
    while True:
        base = quiet_port()
        if all(port_is_free(base + n) for n in range(1, size)):
            return base


def outward_address() -> str | None:
    """This machine's address on its default route (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))  # a UDP connect looks up the route only
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def reachable_from_outside(port: int) -> str | None:
    """``host:port`` when the controller at ``port`` answers on this machine's outward
    address: Pravega's controller binds every interface, whatever pravechat asks."""
    address = outward_address()
    if address is None:
        return None
    with suppress(OSError), socket.create_connection((address, port), timeout=0.5):
        return f"{address}:{port}"
    return None
