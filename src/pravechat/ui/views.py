"""Views over the chat: some messages of a conversation (a thread, what surrounds a search
result) and the results of a search."""

from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from pravechat.core.annotations import excerpt
from pravechat.core.protocol import ChatMessage
from pravechat.core.search import Found
from pravechat.ui.chat_log import ChatLog
from pravechat.ui.entries import Entry
from pravechat.ui.messages import MessageChosen

T = TypeVar("T")

_FRAME_CSS = """
    align: center middle;
    & > Vertical { width: 90%; height: 80%; border: tall $accent; background: $surface; }
    & .view-title { height: 1; padding: 0 1; }
"""


class MessagesScreen(ModalScreen[None]):
    """Some messages, one selected: Up/Down select another; r, +, e, d act on it in the
    conversation (the view closes); Esc or q closes it."""

    DEFAULT_CSS = f"MessagesScreen {{ {_FRAME_CSS} }}"
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape,q", "close", "Close", show=True),
    ]

    def __init__(
        self,
        title: str,
        entries: list[Entry],
        choose: Callable[[str, ChatMessage], None],
        selected: str | None = None,
    ) -> None:
        """``choose`` makes a choice in the conversation, as its own selection would;
        ``selected``: the id of the message selected first (else the newest)."""
        super().__init__()
        self._title = title
        self._entries = entries
        self._choose = choose
        self._selected = selected

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, classes="view-title", markup=False)
            yield ChatLog(id="view-log")

    def on_mount(self) -> None:
        log = self.query_one(ChatLog)
        log.add(self._entries, seen=True)
        log.start_selecting(self._selected)

    def on_message_chosen(self, event: MessageChosen) -> None:
        """Leaving selection closes the view; any other choice is made in the conversation,
        once the view is gone."""
        event.stop()
        self.dismiss()
        if event.message is not None and event.what != "thread":
            self._choose(event.what, event.message)

    def action_close(self) -> None:
        self.dismiss()


def message_line(message: ChatMessage, where: str = "") -> Text:
    """A message in a list: where, when, who, the start of what was said (plain text)."""
    when = message.sent_at.astimezone().strftime("%Y-%m-%d %H:%M")
    place = (f"{where} ", "bold") if where else ""
    return Text.assemble(
        place, (when, "dim"), " ", (message.sender, "bold"), " ", excerpt(message.text)
    )


class PickScreen(ModalScreen[T | None], Generic[T]):
    """A list to pick from (a search's results, the mentions): Enter picks one (the view
    closes with it as its result); Esc or q closes it."""

    DEFAULT_CSS = f"PickScreen {{ {_FRAME_CSS} }} PickScreen OptionList {{ height: 1fr; }}"
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("escape,q", "close", "Close", show=True),
    ]

    def __init__(self, title: str, items: list[tuple[Text, T]]) -> None:
        """``items``: each line (plain text, never markup) and what picking it gives."""
        super().__init__()
        self._title = title
        self._items = items

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, classes="view-title", markup=False)
            yield OptionList(*(Option(line) for line, _ in self._items))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._items[event.option_index][1])

    def action_close(self) -> None:
        self.dismiss(None)


def results_screen(title: str, hits: list[Found]) -> "PickScreen[Found]":
    """A search's results, newest first."""
    return PickScreen(title, [(message_line(hit.message), hit) for hit in reversed(hits)])
