"""A scrollback that holds 100,000 messages and renders only the lines on screen.

Textual's Line API: the widget keeps entries and, per entry, its first line number at the
current width; ``render_line`` finds the entry by bisection and renders it on demand, with an
LRU cache of rendered lines. Appending a burst costs a line count per entry and one refresh.

The log also knows what its reader has seen: a message from someone else counts as unseen
until its line has been on screen. The first unseen message gets a divider above it; a room
with unseen messages opens at that divider, and the count falls as the reader scrolls down.
"""

from bisect import bisect_right
from collections.abc import Callable, Iterable
from datetime import date
from typing import ClassVar

from rich.console import Console
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from pravechat.core.protocol import ChatMessage
from pravechat.ui.entries import (
    NICK_COLOURS,
    Entry,
    EntryKind,
    Palette,
    day_entry,
    day_label,
    line_count,
    render_entry,
)
from pravechat.ui.messages import MessageChosen, UnseenChanged, WantsOlder

_NICKS = tuple(f"nick--{n}" for n in range(NICK_COLOURS))
PALETTE_CLASSES = frozenset(
    {"log--time", "log--system", "log--error", "log--divider", "log--mention",
     "log--mentioned", *_NICKS}
)  # fmt: skip
"""The stylesheet's component classes lines are drawn with (app.tcss)."""


def read_palette(widget: Widget, time_format: str = "%H:%M") -> Palette:
    """The palette as the stylesheet sets it for ``widget`` (which declares PALETTE_CLASSES)."""

    def style(name: str) -> Style:
        return widget.get_component_rich_style(name, partial=True)

    return Palette(
        time=style("log--time"),
        system=style("log--system"),
        error=style("log--error"),
        divider=style("log--divider"),
        mention=style("log--mention"),
        mentioned=style("log--mentioned"),
        nicks=tuple(style(name) for name in _NICKS),
        time_format=time_format,
    )


RENDERED_KEPT = 512
"""Entries whose rendered lines are kept for reuse: a screenful or two each way. Every kept
strip is walked by each full garbage collection; 2,048 made those take up to 70 ms."""


def _counts(entry: Entry) -> bool:
    """Whether the entry is someone else's message: what unseen counts."""
    return entry.message is not None and not entry.own


_RETIRED = Entry(EntryKind.DIVIDER, "")
"""An earlier divider, once a newer one is placed: it takes no line."""


def _day_label_is(entry: Entry, day: date | None) -> bool:
    return day is not None and entry.text == day_label(day)


def _day(entry: Entry) -> date | None:
    message = entry.message
    return message.sent_at.astimezone().date() if message is not None else None


ACTIONS_HELP = (
    ("Alt+Up", "select a message; Up/Down, Esc: back"),
    ("r / Enter", "reply to the selected message"),
    ("+", "react (the same again: take it back)"),
    ("e / d", "edit / delete it, if yours (d twice)"),
    ("t / i", "its thread / its date, time and id"),
    ("o", "open its link (xdg-open, no shell)"),
)
"""The keys of a selected message, for /help."""


