"""Settings: defaults, then the TOML config file, then PRAVECHAT_* variables, then flags.

The layering is pydantic-settings' (sources in order of priority); this module says which
sources, and turns what they refuse into one line for the user.
"""

import ipaddress
import os
import re
import tomllib
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from pravechat.core.errors import PravechatError, first_problem
from pravechat.core.names import public_room, validate_scope, validate_user
from pravechat.core.paths import config_dir
from pravechat.core.probe import (
    DEFAULT_CONTROLLER_URI,
    ControllerAddress,
    join_controllers,
    parse_controllers,
)
from pravechat.core.security import Credentials
from pravechat.core.transport import DEFAULT_SCOPE, DEFAULT_SCROLLBACK

DEFAULT_SCREEN_SCROLLBACK = 10_000
"""Per room, as WeeChat keeps 4,096 lines a buffer: about 0.7 KB a message in memory, while
the room's whole history stays in Pravega (`pravechat history`)."""

ENV_PREFIX = "PRAVECHAT_"


class Bell(StrEnum):
    """When the terminal bell rings."""

    OFF = "off"
    MENTIONS = "mentions"
    """When someone mentions you (the default)."""
    ALL = "all"
    """Also when someone speaks in a room you are not looking at."""


_BELL_WORDS = {"true": Bell.MENTIONS, "on": Bell.MENTIONS, "1": Bell.MENTIONS,
               "false": Bell.OFF, "0": Bell.OFF}  # fmt: skip


