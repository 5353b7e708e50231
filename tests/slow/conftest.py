"""The slow suites (`make test-slow`): the four-process durable server and the cluster,
started and stopped by their tests; not part of `make test`. Two tests also benchmark next to
the shared standalone."""

from tests.servers import pravega_uri
from tests.terminal.conftest import tmux

__all__ = ["pravega_uri", "tmux"]
