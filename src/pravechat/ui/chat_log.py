"""A scrollback that holds 100,000 messages and renders only the lines on screen.

Textual's Line API: the widget keeps entries and, per entry, its first line number at the
current width; ``render_line`` finds the entry by bisection and renders it on demand, with an
LRU cache of rendered lines. Appending a burst costs a line count per entry and one refresh.
"""

from bisect import bisect_right
from collections.abc import Iterable

from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from pravechat.ui.entries import Entry, EntryKind, line_count, render_entry

_FOUND = Style(bgcolor="#e5c07b", color="black")


class ChatLog(ScrollView, can_focus=True):
    """The room's messages, oldest first; stays at the bottom unless scrolled up."""

    def __init__(self, max_entries: int = 100_000, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_entries = max_entries
        self._entries: list[Entry] = []
        self._starts: list[int] = []  # first line of each entry
        self._total_lines = 0
        self._width = 0
        self._first_seq = 0  # sequence number of self._entries[0], for cache keys
        self._cache: LRUCache[tuple[int, int], list[Strip]] = LRUCache(2048)
        self._search = ""
        self._matches: list[int] = []  # entry indexes, oldest first
        self._match = -1

    @property
    def entries(self) -> list[Entry]:
        return self._entries

    def clear(self) -> None:
        self.end_search()
        self._first_seq += len(self._entries)
        self._entries.clear()
        self._starts.clear()
        self._total_lines = 0
        self._update_size(follow=True)

    def add(self, entries: Iterable[Entry]) -> None:
        """Append entries; follows the bottom only if the view was already there."""
        follow = self.scroll_y >= self.max_scroll_y
        width = self._text_width()
        console = self.app.console
        for entry in entries:
            self._entries.append(entry)
            self._starts.append(self._total_lines)
            self._total_lines += line_count(entry, width, console)
        if len(self._entries) > self.max_entries * 1.1:
            dropped_lines = self._drop_oldest(len(self._entries) - self.max_entries)
            if not follow:  # keep the lines being read where they are
                self.scroll_to(y=max(0, self.scroll_y - dropped_lines), animate=False,
                               immediate=True)  # fmt: skip
        self._update_size(follow)

    def _drop_oldest(self, count: int) -> int:
        """Forget the oldest entries; returns how many lines they took.

        The others keep their line counts (the width is the same): no reflow. Reflowing the
        whole scrollback on every batch made a catch-up crawl at 700 msg/s (measured).
        """
        self.end_search()  # its entry indexes would be off
        shift = self._starts[count] if count < len(self._starts) else self._total_lines
        self._first_seq += count  # cached strips stay keyed by sequence number
        del self._entries[:count]
        self._starts = [start - shift for start in self._starts[count:]]
        self._total_lines -= shift
        return shift

    def _text_width(self) -> int:
        return max(20, self.scrollable_content_region.width or self.size.width or 80)

    def _reflow(self) -> None:
        width = self._text_width()
        console = self.app.console
        self._starts = []
        total = 0
        for entry in self._entries:
            self._starts.append(total)
            total += line_count(entry, width, console)
        self._total_lines = total
        self._cache.clear()

    def _update_size(self, follow: bool) -> None:
        size = Size(self._text_width(), self._total_lines)
        if self._needs_layout(size):
            self.virtual_size = size  # a reactive with layout=True: the whole screen is redone
            if follow:  # once the new size is laid out, or max_scroll_y is stale
                self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
        else:
            # Only the log grew: repaint it and its scrollbar, and scroll now. A layout per
            # arriving message, then a second refresh for the scroll, made a line take 26-34
            # ms to show instead of 16 (p50, measured in process at 100 msg/s).
            self.set_reactive(ChatLog.virtual_size, size)
            self.vertical_scrollbar.window_virtual_size = size.height
            if follow:
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        self.refresh()

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
            follow = self.scroll_y >= self.max_scroll_y
            self._reflow()
            self._update_size(follow)

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
            lines = render_entry(self._entries[index], width, console)
            if self._search and self._matches and index == self._matches[self._match]:
                for line in lines:
                    line.highlight_words([self._search], _FOUND, case_sensitive=False)
            style = self.rich_style  # resolving it walks the DOM: once per entry, not per line
            strips = [
                Strip(list(line.render(console)), line.cell_len)
                .adjust_cell_length(width)
                .apply_style(style)
                for line in lines
            ]
            self._cache[key] = strips
        return strips

    def forget_rendered(self) -> None:
        """Drop the rendered strips kept for reuse; what is shown is rendered again."""
        self._cache.clear()

    def notify_style_update(self) -> None:
        super().notify_style_update()
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
