"""The status bar and the input line."""

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input, Static

from pravechat.core.commands import complete


class StatusBar(Static):
    """user · #room · connection state · unread count."""

    def show(self, user: str, room: str, state: str, unread: int) -> None:
        parts = [(user, "bold"), ("  #", "dim"), (room, "bold"), ("  ", ""), (state, "italic")]
        if unread:
            parts += [("  ", ""), (f"{unread} unread", "bold #e5c07b")]
        self.update(Text.assemble(*parts))


class ChatInput(Input):
    """The input line: Up/Down recall what was sent, Tab completes commands and nicks."""

    BINDINGS = [  # noqa: RUF012 (Textual's own style)
        Binding("up", "recall(-1)", "Previous", show=False),
        Binding("down", "recall(1)", "Next", show=False),
        Binding("tab", "complete", "Complete", show=False, priority=True),
    ]

    class Completed(Message):
        """Posted when Tab found nothing to complete (the app may ring the bell)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.sent: list[str] = []
        self.nicks: list[str] = []
        self._recall_index: int | None = None

    def remember(self, line: str) -> None:
        if line and (not self.sent or self.sent[-1] != line):
            self.sent.append(line)
        self._recall_index = None

    def action_recall(self, step: int) -> None:
        if not self.sent:
            return
        index = len(self.sent) if self._recall_index is None else self._recall_index
        index = min(max(index + step, 0), len(self.sent))
        self._recall_index = index
        self.value = self.sent[index] if index < len(self.sent) else ""
        self.cursor_position = len(self.value)

    def action_complete(self) -> None:
        before = self.value[: self.cursor_position]
        completed = complete(before, self.nicks)
        if completed is None:
            self.app.bell()
            return
        self.value = completed + self.value[self.cursor_position :]
        self.cursor_position = len(completed)
