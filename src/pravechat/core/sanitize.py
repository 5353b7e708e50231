"""Make untrusted text inert for a terminal: no control characters, escapes or bidi overrides.

Applied on send and on receive. Whole ANSI/VT escape sequences (CSI, OSC, DCS, ...) are removed
so no stray "[31m" is left behind; then every remaining C0 control but newline and tab, DEL and
C1 control is removed. The result never contains ESC, so sanitizing twice changes nothing.
"""

import re

# ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC (ESC ] P X ^ _ ... BEL or ST),
# and two-character escapes (ESC followed by one byte in 0x20-0x7e).
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b[\]PX^_].*?(?:\x07|\x1b\\|$)"
    r"|\x1b[ -~]",
    re.DOTALL,
)
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 but tab and newline, DEL, C1
    "\u202a-\u202e\u2066-\u2069"  # bidi embeddings, overrides and isolates
    "\ufff9-\ufffb]"  # interlinear annotation controls
)
_LINE_SEPARATORS = re.compile("\r\n|[\r\u2028\u2029\x85]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def sanitize_text(text: str) -> str:
    """Return ``text`` with everything a terminal could interpret removed."""
    text = _LONE_SURROGATE.sub("\ufffd", text)
    text = _LINE_SEPARATORS.sub("\n", text)
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _FORBIDDEN.sub("", text)
