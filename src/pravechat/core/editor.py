"""Writing a message in the user's editor ($VISUAL, $EDITOR), as git does for a commit."""

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pravechat.core.errors import PravechatError
from pravechat.core.paths import private_dir, state_dir


def editor_command(environ: Mapping[str, str] | None = None) -> list[str]:
    """$VISUAL, else $EDITOR (its words: ``code --wait`` works), else vi."""
    source = os.environ if environ is None else environ
    chosen = source.get("VISUAL") or source.get("EDITOR") or "vi"
    try:
        words = shlex.split(chosen)
    except ValueError:
        raise PravechatError(f"cannot run the editor {chosen!r}: unbalanced quotes") from None
    return words or ["vi"]


def edit_text(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Open ``text`` in the editor (blocking: the terminal is the editor's meanwhile) and
    return what was saved, without the newline editors add at the end. The draft lives in
    a file only its owner can read, removed afterwards."""
    drafts = private_dir(state_dir() / "drafts")
    handle, name = tempfile.mkstemp(prefix="message-", suffix=".txt", dir=drafts)
    path = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as draft:
            draft.write(text)
        command = [*editor_command(environ), str(path)]
        try:
            result = subprocess.run(command, check=False)
        except OSError as error:
            raise PravechatError(
                f"cannot run the editor {command[0]!r}: {error.strerror or error} "
                "(set VISUAL or EDITOR)"
            ) from None
        if result.returncode != 0:
            raise PravechatError(
                f"the editor {command[0]!r} exited with {result.returncode}: nothing was sent"
            )
        saved = path.read_text(encoding="utf-8", errors="replace")
    finally:
        path.unlink(missing_ok=True)
    return saved.removesuffix("\n")
