"""A message and its replies, over the chat: the thread view of a selected message."""

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from pravechat.core.protocol import ChatMessage
from pravechat.ui.chat_log import ChatLog
from pravechat.ui.entries import Entry, EntryKind
from pravechat.ui.messages import MessageChosen


class ThreadScreen(ModalScreen[None]):
    """Up/Down select a line of the thread; r, +, e, d act on it in the conversation (the
    view closes); Esc closes it."""

    DEFAULT_CSS = """
    ThreadScreen { align: center middle; }
    ThreadScreen > Vertical {
        width: 90%; height: 80%; border: tall $accent; background: $surface;
    }
    ThreadScreen #thread-title { height: 1; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape,q", "close", "Close", show=True),
    ]

    def __init__(
        self,
        where: str,
        entries: list[Entry],
        missing: int,
        choose: Callable[[str, ChatMessage], None],
    ) -> None:
        super().__init__()
        self._choose = choose
        """Makes a choice in the conversation, as its own selection would."""
        self._where = where
        self._entries = entries
        self._missing = missing
        """Replies not loaded in the conversation (older than its scrollback)."""

    def compose(self) -> ComposeResult:
        replies = len(self._entries) - 1 + self._missing
        title = f"thread in {self._where}: {replies} repl{'y' if replies == 1 else 'ies'}"
        with Vertical():
            yield Static(title, id="thread-title", markup=False)
            yield ChatLog(id="thread-log")

    def on_mount(self) -> None:
        log = self.query_one(ChatLog)
        log.add(self._entries, seen=True)
        if self._missing:
            log.add([Entry(EntryKind.INFO, f"{self._missing} more not loaded: scroll up in "
                                           "the conversation to load them")])  # fmt: skip
        log.start_selecting()

    def on_message_chosen(self, event: MessageChosen) -> None:
        """Leaving selection closes the view; any other choice is made in the conversation,
        once the view is gone."""
        event.stop()
        self.dismiss()
        if event.message is not None and event.what != "thread":
            self._choose(event.what, event.message)

    def action_close(self) -> None:
        self.dismiss()
