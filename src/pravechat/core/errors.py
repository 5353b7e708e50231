"""Errors that reach the user as one clear line, never as a traceback."""


class PravechatError(Exception):
    """A failure the user can act on; ``str(err)`` is the one line they see."""
