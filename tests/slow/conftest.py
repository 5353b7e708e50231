"""The slow suites (`make test-slow`): the four-process durable server, started and stopped
by each test; not part of `make test`."""
