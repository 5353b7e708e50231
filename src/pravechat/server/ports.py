"""Is a TCP port free, and if not, which program holds it (Linux /proc, best effort)."""

import socket
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