class ChatLog(ScrollView, can_focus=True):
    """The room's messages, oldest first; follows the bottom unless the reader scrolled up.

    Focused, it is in selection mode: one message is selected (highlighted) and keys act on it
    (they post :class:`MessageChosen` to the pane)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {*PALETTE_CLASSES, "log--found", "log--selected"}
    BINDINGS: ClassVar[list[Binding]] = [  # type: ignore[assignment]
        Binding("up,k", "select(-1)", "Older", show=False),
        Binding("down,j", "select(1)", "Newer", show=False),
        Binding("escape", "unselect", "Back", show=True),
        Binding("r,enter", "choose('reply')", "Reply", show=True),
        Binding("plus", "choose('react')", "React", show=True),
        Binding("e", "choose('edit')", "Edit", show=True),
        Binding("d", "choose('delete')", "Delete", show=True),
        Binding("t", "choose('thread')", "Thread", show=True),
        Binding("i", "choose('info')", "Info", show=True),
        Binding("o", "choose('open')", "Open link", show=True),
    ]

    def __init__(
        self, max_entries: int = 100_000, time_format: str = "%H:%M", **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_entries = max_entries
        self.time_format = time_format
        self._counting = Palette(time_format=time_format)
        """What line counts need of the palette (its styles change no widths)."""
        self._by_id: dict[str, int] = {}
        """Sequence number of each message's entry."""
        self._last_day: date | None = None
        """The local date of the newest message entry: a new day gets a line of its own."""
        self.selected: int | None = None
        """Sequence number of the selected message entry (selection mode)."""
        self._entries: list[Entry] = []
        self._starts: list[int] = []  # first line of each entry
        self._total_lines = 0
        self._width = 0
        self._first_seq = 0  # sequence number of self._entries[0], for cache keys
        self._cache: LRUCache[tuple[int, int], list[Strip]] = LRUCache(RENDERED_KEPT)
        self._search = ""
        self._matches: list[int] = []  # entry indexes, oldest first
        self._match = -1
        self.following = True
        """Whether new lines scroll the view: false once the reader scrolls up."""
        self._seen_seq = 0  # sequence number of the first entry never on screen
        self._divider_seq: int | None = None
        self.unseen = 0
        self.mentions = 0
        self.divider_shown = True
        """False from placing a divider until the view has been put there (on showing)."""
        self._reported = (0, 0)
        self.older = False
        """The room holds messages before the first entry: reaching the top asks for them."""
        self._asked_older = False
        self._palette: Palette | None = None

    @property
    def entries(self) -> list[Entry]:
        return self._entries

    @property
    def _end_seq(self) -> int:
        return self._first_seq + len(self._entries)

    def clear(self) -> None:
        self.end_search()
        self._first_seq += len(self._entries)
        self._entries.clear()
        self._starts.clear()
        self._by_id.clear()
        self._last_day = None
        self.selected = None
        self._total_lines = 0
        self._seen_seq, self._divider_seq = self._first_seq, None
        self.unseen = self.mentions = 0
        self.following = True
        self.older = False  # loading older ones would leave a gap after what was cleared
        self._update_size()
        self._report()

    def add(self, entries: Iterable[Entry], unread: bool = False, seen: bool = False) -> None:
        """Append entries, scrolling along if the view follows the bottom. ``unread``: they
        arrived while the user was away, so the view stops at their divider; ``seen``: they
        count as read already (the history shown on joining)."""
        width = self._text_width()
        console = self.app.console
        # Invariant: ``unseen`` counts the others' messages at or after _seen_seq.
        arrives_seen = seen or (not unread and self.following and self._watched())
        for entry in entries:
            day = _day(entry)
            if day is not None and day != self._last_day:
                self._last_day = day
                self._append(day_entry(day), width, console)
            if arrives_seen and not self.unseen:
                self._seen_seq = self._end_seq + 1
            elif _counts(entry):
                if not self.unseen:
                    self._place_divider("unread" if unread else "new", width, console)
                self.unseen += 1
                self.mentions += entry.mention
            self._append(entry, width, console)
        if len(self._entries) > self.max_entries * 1.1:
            dropped_lines = self._drop_oldest(len(self._entries) - self.max_entries)
            if not self.following:  # keep the lines being read where they are
                self.scroll_to(y=max(0, self.scroll_y - dropped_lines), animate=False,
                               immediate=True)  # fmt: skip
        self._update_size()
        self._report()

    def prepend(self, entries: list[Entry], older: bool) -> None:
        """Put older entries above the first, keeping the lines on screen where they are;
        ``older``: the room holds more before these. Past ``max_entries`` the oldest of
        them are left out, and no more are asked for."""
        self._asked_older = False
        room = self.max_entries - len(self._entries)
        if len(entries) > room:
            entries, older = entries[len(entries) - max(0, room) :], False
        self.older = older
        if not entries:
            return
        self.end_search()  # its entry indexes would be off
        entries = self._with_days(entries)
        removed = self._retire_first_day(_day(entries[-1]) if entries else None)
        width, console = self._text_width(), self.app.console
        starts, added = [], 0
        for entry in entries:
            starts.append(added)
            added += self._count(entry, width, console)
        self._starts = starts + [start + added for start in self._starts]
        self._entries[:0] = entries
        self._first_seq -= len(entries)  # the others keep their sequence numbers
        for index, entry in enumerate(entries):
            if entry.message is not None:
                self._by_id.setdefault(entry.message.id, self._first_seq + index)
        if self._last_day is None:
            self._last_day = next((_day(e) for e in reversed(entries) if _day(e)), None)
        self._total_lines += added
        self._cache.clear()  # its keys may name entries dropped earlier
        following, top = self.following, self.scroll_y
        self._update_size()
        if not following:
            self.scroll_to(y=top + added - removed, animate=False, immediate=True, force=True)

    @staticmethod
    def _with_days(entries: list[Entry]) -> list[Entry]:
        """Older entries with a day line above each day's first message."""
        dated: list[Entry] = []
        last: date | None = None
        for entry in entries:
            day = _day(entry)
            if day is not None and day != last:
                last = day
                dated.append(day_entry(day))
            dated.append(entry)
        return dated

    def _retire_first_day(self, day: date | None) -> int:
        """Older messages of ``day`` go above the first ones: the day line that stood above
        those goes (it takes no line). Returns the lines removed."""
        for index, entry in enumerate(self._entries):
            if entry.message is not None:
                break
            if entry.kind is EntryKind.DAY and _day_label_is(entry, day):
                self._entries[index] = _RETIRED
                self._starts[index + 1 :] = [start - 1 for start in self._starts[index + 1 :]]
                self._total_lines -= 1
                return 1
        return 0

    def want_older(self) -> None:
        """At the top: ask the app for older messages, once until they come."""
        if self.older and not self._asked_older:
            self._asked_older = True
            self.post_message(WantsOlder(self))

    def older_failed(self) -> None:
        """Loading older messages failed: the next time the top is reached asks again."""
        self._asked_older = False

    def _count(self, entry: Entry, width: int, console: Console) -> int:
        return line_count(entry, width, console, self._counting)

    def _append(self, entry: Entry, width: int, console: Console) -> None:
        if entry.message is not None:
            self._by_id.setdefault(entry.message.id, self._end_seq)
        self._entries.append(entry)
        self._starts.append(self._total_lines)
        self._total_lines += self._count(entry, width, console)

    def _place_divider(self, label: str, width: int, console: Console) -> None:
        """Above the first unseen message; the previous divider is retired in place (its
        line goes, the other entries keep their indexes, so search matches stay right)."""
        old = self._index(self._divider_seq)
        if old is not None:
            self._entries[old] = _RETIRED
            self._cache.clear()  # its strips may be cached at any width
            for index in range(old + 1, len(self._starts)):
                self._starts[index] -= 1
            self._total_lines -= 1
            if self.scroll_y > self._starts[old]:
                following = self.following  # max_scroll_y is stale until the next layout
                self.scroll_to(y=self.scroll_y - 1, animate=False, immediate=True)
                self.following = following
        self.divider_shown = False
        self._divider_seq = self._end_seq
        self._seen_seq = self._end_seq  # the divider is the first thing not yet seen
        self._append(Entry(EntryKind.DIVIDER, label), width, console)

    def _index(self, seq: int | None) -> int | None:
        if seq is None or not self._first_seq <= seq < self._end_seq:
            return None
        return seq - self._first_seq

    def _drop_oldest(self, count: int) -> int:
        """Forget the oldest entries; returns how many lines they took.

        The others keep their line counts (the width is the same): no reflow. Reflowing the
        whole scrollback on every batch made a catch-up crawl at 700 msg/s (measured).
        """
        self.end_search()  # its entry indexes would be off
        self.older = False  # loading older ones would now leave a gap: scrollback is full
        shift = self._starts[count] if count < len(self._starts) else self._total_lines
        self._forget_unseen(self._first_seq + count)  # dropped unseen are gone for good
        for entry in self._entries[:count]:
            if entry.message is not None:
                self._by_id.pop(entry.message.id, None)
        if self.selected is not None and self.selected < self._first_seq + count:
            self.selected = None
        self._first_seq += count  # cached strips stay keyed by sequence number
        del self._entries[:count]
        self._starts = [start - shift for start in self._starts[count:]]
        self._total_lines -= shift
        return shift

    # --- what the reader has seen ------------------------------------------------------------

    def _watched(self) -> bool:
        """Whether the log is on screen (a room not shown keeps its log hidden)."""
        return self.display and self.is_mounted and self.size.height > 0

    def _forget_unseen(self, up_to_seq: int) -> None:
        """Count everything before ``up_to_seq`` as seen."""
        if up_to_seq <= self._seen_seq:
            return
        start = max(0, self._seen_seq - self._first_seq)
        for entry in self._entries[start : up_to_seq - self._first_seq]:
            if _counts(entry):
                self.unseen -= 1
                self.mentions -= entry.mention
        self._seen_seq = up_to_seq

    def mark_seen(self) -> None:
        """What is on screen now has been seen; tell the app if the counts changed."""
        if self._watched() and self._entries and self.unseen:
            last_line = int(self.scroll_y) + self.scrollable_content_region.height - 1
            last = bisect_right(self._starts, min(last_line, self._total_lines - 1)) - 1
            self._forget_unseen(self._first_seq + last + 1)
        self._report()

    def _report(self) -> None:
        counts = (self.unseen, self.mentions)
        if counts != self._reported:
            self._reported = counts
            self.post_message(UnseenChanged(self))

    def show_unseen(self, attempts: int = 3) -> None:
        """Put the view where reading should go on: the divider at the top when unseen lines
        follow it (and do not all fit below it), else the bottom."""
        height = self.scrollable_content_region.height
        if not height:  # hidden (or not laid out yet): showing it (reveal) puts the view there
            if attempts and self.display:
                self.call_after_refresh(self.show_unseen, attempts - 1)
            return
        divider = self._index(self._divider_seq)
        top = self._starts[divider] if divider is not None else self._total_lines
        if self.unseen and self._total_lines - top > height:
            self.following = False
            self.scroll_to(y=top, animate=False, immediate=True, force=True)
            if self.scroll_y != top and attempts:  # no scrolling until the scrollbar is laid out
                self.call_after_refresh(self.show_unseen, attempts - 1)
                return
        else:
            self.follow()
        self.divider_shown = True
        self.mark_seen()

    def jump_to_unread(self) -> bool:
        """Put the first unread line (the divider above it) at the top; False when there is
        none."""
        divider = self._index(self._divider_seq)
        if divider is None:
            return False
        self.following = False
        self.scroll_to(y=self._starts[divider], animate=False, immediate=True, force=True)
        self.call_after_refresh(self.mark_seen)
        return True

    def mentions_of_user(self) -> list[Entry]:
        """The loaded messages that mention the user, oldest first."""
        return [entry for entry in self._entries if entry.mention]

    def reveal(self) -> None:
        """Shown again (a room switched to): at a new divider, else where the reader was."""
        self.call_after_refresh(self.mark_seen if self.divider_shown else self.show_unseen)

    def follow(self) -> None:
        """Back to the bottom, following new lines again."""
        self.following = True
        self.scroll_end(animate=False, immediate=True, force=True)
        self.call_after_refresh(self.mark_seen)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.following = new_value >= self.max_scroll_y
        self.mark_seen()
        if new_value <= 0 < old_value:
            self.want_older()

    def on_mouse_scroll_up(self) -> None:
        if self.scroll_y <= 0:  # already at the top: the wheel asks for more
            self.want_older()

    def _text_width(self) -> int:
        return max(20, self.scrollable_content_region.width or self.size.width or 80)

    def _reflow(self) -> None:
        width = self._text_width()
        console = self.app.console
        self._starts = []
        total = 0
        for entry in self._entries:
            self._starts.append(total)
            total += self._count(entry, width, console)
        self._total_lines = total
        self._cache.clear()

    def _update_size(self) -> None:
        size = Size(self._text_width(), self._total_lines)
        if self._needs_layout(size):
            self.virtual_size = size  # a reactive with layout=True: the whole screen is redone
            self.call_after_refresh(self._settle_view)  # max_scroll_y is stale until then
        else:
            # Only the log grew: repaint it and its scrollbar, and scroll now. A layout per
            # arriving message, then a second refresh for the scroll, made a line take 26-34
            # ms to show instead of 16 (p50, measured in process at 100 msg/s).
            self.set_reactive(ChatLog.virtual_size, size)
            self.vertical_scrollbar.window_virtual_size = size.height
            self._settle_view()
        self.refresh()

    def _settle_view(self) -> None:
        """After a layout: lines counted at the width before a scrollbar came or went are
        counted again; a following view goes to the bottom, or stops at the divider of
        unseen lines."""
        width_known = self.scrollable_content_region.width > 0  # hidden: no width to fit
        if width_known and self._text_width() != self._width:  # no resize event says so
            self._width = self._text_width()
            self._reflow()
            self._update_size()  # settles again, at the new width
            return
        if not self.following:
            return
        if self.unseen:
            self.show_unseen()
        else:
            # force: before the layout that follows a first overflow the scrollbar is not
            # shown yet, and an unforced scroll does nothing; the view then stayed at the top
            # until the next line arrived (seen in CI).
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)

    def _needs_layout(self, size: Size) -> bool:
        """Whether the scrollbars would appear, vanish or resize (a layout's work)."""
        old = self.virtual_size
        height = self.scrollable_content_region.height
        return (
            not self.is_mounted
            or not height
            or old.width != size.width
            or (old.height > height) != (size.height > height)
        )

    def on_resize(self) -> None:
        if self._text_width() != self._width:
            self._width = self._text_width()
            self._reflow()
            self._update_size()
        else:
            self.call_after_refresh(self._settle_view)
        self.call_after_refresh(self.mark_seen)

    # --- search ----------------------------------------------------------------------------

    def search(self, term: str) -> tuple[int, int]:
        """Jump to the newest entry containing ``term`` (any case); an empty term jumps to
        the next older match, wrapping around. Returns (match number, total), (0, 0) if none."""
        if term:
            self._search = term.casefold()
            self._matches = [
                index
                for index, entry in enumerate(self._entries)
                if entry.kind is EntryKind.MESSAGE and self._search in entry.text.casefold()
            ]
            self._match = len(self._matches) - 1
        elif self._matches:
            self._match = (self._match - 1) % len(self._matches)
        self._cache.clear()  # the highlight moved
        if not self._matches:
            self.refresh()
            return 0, 0
        index = self._matches[self._match]
        self.scroll_to(y=max(0, self._starts[index] - self.size.height // 2), animate=False)
        self.refresh()
        return len(self._matches) - self._match, len(self._matches)

    def end_search(self) -> None:
        self._search, self._matches, self._match = "", [], -1
        self._cache.clear()
        self.refresh()

    def _strips(self, index: int, width: int) -> list[Strip]:
        key = (self._first_seq + index, width)
        strips = self._cache.get(key)
        if strips is None:
            console = self.app.console
            if self._palette is None:
                self._palette = read_palette(self, self.time_format)
            lines = render_entry(self._entries[index], width, console, self._palette)
            if self._search and self._matches and index == self._matches[self._match]:
                found = self.get_component_rich_style("log--found", partial=True)
                for line in lines:
                    line.highlight_words([self._search], found, case_sensitive=False)
            if self.selected == self._first_seq + index:
                chosen = self.get_component_rich_style("log--selected", partial=True)
                for line in lines:
                    line.stylize(chosen)
            style = self.rich_style  # resolving it walks the DOM: once per entry, not per line
            strips = [
                Strip(list(line.render(console)), line.cell_len)
                .adjust_cell_length(width)
                .apply_style(style)
                for line in lines
            ]
            self._cache[key] = strips
        return strips

    def update_entries(
        self, which: Callable[[Entry], bool], again: Callable[[ChatMessage], Entry]
    ) -> None:
        """Make the message entries ``which`` selects anew with ``again`` (their sender's
        trust changed, say), keeping the view where it is."""
        changed = False
        for index, entry in enumerate(self._entries):
            if entry.message is not None and which(entry):
                remade = again(entry.message)
                if remade != entry:
                    self._entries[index], changed = remade, True
        if changed:
            self._reflow()
            self._update_size()

    # --- messages by id -------------------------------------------------------------------

    def message_entry(self, message_id: str) -> Entry | None:
        """The entry of the message with this id, if loaded."""
        index = self._index(self._by_id.get(message_id))
        return self._entries[index] if index is not None else None

    def replace_messages(self, ids: Iterable[str], again: Callable[[ChatMessage], Entry]) -> None:
        """Make the entries of these messages (those loaded) anew with ``again``: an edit,
        a reaction or a reply changed how they look. One pass over the line starts, however
        many changed (a flood of reactions comes in batches)."""
        width, console = self._text_width(), self.app.console
        growth: dict[int, int] = {}  # entry index: lines gained (or lost)
        for message_id in set(ids):
            index = self._index(self._by_id.get(message_id))
            if index is None or (message := self._entries[index].message) is None:
                continue
            remade = again(message)
            if remade != self._entries[index]:
                end = (
                    self._starts[index + 1] if index + 1 < len(self._starts) else self._total_lines
                )
                old, self._entries[index] = self._entries[index], remade
                growth[index] = self._count(remade, width, console) - (end - self._starts[index])
                if self._first_seq + index >= self._seen_seq and _counts(remade):
                    self.mentions += remade.mention - old.mention  # an edit can add or drop one
        if not growth:
            return
        if any(growth.values()):  # only the changed entries are measured; the rest shift
            shift = 0
            first = min(growth)
            for index in range(first + 1, len(self._starts)):
                shift += growth.get(index - 1, 0)
                self._starts[index] += shift
            self._total_lines += sum(growth.values())
        self._cache.clear()
        self._update_size()
        self._report()

    # --- selection mode --------------------------------------------------------------------

    @property
    def selected_entry(self) -> Entry | None:
        index = self._index(self.selected)
        return self._entries[index] if index is not None else None

    def start_selecting(self, message_id: str | None = None) -> bool:
        """Select the message with this id (else the newest) and take the keys; False when
        there is none."""
        self.selected = None
        index = self._index(self._by_id.get(message_id or ""))
        start = len(self._entries) if index is None else index + 1
        if not self._step_selection(start, -1):
            return False
        self.focus()
        return True

    def action_select(self, step: int) -> None:
        """Select the next message older (-1) or newer (1); past the newest, back to typing."""
        index = self._index(self.selected)
        start = len(self._entries) if index is None else index
        if not self._step_selection(start, step) and step > 0:
            self.action_unselect()

    def _step_selection(self, start: int, step: int) -> bool:
        index = start + step
        while 0 <= index < len(self._entries):
            if self._entries[index].message is not None:
                self.selected = self._first_seq + index
                self._cache.clear()
                self._show_line(index)
                self.refresh()
                return True
            index += step
        if step < 0:
            self.want_older()  # at the top: older messages may come
        return False

    def _show_line(self, index: int) -> None:
        """Scroll so the entry at ``index`` is on screen whole (when it fits)."""
        top = self._starts[index]
        end = self._starts[index + 1] if index + 1 < len(self._starts) else self._total_lines
        height = self.scrollable_content_region.height or self.size.height or 1
        if top < self.scroll_y:
            self.scroll_to(y=top, animate=False, immediate=True, force=True)
        elif end > self.scroll_y + height:
            self.scroll_to(y=min(top, end - height), animate=False, immediate=True, force=True)

    def on_key(self, event: events.Key) -> None:
        """In selection mode, typing a character no key here takes goes back to typing; so
        does any character that arrives after, before the input has the keys again (a burst
        such as "/mute" from a paste or tmux)."""
        bound = event.key in self._bindings.key_to_bindings and self.selected is not None
        if event.is_printable and event.character and not bound:
            event.stop()
            event.prevent_default()
            self.action_unselect(event.character)

    def action_unselect(self, typed: str = "") -> None:
        """Leave selection mode: nothing selected, the keys back to the input."""
        self.selected = None
        self._cache.clear()
        self.refresh()
        self.post_message(MessageChosen(self, "unselect", None, typed))

    def action_choose(self, what: str) -> None:
        entry = self.selected_entry
        if entry is not None and entry.message is not None:
            self.post_message(MessageChosen(self, what, entry.message))

    def on_blur(self) -> None:
        if self.selected is not None:
            self.selected = None
            self._cache.clear()
            self.refresh()

    def forget_rendered(self) -> None:
        """Drop the rendered strips kept for reuse; what is shown is rendered again."""
        self._cache.clear()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._palette = None
        self._cache.clear()  # the cached strips carry the old colours

    def render_line(self, y: int) -> Strip:
        line_no = self.scroll_offset.y + y
        width = self._text_width()
        if not 0 <= line_no < self._total_lines:
            return Strip.blank(width, self.rich_style)
        index = bisect_right(self._starts, line_no) - 1
        strips = self._strips(index, width)
        offset = line_no - self._starts[index]
        if offset >= len(strips):  # counted before a reflow caught up
            return Strip.blank(width, self.rich_style)
        return strips[offset]

    def plain_lines(self) -> list[str]:
        """Every line as plain text (for tests and copying)."""
        width = self._text_width()
        return [
            "".join(segment.text for segment in strip if not segment.control)
            for index in range(len(self._entries))
            for strip in self._strips(index, width)
        ]
