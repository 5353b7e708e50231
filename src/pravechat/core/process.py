"""Ending a process that used the Pravega binding."""

import os
import sys
from typing import NoReturn


def exit_process(code: int) -> NoReturn:
    """Exit without tearing down the Pravega binding.

    Its Rust runtime can crash the interpreter's shutdown (seen: a segfault in ``pravechat send``
    after every message was acknowledged), so once the work is done and the output flushed, a
    process that loaded the binding leaves at once. Close sessions and flush writers first.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    if "pravechat._pravega" in sys.modules:
        os._exit(code)
    sys.exit(code)