class Settings(BaseSettings):
    """Reads configuration, and nothing more: connecting is the transport's."""

    model_config = SettingsConfigDict(
        extra="forbid", frozen=True, env_prefix=ENV_PREFIX, env_ignore_empty=True
    )
    layered: ClassVar[bool] = False

    user: str | None = None
    room: str = "lobby"
    rooms: list[str] = Field(default_factory=list)
    """More rooms to follow from the start."""
    controller: str = DEFAULT_CONTROLLER_URI
    scope: str = DEFAULT_SCOPE
    streamcli_scope: str = "scope"
    """Where the StreamCli conversation is (StreamCli's own is always ``scope``)."""
    history: int = Field(DEFAULT_SCROLLBACK, ge=0, le=1_000_000)
    """Messages of history loaded when joining a room."""
    scrollback: int = Field(DEFAULT_SCREEN_SCROLLBACK, ge=100, le=10_000_000)
    """Messages the screen keeps per room; older ones scroll out (they stay in Pravega)."""
    url_opener: list[str] = Field(default_factory=list)
    """The command that opens a link (o on a selected message, /open), e.g. ["firefox"];
    empty: xdg-open (open on macOS). The URL is its last argument; no shell."""
    highlight: list[str] = Field(default_factory=list, max_length=100)
    """More words (or phrases) that make a message a mention of you, in any case."""
    time_format: str = Field("%H:%M", max_length=40)
    """How a line's time is written, as strftime writes it ("%H:%M:%S", "%I:%M %p"...); the
    full date of a message is one key away (i on a selected message)."""
    typing: bool = False
    """Tell others when you type, and show when they do (off: privacy first)."""
    bell: Bell = Bell.MENTIONS
    """Ring the terminal bell: "mentions", "all" (a message in another room too) or "off";
    true and false (earlier versions) mean "mentions" and "off"."""
    notify_command: list[str] = Field(default_factory=list)
    """Run on a mention, e.g. ["notify-send", "{sender} in #{room}", "{text}"]; no shell."""
    tls: bool = False
    """Connect with TLS (as a tls:// controller URI does)."""
    ca_cert: Path | None = None
    """The certificate (PEM) of the authority that signed the server's: TLS trusts it alone."""
    auth_user: str | None = None
    """The account on a server with password authentication."""
    password: SecretStr | None = None
    """Its password: from the config file or PRAVECHAT_PASSWORD only, never a flag."""
    password_file: Path | None = None
    """A file holding the password, instead of ``password``."""

    @field_validator("bell", mode="before")
    @classmethod
    def _bell(cls, value: object) -> object:
        if isinstance(value, bool):
            return Bell.MENTIONS if value else Bell.OFF
        if isinstance(value, str):
            return _BELL_WORDS.get(value.strip().lower(), value.strip().lower())
        return value

    @field_validator("highlight")
    @classmethod
    def _highlight(cls, value: list[str]) -> list[str]:
        words = [word.strip() for word in value]
        for word in words:
            if not 0 < len(word) <= 32 or not word.isprintable():
                raise ValueError(f"{word!r}: a highlight is 1-32 printable characters")
        return words

    @field_validator("time_format")
    @classmethod
    def _time_format(cls, value: str) -> str:
        try:
            shown = datetime(2026, 12, 31, 23, 59, 59).strftime(value)
        except ValueError as error:
            raise ValueError(f"{value!r} is not a time format: {error}") from None
        if not shown.isprintable() or len(shown) > 20:
            raise ValueError(f"{value!r} writes {shown!r}: at most 20 printable characters")
        return value

    @field_validator("user")
    @classmethod
    def _user(cls, value: str | None) -> str | None:
        return None if value is None else validate_user(value)

    @field_validator("room")
    @classmethod
    def _room(cls, value: str) -> str:
        return public_room(value)

    @field_validator("rooms")
    @classmethod
    def _rooms(cls, value: list[str]) -> list[str]:
        return [public_room(room) for room in value]

    @field_validator("controller")
    @classmethod
    def _controller(cls, value: str) -> str:
        return join_controllers(parse_controllers(value))

    @field_validator("scope", "streamcli_scope")
    @classmethod
    def _scope(cls, value: str) -> str:
        return validate_scope(value)

    @model_validator(mode="after")
    def _tls_scheme(self) -> Self:
        addresses = parse_controllers(self.controller)
        if self.tls and addresses[0].scheme != "tls":
            addresses = [
                ControllerAddress(
                    "tls", "localhost" if a.host in ("127.0.0.1", "::1") else a.host, a.port
                )
                for a in addresses
            ]
            # frozen: set once, here
            object.__setattr__(self, "controller", join_controllers(addresses))
        for address in addresses:
            if address.scheme == "tls" and _is_ip(address.host):
                raise ValueError(
                    "TLS needs the server's name, not an IP address (the client checks "
                    f"certificates by DNS name): e.g. tls://localhost:{address.port}"
                )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The constructor's arguments alone: a program that builds Settings itself says
        everything. :func:`load_settings` layers the user's PRAVECHAT_* variables and file
        under them."""
        if not cls.layered:
            return (init_settings,)
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, config_file())

    def credentials(self) -> Credentials:
        """What the client hands Pravega; reads the password file."""
        password = self.password.get_secret_value() if self.password else None
        if self.password_file is not None:
            try:
                password = self.password_file.read_text().strip()
            except OSError as error:
                raise PravechatError(
                    f"cannot read the password file {self.password_file}: {error.strerror}"
                ) from None
        return Credentials(self.ca_cert, self.auth_user, password)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class _Layered(Settings):
    """Settings as the user configured them: flags, then PRAVECHAT_* variables, then the
    file."""

    layered: ClassVar[bool] = True


ENV_SETTINGS = tuple(Settings.model_fields)
"""Each setting is also read from PRAVECHAT_<NAME> (lists as JSON)."""


def config_file() -> Path:
    return Path(os.environ.get(f"{ENV_PREFIX}CONFIG", config_dir() / "config.toml"))


def load_settings(**overrides: Any) -> Settings:
    """Merge the sources; ``overrides`` (command-line flags) that are None are ignored."""
    flags = {name: value for name, value in overrides.items() if value is not None}
    path = config_file()
    if f"{ENV_PREFIX}CONFIG" in os.environ and not path.is_file():
        raise PravechatError(f"no config file at {path} ({ENV_PREFIX}CONFIG names it)")
    try:
        return _Layered(**flags)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as error:
        raise PravechatError(f"cannot read {path}: {error}") from None
    except SettingsError as error:  # a variable that does not parse: a list not in JSON
        field = re.search(r'field "(\w+)"', str(error))
        name = ENV_PREFIX + (field.group(1).upper() if field else "ROOMS")
        example = """'["random", "dev"]'"""
        raise PravechatError(f"invalid setting {name}: a list in JSON, e.g. {example}") from None
    except ValidationError as error:
        unknown = [e["loc"][0] for e in error.errors() if e["type"] == "extra_forbidden"]
        if unknown:
            raise PravechatError(f"unknown setting {unknown[0]!r} in {path}") from None
        where, reason = first_problem(error)
        raise PravechatError(f"invalid setting {where}: {reason}" if where else reason) from None
