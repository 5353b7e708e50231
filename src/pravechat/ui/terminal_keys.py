"""Keys that xterm-compatible terminals (and tmux) send but Textual reads as something else.

Alt+digit arrives as ESC and the digit. Textual maps those pairs to what macOS types for
Option+digit (``¡™£¢∞§¶•ª``), so Alt+1 would type ``¡`` into the input instead of switching
rooms. Alt+Enter arrives as ESC CR, which Textual reads, after a pause, as a plain Enter: it
would send instead of starting a new line. Alt+A and Alt+U arrive as ESC and the letter, which
Textual leaves pending. All are registered as the alt keys they are.
Textual keeps the table in a private module; the tmux tests press these keys for real, so a
Textual change that breaks this shows there.
"""

from dataclasses import dataclass

from textual import _ansi_sequences


@dataclass(frozen=True)
class _Key:
    """What the parser needs of a key in its table: the key's name as ``value``."""

    value: str


def register_alt_keys() -> None:
    table = _ansi_sequences.ANSI_SEQUENCES_KEYS
    assert isinstance(table, dict)
    for digit in "123456789":
        table[f"\x1b{digit}"] = (_Key(f"alt+{digit}"),)
    table["\x1b\r"] = (_Key("alt+enter"),)
    for letter in "au":  # Alt+A (next activity), Alt+U (first unread): ESC and the letter
        table[f"\x1b{letter}"] = (_Key(f"alt+{letter}"),)
