"""Tests against a real Pravega server: the message path, the transport, the CLI's use of
it. The shared standalone is reused when one answers, else started once per run."""

from tests.servers import pravega_uri, private_server, secure_server

__all__ = ["pravega_uri", "private_server", "secure_server"]
