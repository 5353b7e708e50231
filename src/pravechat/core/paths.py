"""Per-user directories, following the XDG base directory specification."""

import os
from pathlib import Path

APP_NAME = "pravechat"
OWNER_ONLY_UMASK = 0o077
"""Files 0600, directories 0700: sessions hold unsent text, logs, server data."""


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


def private_dir(path: Path) -> Path:
    """Create a directory only its owner can enter (0700). Under the state directory an
    existing one is repaired too (earlier versions made them 0755); elsewhere (a --data-dir
    the user chose) an existing directory keeps the mode its owner gave it."""
    ours = path.is_relative_to(state_dir())
    for directory in (state_dir(), path) if ours else (path,):
        existed = directory.exists()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if ours or not existed:
            directory.chmod(0o700)
    return path


def owner_only() -> None:
    """From now on this process, and what it starts, creates files for its owner alone."""
    os.umask(OWNER_ONLY_UMASK)


def config_dir() -> Path:
    """The user's settings."""
    return _xdg_dir("XDG_CONFIG_HOME", ".config")
