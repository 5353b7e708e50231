from pathlib import Path

import pytest

from pravechat.core.errors import PravechatError
from pravechat.core.settings import load_settings


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("PRAVECHAT_CONFIG", str(path))
    for name in ("USER", "ROOM", "CONTROLLER", "SCOPE", "HISTORY", "SCROLLBACK"):
        monkeypatch.delenv(f"PRAVECHAT_{name}", raising=False)
    return path


def test_flags_beat_environment_beat_file(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config.write_text('user = "fromfile"\nroom = "Files"\nscrollback = 500\n')
    monkeypatch.setenv("PRAVECHAT_ROOM", "fromenv")
    settings = load_settings(user="flag", room=None)
    assert (settings.user, settings.room, settings.scrollback) == ("flag", "fromenv", 500)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.user is None and settings.room == "lobby"
    assert settings.controller == "tcp://127.0.0.1:9090" and settings.scope == "pravechat"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ('user = "bad name"', "invalid user name 'bad name'"),
        ("scrollback = 5", "invalid setting scrollback"),
        ('colour = "red"', "invalid setting colour"),
        ("user = ", "cannot read"),
    ],
)
def test_bad_settings_are_one_clear_error(config: Path, content: str, error: str) -> None:
    config.write_text(content)
    with pytest.raises(PravechatError, match=error):
        load_settings()
