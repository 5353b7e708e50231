"""Cheap, bounded checks that a Pravega controller is there and serving.

The client retries for seconds against a dead controller (~9 s), and a thread stuck in it
cannot be stopped, so nothing here calls it in-process: a TCP connect answers "is anything
there" in milliseconds, and a real request runs in a child process killed on a deadline.
"""

import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pravechat.core.errors import PravechatError
from pravechat.core.security import TLS_CERT_VARIABLE, USERNAME_VARIABLE

DEFAULT_CONTROLLER_URI = "tcp://127.0.0.1:9090"

_ASK_CONTROLLER = (
    "import os, sys\n"
    "from pravechat import _pravega\n"
    "uri = sys.argv[1]\n"
    "auth = 'pravega_client_auth_method' in os.environ\n"
    "try:\n"
    "    client = _pravega.Client(\n"
    "        uri, auth_enabled=auth, tls_enabled=uri.startswith('tls'), retry_delay_ms=20\n"
    "    )\n"
    "    client.stream_exists('pravechat-probe', 'probe')\n"
    "except BaseException as error:\n"
    "    print(' '.join(str(error).split())[-400:], file=sys.stderr)\n"
    "    sys.exit(1)\n"
)
_REFUSED_CREDENTIALS = ("Unauthenticated", "PermissionDenied")


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


def parse_controllers(uri: str) -> list[ControllerAddress]:
    """Parse one controller or several, as the Java client takes them:
    ``tcp://host1:port1,host2:port2`` (the scheme given once, or for each; all the same)."""
    parts = [part.strip() for part in uri.split(",")]
    if len(parts) > 1 and not all(parts):
        raise PravechatError(f"invalid controller URI {uri!r}: an empty address in the list")
    first = parse_controller_uri(parts[0])
    addresses = [first]
    for part in parts[1:]:
        address = parse_controller_uri(part if "://" in part else f"{first.scheme}://{part}")
        if address.scheme != first.scheme:
            raise PravechatError(f"invalid controller URI {uri!r}: mixes tcp:// and tls://")
        addresses.append(address)
    return list(dict.fromkeys(addresses))  # in order, each once


def join_controllers(addresses: list[ControllerAddress]) -> str:
    """The text parse_controllers reads back: ``scheme://host:port,host:port``."""
    return f"{addresses[0].scheme}://" + ",".join(f"{a.host}:{a.port}" for a in addresses)


def tcp_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def controller_answers(
    uri: str, timeout: float = 5.0, credentials: Mapping[str, str] | None = None
) -> bool:
    """True when a Pravega controller at ``uri`` serves a real request (list scopes)."""
    return controller_problem(uri, timeout, credentials) is None


def controller_problem(
    uri: str, timeout: float = 5.0, credentials: Mapping[str, str] | None = None
) -> str | None:
    """None when a Pravega controller at ``uri`` (or one of several) serves a real request
    (list scopes); else why not, in one line (the first controller's reason). ``credentials``
    (client variables, Credentials.client_env) add to this process's environment."""
    first: str | None = None
    for address in parse_controllers(uri):  # a dead one fails its TCP connect in a second
        problem = _problem(address, timeout, credentials)
        if problem is None:
            return None
        first = first or problem
    return first


def _problem(
    address: ControllerAddress, timeout: float, credentials: Mapping[str, str] | None
) -> str | None:
    env = {**os.environ, **(credentials or {})}
    began = time.monotonic()
    handshake = min(timeout / 4, 1.0)
    if not tcp_reachable(address.host, address.port, timeout=handshake):
        return f"no Pravega server answers at {address.uri}"
    if address.scheme == "tls":
        problem = tls_problem(address, env.get(TLS_CERT_VARIABLE), handshake)
        if problem is not None:
            return problem
    elif speaks_tls(address, handshake):
        return f"{address.uri} speaks TLS: use tls://{address.host}:{address.port} (or --tls)"
    left = max(timeout - (time.monotonic() - began), 0.5)
    outcome, said = _list_scopes(address.uri, env, left)
    if outcome == 0:
        return None
    if outcome == _REFUSED:
        user = env.get(USERNAME_VARIABLE)
        if user is None:
            return (
                f"{address.uri} asks for a password: set auth_user and password_file in the "
                "config (or PRAVECHAT_AUTH_USER and PRAVECHAT_PASSWORD_FILE)"
            )
        return f"{address.uri} refused user {user!r} with that password"
    detail = f" ({said})" if said else ""
    return f"{address.uri} does not answer as a Pravega controller{detail}"


_REFUSED = -100


def _list_scopes(uri: str, env: dict[str, str], timeout: float) -> tuple[int, str]:
    """Run the request in a child process: its exit status (or _REFUSED as soon as the
    controller refuses the credentials: the client would retry for seconds), and its error.

    The binding's error names a refusal (Unauthenticated); its tries are 20 ms apart, so the
    answer comes within a second. Its text is read only here and not kept.
    """
    process = subprocess.Popen(
        [sys.executable, "-c", _ASK_CONTROLLER, uri],
        env={**env, "NO_COLOR": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    deadline = threading.Timer(timeout, process.kill)
    deadline.start()
    last = ""
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if any(word in line for word in _REFUSED_CREDENTIALS):
                process.kill()
                return _REFUSED, ""
            if "WARN" not in line and line.strip():
                last = line.strip()[:200]
        return process.wait(), last
    finally:
        deadline.cancel()
        process.kill()
        process.wait()


def _tls_context(ca_cert: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_cert is not None:  # like the Rust client: this file, or every file of this folder
        path = Path(ca_cert)
        for file in sorted(path.iterdir()) if path.is_dir() else [path]:
            context.load_verify_locations(cafile=file)
    context.set_alpn_protocols(["h2"])
    return context


def tls_problem(address: ControllerAddress, ca_cert: str | None, timeout: float) -> str | None:
    """Shake hands as the Rust client will, trusting only ``ca_cert``: a certificate that
    it would refuse is named here in one line, instead of after its retries."""
    try:
        context = _tls_context(ca_cert)
        with (
            socket.create_connection((address.host, address.port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=address.host),
        ):
            return None
    except ssl.SSLCertVerificationError as error:
        trusted = f"by {ca_cert}" if ca_cert else "(no CA certificate given)"
        return f"the certificate of {address.uri} is not trusted {trusted}: {error.verify_message}"
    except ssl.SSLError as error:
        return f"{address.uri} does not speak TLS ({error.reason}); is it a tcp:// server?"
    except OSError:
        return None  # not about TLS: the request that follows says what it is


def speaks_tls(address: ControllerAddress, timeout: float = 1.0) -> bool:
    """True when the server at ``address`` completes a TLS handshake (trusting anything)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((address.host, address.port), timeout=timeout) as raw,
            context.wrap_socket(raw),
        ):
            return True
    except OSError:  # ssl.SSLError included
        return False
