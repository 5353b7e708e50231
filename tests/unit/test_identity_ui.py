"""Who wrote what, on the screen: unverified senders marked, changed keys said, /verify and
/trust (Pilot over fake sessions; tests/pravega/test_identity.py does it through Pravega)."""

import asyncio
from typing import Any

from pravechat.core.identity import Identity
from pravechat.core.names import room_stream
from pravechat.core.presence import Presence, decode_presence
from pravechat.core.protocol import ChatMessage, Kind, decode_event, dump_event
from pravechat.core.signing import fingerprint
from pravechat.core.trust import KeyRing
from pravechat.ui.app import PravechatApp
from tests.fakes import FakeChat, identity, message, unsigned_message
from tests.helpers import presence_app


async def _until(pilot: Any, app: PravechatApp, text: str) -> list[str]:
    async with asyncio.timeout(10):
        while True:
            lines = app.chat_log.plain_lines()
            if any(text in line for line in lines):
                return lines
            await pilot.pause(0.05)


def _signed_by(signer: Identity, sender: str, text: str) -> ChatMessage:
    fields = signer.sign(unsigned_message(sender, text).wire_fields(), room_stream("lobby"))
    decoded = decode_event(dump_event(fields).encode(), room_stream("lobby"))
    assert isinstance(decoded, ChatMessage)
    return decoded


async def test_an_unsigned_message_is_marked_and_a_signed_one_is_not() -> None:
    chat = FakeChat("tim")
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        chat.current.deliver(message("alex", "signed hello"))
        chat.current.deliver(unsigned_message("alex", "forged hello"))
        chat.current.deliver(unsigned_message("alex", "forged wave", Kind.ACTION))
        lines = await _until(pilot, app, "forged wave")
        assert any(line.rstrip().endswith("alex signed hello") for line in lines)
        assert any(line.rstrip().endswith("alex (unverified) forged hello") for line in lines)
        assert any(line.rstrip().endswith("* (unverified) alex forged wave") for line in lines)


async def test_a_changed_key_is_said_once_and_trust_accepts_it() -> None:
    chat = FakeChat("tim")
    ring = KeyRing()
    ring.learn([("alex", identity("alex").key)])  # as the keys stream published it
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, keyring=ring)
    impostor = Identity.generate("alex")
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        chat.current.deliver(message("alex", "first, pinned"))
        chat.current.deliver(_signed_by(impostor, "alex", "new key here"))
        chat.current.deliver(_signed_by(impostor, "alex", "still the new key"))
        lines = await _until(pilot, app, "still the new key")
        texts = [entry.text for entry in app.chat_log.entries]
        warnings = [text for text in texts if "alex now signs with another key" in text]
        assert len(warnings) == 1 and fingerprint(impostor.key) in warnings[0]
        assert any(line.rstrip().endswith("alex (unverified) new key here") for line in lines)
        app.chat_input.value = "/verify alex"
        await pilot.press("enter")
        await _until(pilot, app, f"alex: {fingerprint(identity('alex').key)}")
        assert f"now shows {fingerprint(impostor.key)}" in app.chat_log.entries[-1].text
        app.chat_input.value = "/trust alex"
        await pilot.press("enter")
        await _until(pilot, app, f"alex's key is now {fingerprint(impostor.key)}")
        chat.current.deliver(_signed_by(impostor, "alex", "after trusting"))
        lines = await _until(pilot, app, "after trusting")
        assert lines[-1].rstrip().endswith("alex after trusting")
        for line, answer in [
            ("/trust alex", "is already trusted"),
            ("/trust nobody", "first /verify nobody, and compare what it shows"),
            ("/trust tim", "your own key is yours"),
            ("/verify nobody", "no key seen for nobody yet"),
            ("/verify", "your key: none yet"),
        ]:
            app.chat_input.value = line
            await pilot.press("enter")
            await _until(pilot, app, answer)


async def test_verify_alone_shows_your_own_fingerprint() -> None:
    chat = FakeChat("tim")
    tim = identity("tim")
    ring = KeyRing(own=("tim", tim.key))
    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, keyring=ring)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        app.chat_input.value = "/verify"
        await pilot.press("enter")
        await _until(pilot, app, f"your key: {tim.fingerprint}")


async def test_presence_signed_by_another_key_is_ignored() -> None:
    app, _chat, presence = presence_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.keyring.learn([("maria", identity("maria").key)])
        fields = {"v": 1, "user": "maria", "room": "lobby", "state": "here"}
        forged = decode_presence(dump_event(identity("mallory").sign(fields, "presence")).encode())
        assert forged is not None
        presence.queue.put_nowait(forged)
        presence.queue.put_nowait(Presence(user="alex", room="lobby"))  # unsigned: older client
        signed = identity("maria").sign(fields, "presence")
        genuine = decode_presence(dump_event(signed).encode())
        async with asyncio.timeout(10):
            while "alex" not in app.roster.members("lobby"):
                await pilot.pause(0.05)
        assert "maria" not in app.roster.members("lobby")
        assert genuine is not None
        presence.queue.put_nowait(genuine)
        async with asyncio.timeout(10):
            while "maria" not in app.roster.members("lobby"):
                await pilot.pause(0.05)


async def test_a_newcomers_first_line_waits_for_their_key_and_is_verified() -> None:
    """maria published her key after tim last read the keys stream: her first line makes tim
    read it again before showing the line, so it is verified and it calls him."""
    chat = FakeChat("tim")
    ring = KeyRing()
    reads: list[None] = []
    published: list[tuple[str, str]] = []

    async def read_keys() -> None:  # what the keys stream holds by now
        reads.append(None)
        ring.learn(published)

    app = PravechatApp("tim", "lobby", chat.connect, chat.list_rooms, keyring=ring,
                       sync_keys=read_keys)  # fmt: skip
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause(1.1)  # the first reads are done, a second ago
        before = len(reads)
        published.append(("maria", identity("maria").key))  # maria starts, then writes
        chat.current.deliver(message("maria", "tim, are you there?"))
        lines = await _until(pilot, app, "are you there")
        assert len(reads) > before
        entry = app.chat_log.entries[-1]
        assert entry.mention and not entry.unverified
        assert any(line.rstrip().endswith("maria tim, are you there?") for line in lines)
