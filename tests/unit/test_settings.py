from pathlib import Path

import pytest

from pravechat.core.errors import PravechatError
from pravechat.core.security import Credentials
from pravechat.core.settings import ENV_SETTINGS, Settings, load_settings


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    path.touch()
    monkeypatch.setenv("PRAVECHAT_CONFIG", str(path))
    for name in ENV_SETTINGS:
        monkeypatch.delenv(f"PRAVECHAT_{name.upper()}", raising=False)
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
    assert settings.time_format == "%H:%M"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ('user = "bad name"', "invalid user name 'bad name'"),
        ("scrollback = 5", "invalid setting scrollback"),
        ('colour = "red"', "unknown setting 'colour' in .*config.toml"),
        ("user = ", "cannot read"),
        ('time_format = "%H%n%M"', "invalid setting time_format"),
        ('time_format = "%c %c %c"', "at most 20 printable characters"),
        ('highlight = ["deploy", " "]', "a highlight is 1-32 printable characters"),
    ],
)
def test_bad_settings_are_one_clear_error(config: Path, content: str, error: str) -> None:
    config.write_text(content)
    with pytest.raises(PravechatError, match=error):
        load_settings()


def test_tls_from_a_flag_or_the_environment_makes_the_uri_tls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings(tls=True).controller == "tls://localhost:9090"  # loopback by name
    monkeypatch.setenv("PRAVECHAT_CONTROLLER", "tcp://chat.example:9090")
    assert load_settings(tls=True).controller == "tls://chat.example:9090"
    monkeypatch.setenv("PRAVECHAT_TLS", "true")
    assert load_settings().controller == "tls://chat.example:9090"


def test_tls_to_an_ip_address_is_refused_with_a_name_to_use() -> None:
    with pytest.raises(PravechatError, match=r"not an IP address.*tls://localhost:9090"):
        load_settings(controller="tls://127.0.0.1:9090")


def test_credentials_come_from_the_file_or_environment(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "password"
    secret.write_text("s3cret\n")
    config.write_text(f'auth_user = "alice"\npassword_file = "{secret}"\n')
    credentials = load_settings().credentials()
    assert (credentials.username, credentials.password) == ("alice", "s3cret")
    assert "s3cret" not in repr(load_settings()) and "s3cret" not in repr(credentials)
    monkeypatch.setenv("PRAVECHAT_PASSWORD", "from-env")
    monkeypatch.setenv("PRAVECHAT_PASSWORD_FILE", "")
    config.write_text('auth_user = "alice"\n')
    assert load_settings().credentials().password == "from-env"
    env = load_settings().credentials().client_env()
    assert env["pravega_client_auth_method"] == "Basic"
    assert env["pravega_client_auth_password"] == "from-env"


@pytest.mark.parametrize(
    ("credentials", "tls", "error"),
    [
        (Credentials(), True, "TLS needs the certificate"),
        (Credentials(Path("/nonexistent.pem")), True, "cannot read the CA certificate"),
        (Credentials(username="alice"), False, "need a password"),
        (Credentials(password="x"), False, "need a user name"),
    ],
)
def test_incomplete_credentials_are_one_clear_error(
    credentials: Credentials, tls: bool, error: str
) -> None:
    with pytest.raises(PravechatError, match=error):
        credentials.check(tls)


def test_an_unreadable_password_file_is_one_clear_error(tmp_path: Path) -> None:
    settings = load_settings(controller="tcp://localhost:1")
    broken = settings.model_copy(update={"password_file": tmp_path / "missing"})
    with pytest.raises(PravechatError, match="cannot read the password file"):
        broken.credentials()


def test_lists_come_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRAVECHAT_ROOMS", '["random", "Dev"]')
    assert load_settings().rooms == ["random", "dev"]
    monkeypatch.setenv("PRAVECHAT_ROOMS", "random,dev")
    with pytest.raises(PravechatError, match=r"invalid setting PRAVECHAT_ROOMS: a list in JSON"):
        load_settings()


def test_settings_built_by_a_program_read_no_environment_or_file(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config.write_text("tls = true\n")
    monkeypatch.setenv("PRAVECHAT_ROOM", "fromenv")
    settings = Settings(user="bot")
    assert (settings.room, settings.tls) == ("lobby", False)
    assert (load_settings().room, load_settings().tls) == ("fromenv", True)


def test_a_config_file_named_but_missing_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRAVECHAT_CONFIG", str(tmp_path / "nowhere.toml"))
    with pytest.raises(PravechatError, match=r"no config file at .*nowhere.toml"):
        load_settings()
