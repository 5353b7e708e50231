"""The status bar and the input line."""

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widgets import Static, TextArea

from pravechat.core.commands import completions
from pravechat.core.protocol import MAX_TEXT_LENGTH
from pravechat.core.session import Connection
from pravechat.ui.chat_log import PALETTE_CLASSES, read_palette
from pravechat.ui.messages import LineRefused, LineSubmitted

_COUNTS = frozenset({"status--warning", "status--unread", "status--elsewhere", "status--mentions"})


LABEL_CELLS = 10
"""Of a room's or conversation's name in the sidebar: its counts stay on the same line."""


def shorten(name: str, most: int) -> str:
    """``name``, cut to ``most`` characters with an ellipsis (names are ASCII)."""
    return name if len(name) <= most else name[: most - 1] + "…"


class _Shown(Static):
    """A Static that re-renders (and re-lays out) only when what it shows changed: the app
    calls show() on every delivery batch."""

    _shown: object = None

    def _changed(self, *what: object) -> bool:
        if what == self._shown:
            return False
        self._shown = what
        return True

    def _style(self, name: str) -> Style:
        """A component class's style, as app.tcss sets it."""
        return self.get_component_rich_style(name, partial=True)


class StatusBar(_Shown):
    """user · #room · connection state · unread count (with the panels hidden, what the
    other rooms hold)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set(_COUNTS)
    panels_hidden = False

    def show(
        self,
        user: str,
        room: str,
        state: Connection,
        unread: int,
        search: str = "",
        below: bool = False,
        elsewhere: tuple[int, int] = (0, 0),
    ) -> None:
        """``below``: the view is scrolled up; ``elsewhere``: unseen and mentions in the
        other rooms."""
        elsewhere = elsewhere if self.panels_hidden else (0, 0)
        if not self._changed(user, room, state, unread, search, below, elsewhere):
            return
        state_style = self._style("status--warning") if state.warning else Style(italic=True)
        parts: list[tuple[str, str | Style]] = [
            (user, "bold"), ("  " + room[:1], "dim"), (shorten(room[1:], 24), "bold"), ("  ", ""),
            (state, state_style)
        ]  # fmt: skip
        if unread:
            arrow = " ↓ Ctrl+End" if below else ""
            parts += [("  ", ""), (f"{unread} unread{arrow}", self._style("status--unread"))]
        unseen, mentions = elsewhere
        if unseen:
            parts += [("  ", ""), (f"{unseen} in other rooms", self._style("status--elsewhere"))]
        if mentions:
            parts += [(" ", ""), (f"@{mentions}", self._style("status--mentions"))]
        if search:
            parts += [("  ", ""), (search, "reverse")]
        self.update(Text.assemble(*parts))

    def show_quitting(self) -> None:
        self._shown = None
        self.update(Text("quitting: saving your place…", style="italic"))


class RoomList(_Shown):
    """The followed rooms: the current one highlighted, unseen counts on the others, and
    mentions of the user apart (``@2``)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set(_COUNTS)

    def show(self, rooms: list[tuple[str, int, int]], current: str) -> None:
        """``rooms``: label (``#lobby``, ``@bob``), unseen messages, unseen mentions."""
        if not self._changed(rooms, current):
            return
        lines = Text()
        for number, (name, unseen, mentions) in enumerate(rooms, start=1):
            style = "reverse bold" if name == current else ("bold" if unseen else "")
            label = f"{number} {shorten(name, LABEL_CELLS)}"
            lines.append(label, style=style)
            if unseen and name != current:
                lines.append(f" {unseen}", style=self._style("status--unread"))
            if mentions and name != current:
                lines.append(f" @{mentions}", style=self._style("status--mentions"))
            lines.append("\n")
        self.update(lines)


class PendingLines(_Shown):
    """Lines sent and not yet acknowledged (the outbox), newest last; hidden when none."""

    SHOWN = 4

    def show(self, texts: list[str]) -> None:
        if not self._changed(texts):
            return
        self.display = bool(texts)
        lines = Text(style="dim")
        if len(texts) > self.SHOWN:
            lines.append(f"… and {len(texts) - self.SHOWN} more waiting\n", style="italic")
        for text in texts[-self.SHOWN :]:
            first, _, rest = text.partition("\n")
            lines.append("⧗ pending  ", style="italic")
            lines.append(first + (" …" if rest else "") + "\n")
        lines.rstrip()
        self.update(lines)


