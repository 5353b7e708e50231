"""Per-user directories, following the XDG base directory specification."""

import os
from pathlib import Path

APP_NAME = "pravechat"


def _xdg_dir(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable, "")
    base = Path(value) if value and Path(value).is_absolute() else Path.home() / fallback
    return base / APP_NAME


def cache_dir() -> Path:
    """Re-creatable downloads, such as the Pravega jars."""
    return _xdg_dir("XDG_CACHE_HOME", ".cache")


def state_dir() -> Path:
    """Runtime state that should outlive a process: pid files, server logs and data."""
    return _xdg_dir("XDG_STATE_HOME", ".local/state")


def session_files(scope: str, room: str, user: str) -> Path:
    """The stem of one user's files for one room: log, seen ids, outbox, locks."""
    return state_dir() / "sessions" / f"{scope}.{room}.{user}"


def config_dir() -> Path:
    """The user's settings."""
    return _xdg_dir("XDG_CONFIG_HOME", ".config")
