import socket
import time

import pytest

from pravechat.core.errors import PravechatError
from pravechat.core.probe import controller_answers, parse_controller_uri
from tests.helpers import free_port


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("tcp://127.0.0.1:9090", "tcp://127.0.0.1:9090"),
        ("127.0.0.1:9090", "tcp://127.0.0.1:9090"),
        ("tls://pravega.example:443/", "tls://pravega.example:443"),
    ],
)
def test_parses_controller_uris(uri: str, expected: str) -> None:
    assert parse_controller_uri(uri).uri == expected


@pytest.mark.parametrize(
    "uri", ["http://x:1", "tcp://x", "tcp://:9090", "tcp://x:port", "tcp://x:70000"]
)
def test_rejects_malformed_uris_with_a_clear_error(uri: str) -> None:
    with pytest.raises(PravechatError, match="invalid controller URI"):
        parse_controller_uri(uri)


def test_a_port_that_is_not_pravega_does_not_count_as_a_controller() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        began = time.monotonic()
        assert controller_answers(f"tcp://127.0.0.1:{listener.getsockname()[1]}", 3) is False
        assert time.monotonic() - began < 3.5


def test_nothing_listening_is_not_a_controller() -> None:
    assert controller_answers(f"tcp://127.0.0.1:{free_port()}") is False
