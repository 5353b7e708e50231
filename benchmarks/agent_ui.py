"""pravechat itself, as a user runs it: the real app, headless, in a process of its own.

    python -m benchmarks.agent_ui --out DIR --name N receiver URI SCOPE ROOM USER
    python -m benchmarks.agent_ui --out DIR --name N sender URI SCOPE ROOM USER START_NS \
        RATE:COUNT...
    python -m benchmarks.agent_ui --out DIR --name N client URI SCOPE ROOM USER UNREAD

A receiver stamps a message when the screen has been refreshed with it on the log. A sender
pastes each line into the input and presses Enter, as a person would, from START_NS on. A
client says when it is ready (joined, history shown, and ``UNREAD`` missed messages on
screen, or as many as it loads when it says it missed more than it loads), then stays until
SIGTERM so that its memory can be measured.
"""

import asyncio
import sys

from textual import events

from benchmarks.agent import DONE, AgentFiles, Phase, Recorder, agent_arguments, send_phases
from benchmarks.results import now_ns
from pravechat.core.process import exit_process
from pravechat.core.settings import Settings
from pravechat.core.transport import Transport
from pravechat.ui.app import PravechatApp
from pravechat.ui.messages import Delivered, Joined
from pravechat.ui.run import build_app


class ObservedApp(PravechatApp):
    """The real app; its handlers run first and schedule a look after the next refresh."""

    files: AgentFiles
    role: str
    phases: list[Phase]
    expect_unread = 0
    start_ns = 0
    unread_shown = 0
    history_shown = -1
    """Messages of history on screen once joined; -1 until then."""
    missed = 0
    """Unread messages the session said it did not load (an estimate), if any."""
    files_ready = False
    history_limit = 1000
    recorder: Recorder

    def on_joined(self, event: Joined) -> None:
        self.missed = getattr(event.session, "missed", 0)  # versions before 0.3 load all
        self.call_after_refresh(self._shown_joined, len(event.session.history))

    def on_delivered(self, event: Delivered) -> None:
        texts = [delivery.message.text for delivery in event.deliveries]
        unread = sum(delivery.unread for delivery in event.deliveries)
        self.call_after_refresh(self._shown_messages, texts, unread)

    def _shown_joined(self, history: int) -> None:
        self.history_shown = history
        if self.role == "sender":
            self.run_worker(self._type_phases(), group="bench")
        self._maybe_ready()

    def _shown_messages(self, texts: list[str], unread: int) -> None:
        shown_at = now_ns()
        self.unread_shown += unread
        for text in texts:
            self.recorder.feed(text, shown_at)
        if self.role == "client" and not self.files_ready:
            self._maybe_ready()
        if self.recorder.done and self.role == "receiver":
            self.files.done(self.recorder.results())
            self.exit()

    def _maybe_ready(self) -> None:
        loaded = min(self.expect_unread, self.history_limit) if self.missed else self.expect_unread
        if self.history_shown >= 0 and self.unread_shown >= loaded:
            self.files_ready = True
            self.files.ready(ready_ns=now_ns(), history=self.history_shown,
                             unread=self.unread_shown, missed=self.missed)  # fmt: skip

    async def _type_phases(self) -> None:
        await asyncio.sleep(max(0.0, (self.start_ns - now_ns()) / 1e9))

        async def paste_and_enter(text: str) -> None:
            # To the app, as the terminal driver delivers them: it forwards each to the
            # focused input, in order (a Paste posted to the input itself arrives twice).
            self.post_message(events.Paste(text))
            self.post_message(events.Key("enter", "\r"))

        await send_phases(paste_and_enter, self.phases)
        await paste_and_enter(DONE)
        self.files.done({})


def main(argv: list[str]) -> None:
    files, (role, uri, scope, room, user, *rest) = agent_arguments(argv)
    settings = Settings(user=user, room=room, controller=uri, scope=scope)
    app = build_app(settings, Transport.connect(uri, scope), ObservedApp)
    assert isinstance(app, ObservedApp)
    app.files, app.role, app.recorder = files, role, Recorder()
    app.history_limit = settings.history
    if role == "sender":
        app.start_ns, app.phases = int(rest[0]), [Phase.parse(spec) for spec in rest[1:]]
    app.expect_unread = int(rest[0]) if role == "client" else 0
    app.run(headless=True, size=(100, 30))


if __name__ == "__main__":
    main(sys.argv[1:])
    exit_process(0)
