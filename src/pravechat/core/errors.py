"""Errors that reach the user as one clear line, never as a traceback."""

from pydantic import ValidationError


class PravechatError(Exception):
    """A failure the user can act on; ``str(err)`` is the one line they see."""


def first_problem(error: ValidationError) -> tuple[str, str]:
    """Where and what the first problem of a pydantic validation error is, for one line."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return where, str(first.get("ctx", {}).get("error", first["msg"]))
