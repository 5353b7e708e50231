"""pravechat's benchmarks (``python -m benchmarks``).

The UI package is imported first, as the ``pravechat`` command does before Textual loads: it
sets how often Textual may paint, which Textual reads once, when it is first imported.
"""

import pravechat.ui  # noqa: F401
