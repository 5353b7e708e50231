"""The Textual UI: widgets over the core. Only this package imports textual."""

import os

# Textual paints on a fixed 60 Hz grid by default: a line that arrives just after a tick waits
# for the next one (8 ms on average, measured). The screen may paint as soon as something
# changed; the chat log paces its own repaints to one per frame (chat_log.FRAME). Set before
# Textual is imported, which reads it once; a user's own TEXTUAL_FPS wins.
os.environ.setdefault("TEXTUAL_FPS", "1000")
