"""The controller probe against the running server."""

from pravechat.core.probe import controller_answers


def test_the_running_server_answers(pravega_uri: str) -> None:
    assert controller_answers(pravega_uri) is True
