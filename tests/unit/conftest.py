"""Unit tests: pure logic and widgets, with fakes; no server, seconds in all.

No server fixture is defined here: a test that asks for one fails at collection and belongs
in tests/pravega.
"""

import pytest

from tests.fakes import PublishedFakes


@pytest.fixture(autouse=True)
def fakes_keys_are_published(monkeypatch: pytest.MonkeyPatch) -> None:
    """An app made without a key ring gets one that knows every fake identity's key, as if
    the keys stream held them (tests of trust itself pass their own KeyRing)."""
    monkeypatch.setattr("pravechat.ui.app.KeyRing", PublishedFakes)
