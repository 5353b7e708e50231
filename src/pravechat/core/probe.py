"""Cheap, bounded checks that a Pravega controller is there and serving.

The Python client's blocking calls hold the GIL and retry for about a minute against a dead
controller, so nothing here calls it in-process: a TCP connect answers "is anything there" in
milliseconds, and a real request runs in a child process that can be killed on a deadline.
"""

import os
import socket
import subprocess
import sys
from dataclasses import dataclass

from pravechat.core.errors import PravechatError

DEFAULT_CONTROLLER_URI = "tcp://127.0.0.1:9090"

_LIST_SCOPES = (
    "import sys, pravega_client\n"
    "uri = sys.argv[1]\n"
    "pravega_client.StreamManager(uri, tls_enabled=uri.startswith('tls')).list_scope()\n"
)


@dataclass(frozen=True)
class ControllerAddress:
    scheme: str
    host: str
    port: int

    @property
    def uri(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def parse_controller_uri(uri: str) -> ControllerAddress:
    """Parse ``tcp://host:port``, ``tls://host:port`` or ``host:port``."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        scheme, rest = "tcp", uri
    host, colon, port_text = rest.rstrip("/").rpartition(":")
    if scheme not in ("tcp", "tls") or not colon or not host or not port_text.isdigit():
        raise PravechatError(
            f"invalid controller URI {uri!r}: expected tcp://HOST:PORT or tls://HOST:PORT"
        )
    port = int(port_text)
    if not 0 < port < 65536:
        raise PravechatError(f"invalid controller URI {uri!r}: port {port} is out of range")
    return ControllerAddress(scheme, host.strip("[]"), port)


def tcp_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def controller_answers(uri: str, timeout: float = 5.0) -> bool:
    """True when a Pravega controller at ``uri`` serves a real request (list scopes)."""
    address = parse_controller_uri(uri)
    if not tcp_reachable(address.host, address.port, timeout=min(timeout, 1.0)):
        return False
    env = dict(os.environ, RUST_LOG="off")
    try:
        result = subprocess.run(
            [sys.executable, "-c", _LIST_SCOPES, address.uri],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0