class MemberList(_Shown):
    """Who is in the shown room now, from presence heartbeats."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set(PALETTE_CLASSES)

    def show(self, members: list[str], user: str, unlisted: int = 0, title: str = "here") -> None:
        """``unlisted``: more members than a room lists were heard from; ``title``: what the
        list is (who is here, or a conversation's members)."""
        if not self._changed(members, user, unlisted, title):
            return
        more = "+" if unlisted else ""
        lines = Text(f"{title} ({len(members)}{more})\n", style="bold")
        palette = read_palette(self)
        for member in members:
            lines.append(member + "\n", style=palette.nick(member) + Style(bold=member == user))
        self.update(lines)


class ChatInput(TextArea):
    """The input line. Enter sends; Ctrl+J (or Alt+Enter, and Shift+Enter where the terminal
    reports it) starts a new line, and a pasted block stays one message. Up/Down recall what
    was sent (from the first or last line), keeping the unsent draft as shells do; Tab
    completes commands, rooms and nicks, and pressed again goes to the next candidate."""

    # Keys are handled in this widget's own queue, not as (priority) bindings, which the app
    # runs as soon as they arrive: a burst such as "hello⏎" from a fast paste or tmux would
    # send before the letters were inserted.
    KEY_ACTIONS: ClassVar[dict[str, str]] = {
        "enter": "submit",
        # Ctrl+J is a newline byte in every terminal; Shift+Enter and Alt+Enter reach us only
        # where the terminal tells them apart from Enter (the kitty keyboard protocol).
        "ctrl+j": "newline",
        "shift+enter": "newline",
        "alt+enter": "newline",
        "up": "recall(-1)",
        "down": "recall(1)",
        "tab": "complete",
        "ctrl+e": "app.compose_in_editor",
        "escape": "app.end_search",
    }

    def __init__(self, placeholder: str = "", **kwargs: object) -> None:
        super().__init__(
            soft_wrap=True,
            show_line_numbers=False,
            highlight_cursor_line=False,
            placeholder=placeholder,
            compact=True,
            **kwargs,  # type: ignore[arg-type]
        )
        self.sent: list[str] = []
        self.nicks: list[str] = []
        self.rooms: list[str] = []
        """Rooms Tab offers after /join or #."""
        self.followed: list[str] = []
        """Rooms Tab offers after /leave."""
        self._recall_index: int | None = None
        self._draft = ""
        """What was typed before Up went back in time; Down past the newest brings it back."""
        self._cycle: tuple[list[str], int] | None = None
        """The candidates of the last Tab and which one is in the line."""

    @property
    def value(self) -> str:
        return self.text

    @value.setter
    def value(self, text: str) -> None:
        self.load_text(text)
        self.move_cursor(self.document.end)

    async def _on_key(self, event: events.Key) -> None:
        action = self.KEY_ACTIONS.get(event.key)
        if action is None:
            # The text area's own editing keys (Backspace, Ctrl+U, arrows...) are bindings,
            # which Textual runs when the key comes back up to the app: after the keys queued
            # behind it here, so "abc⌫def" typed in one burst gave "abcde". Run them in turn.
            bound = self._bindings.key_to_bindings.get(event.key, ())
            action = next((binding.action for binding in bound if not binding.priority), None)
        if action is None:
            await super()._on_key(event)
            return
        event.stop()
        event.prevent_default()
        await self.run_action(action)

    async def _on_paste(self, event: events.Paste) -> None:
        """A paste that could never be sent is refused whole, and the input keeps its text
        (inserting a megabyte would also stall the screen)."""
        if len(event.text) > MAX_TEXT_LENGTH:
            event.stop()
            event.prevent_default()
            self.post_message(
                LineRefused(
                    f"paste of {len(event.text):,} characters refused: a message holds at most "
                    f"{MAX_TEXT_LENGTH:,}; nothing was sent"
                )
            )
        # else TextArea._on_paste inserts it: Textual calls each class's handler in turn

    def action_submit(self) -> None:
        """Hand the text over and clear at once, in order with the keys that follow it; the
        app puts the text back if it refuses it."""
        text = self.text
        if text.strip():
            self.load_text("")
            self.post_message(LineSubmitted(text))

    def action_newline(self) -> None:
        start, end = sorted(self.selection)
        self.move_cursor(self.replace("\n", start, end).end_location)

    def remember(self, line: str) -> None:
        if line and (not self.sent or self.sent[-1] != line):
            self.sent.append(line)
        self._recall_index = None
        self._draft = ""

    def action_recall(self, step: int) -> None:
        row = self.cursor_location[0]
        last_row = self.document.line_count - 1
        if (step < 0 and row > 0) or (step > 0 and row < last_row):
            self.move_cursor_relative(rows=step)  # moving inside a multi-line message
            return
        if not self.sent:
            return
        if self._recall_index is None:
            if step > 0:
                return  # already at the draft
            self._draft = self.text
        index = len(self.sent) if self._recall_index is None else self._recall_index
        index = min(max(index + step, 0), len(self.sent))
        self._recall_index = index if index < len(self.sent) else None
        self.value = self.sent[index] if index < len(self.sent) else self._draft

    def action_complete(self) -> None:
        row, column = self.cursor_location
        before = self.document.get_line(row)[:column]
        if self._cycle is not None and before == self._cycle[0][self._cycle[1]]:
            candidates, index = self._cycle[0], (self._cycle[1] + 1) % len(self._cycle[0])
        else:
            candidates = completions(before, self.nicks, self.rooms, self.followed)
            index = 0
        if not candidates:
            self._cycle = None
            self.app.bell()
            return
        self._cycle = (candidates, index)
        self.replace(candidates[index], (row, 0), (row, column))
