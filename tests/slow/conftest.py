"""The slow suites (`make test-slow`): the four-process durable server, started and stopped
by each test; not part of `make test`. One test also benchmarks next to the shared standalone."""

from tests.servers import pravega_uri

__all__ = ["pravega_uri"]
