import sys
from pathlib import Path

import pytest

from pravechat.core.mentions import MENTION, mentions
from pravechat.ui.app import PravechatApp
from tests.fakes import FakeChat, message


@pytest.mark.parametrize(
    ("text", "called"),
    [
        ("hi @tim", True),
        ("Tim: lunch?", True),
        ("@TIM!", True),
        ("timothy is here", False),
        ("tim-bot says", False),
        ("mail tim@example.org", False),
        ("hello", False),
    ],
)
def test_mentions(text: str, called: bool) -> None:
    assert mentions(text, "tim") is called


def test_mention_tokens() -> None:
    assert [m.group() for m in MENTION.finditer("@alex and @tim, not a@b")] == ["@alex", "@tim"]


async def test_a_mention_is_highlighted_rings_and_notifies(tmp_path: Path) -> None:
    chat = FakeChat("tim")
    record = tmp_path / "notified"
    notify = [sys.executable, "-c", "import sys; open(sys.argv[1], 'w').write(sys.argv[2])",
              str(record), "{sender} in #{room}: {text}"]  # fmt: skip
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, notify_command=notify)
    rings: list[None] = []
    app.bell = lambda: rings.append(None)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        chat.current.deliver(message("alex", "no call here"))
        await pilot.pause(0.1)
        assert rings == [] and not app.chat_log.entries[-1].mention
        chat.current.deliver(message("alex", "@tim have a look"))
        await pilot.pause(0.1)
        assert rings == [None] and app.chat_log.entries[-1].mention
        for _ in range(50):
            if record.exists():
                break
            await pilot.pause(0.1)
        assert record.read_text() == "alex in #lobby: @tim have a look"
        await app.chat_input.run_action("submit")  # own messages never ring
        chat.current.deliver(message("tim", "tim talking about tim"))
        await pilot.pause(0.1)
        assert rings == [None]
