"""Unit tests: pure logic and widgets, with fakes; no server, seconds in all.

No server fixture is defined here: a test that asks for one fails at collection and belongs
in tests/pravega.
"""
