import socket
import time

import pytest

from pravechat.core.errors import PravechatError
from pravechat.core.probe import (
    controller_answers,
    join_controllers,
    parse_controller_uri,
    parse_controllers,
)
from pravechat.core.settings import Settings
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


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("tcp://a:9090,b:9092", "tcp://a:9090,b:9092"),
        ("tcp://a:9090, tcp://b:9092", "tcp://a:9090,b:9092"),
        ("a:1,a:1,b:2", "tcp://a:1,b:2"),  # each once
        ("tls://c1.example:443,c2.example:443", "tls://c1.example:443,c2.example:443"),
    ],
)
def test_a_clusters_controllers_are_one_list(uri: str, expected: str) -> None:
    assert join_controllers(parse_controllers(uri)) == expected
    assert Settings(controller=uri).controller == expected


@pytest.mark.parametrize(
    ("uri", "why"),
    [("tcp://a:1,", "empty address"), ("tcp://a:1,tls://b:2", "mixes"), ("a:1,b", "b")],
)
def test_a_bad_list_of_controllers_is_one_clear_error(uri: str, why: str) -> None:
    with pytest.raises(PravechatError, match=f"invalid controller URI.*{why}"):
        parse_controllers(uri)


def test_tls_applies_to_every_controller_of_a_list() -> None:
    settings = Settings(controller="127.0.0.1:9090,db.example:9092", tls=True)
    assert settings.controller == "tls://localhost:9090,db.example:9092"


def test_a_list_answers_when_one_of_its_controllers_does_and_not_when_none_does() -> None:
    dead = f"127.0.0.1:{free_port()}"
    assert controller_answers(f"tcp://{dead},127.0.0.1:{free_port()}") is False
