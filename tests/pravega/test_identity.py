"""Identities nobody can forge, through the real server: signed sends, forged and replayed
events, keys moved between machines, a changed key said on the screen."""

import json
import os
import stat
import uuid
from pathlib import Path

import pytest

from pravechat.core.identity import Identity
from pravechat.core.keys import read_key_events
from pravechat.core.names import room_stream
from pravechat.core.protocol import new_message
from pravechat.core.settings import Settings
from pravechat.core.signing import fingerprint
from pravechat.core.transport import Transport
from pravechat.ui.run import build_app
from tests.helpers import run_cli


def _machine(tmp_path: Path, name: str, uri: str, scope: str) -> dict[str, str]:
    """The environment of one machine: its own state directory (keys, pins)."""
    return dict(os.environ, XDG_STATE_HOME=str(tmp_path / name), PRAVECHAT_CONTROLLER=uri,
                PRAVECHAT_SCOPE=scope)  # fmt: skip


def _history(env: dict[str, str], room: str = "lobby", *more: str) -> list[dict[str, object]]:
    result = run_cli("history", room, "--json", *more, env=env)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_signed_sends_verify_and_forged_or_replayed_events_do_not(
    pravega_uri: str, tmp_path: Path
) -> None:
    scope = f"sig-{uuid.uuid4().hex[:10]}"
    alice = _machine(tmp_path, "alice", pravega_uri, scope)
    for text in ("first", "second"):
        assert run_cli("send", "--user=alice", text, env=alice).returncode == 0
    assert run_cli("send", "--user=alice", "--room=other", "elsewhere", env=alice).returncode == 0
    transport = Transport.connect(pravega_uri, scope)  # a raw client: no signer
    # A forger writes as alice, unsigned; then replays alice's signed event into another room.
    forged = new_message("lobby", "alice", "I am alice, honest").to_json()
    writer = transport.client.writer(scope, room_stream("lobby"))
    writer.write(forged.encode(), "lobby")
    [signed_elsewhere] = [e for e in _history(alice, "other") if e["text"] == "elsewhere"]
    # The very bytes alice wrote to #other, written again to #lobby: not a word changed.
    head, tail = transport.bounds(room_stream("other"))
    frames = transport.client.read_bytes(scope, room_stream("other"), head, tail)[8:]
    writer.write(frames, "lobby")
    shown = {(e["text"], e["verified"]) for e in _history(alice)}
    assert shown == {
        ("first", True),
        ("second", True),
        ("I am alice, honest", False),
        ("elsewhere", False),
    }
    plain = run_cli("history", "lobby", env=alice).stdout
    assert "(unverified) <alice> I am alice, honest" in plain
    assert "(unverified)" not in plain.splitlines()[0]
    # Two sends and a third published alice's keys once.
    events = [e for e in read_key_events(transport) if e.user == "alice"]
    assert len(events) == 1 and events[0].key == signed_elsewhere["key"]


def test_keys_move_to_a_second_machine_and_a_new_key_is_warned_about(
    pravega_uri: str, tmp_path: Path
) -> None:
    scope = f"keys-{uuid.uuid4().hex[:10]}"
    first, second, third = (_machine(tmp_path, n, pravega_uri, scope) for n in ("a", "b", "c"))
    carol = _machine(tmp_path, "carol", pravega_uri, scope)
    assert run_cli("send", "--user=alice", "from the laptop", env=first).returncode == 0
    shown = run_cli("keys", "show", "--user=alice", env=first)
    exported = tmp_path / "alice.key"
    result = run_cli("keys", "export", "--user=alice", f"--output={exported}", env=first)
    assert result.returncode == 0 and stat.S_IMODE(exported.stat().st_mode) == 0o600
    again = run_cli("keys", "export", "--user=alice", f"--output={exported}", env=first)
    assert (
        again.returncode == 1
        and again.stderr == f"pravechat: {exported} exists: choose another file\n"
    )
    imported = run_cli("keys", "import", "--user=alice", str(exported), env=second)
    assert imported.returncode == 0, imported.stderr
    fingerprint_line = shown.stdout.splitlines()[0]
    assert (
        run_cli("keys", "show", "--user=alice", env=second).stdout.splitlines()[0]
        == fingerprint_line
    )
    assert run_cli("send", "--user=alice", "from the desktop", env=second).returncode == 0
    result = run_cli("history", "lobby", "--json", "--user=carol", env=carol)
    assert [json.loads(line)["verified"] for line in result.stdout.splitlines()] == [True, True]
    assert result.stderr == ""
    # A third machine without the keys: a new identity under the same name.
    assert run_cli("send", "--user=alice", "new phone who dis", env=third).returncode == 0
    result = run_cli("history", "lobby", "--user=carol", env=carol)
    assert result.stdout.splitlines()[-1].endswith("(unverified) <alice> new phone who dis")
    assert "warning: alice now signs with another key" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    # The second machine refuses to replace its keys unless told.
    other = tmp_path / "other.key"
    other.write_text(Identity.generate("alice").export())
    refused = run_cli("keys", "import", "--user=alice", str(other), env=second)
    assert refused.returncode == 1 and "pass --force" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1
    forced = run_cli("keys", "import", "--user=alice", str(other), "--force", env=second)
    assert forced.returncode == 0 and "now signs with" in forced.stdout
    for bad, said in [("nope.key", "cannot read nope.key"), (str(exported), "not 'bob'")]:
        result = run_cli("keys", "import", "--user=bob", bad, env=second)
        assert result.returncode == 1 and said in result.stderr, result.stderr
    never = run_cli("keys", "show", "--user=bob", env=second)  # not bob's machine: no new key
    assert never.returncode == 1 and "no keys for bob on this machine" in never.stderr
    assert not (tmp_path / "b" / "pravechat" / "keys" / "bob.json").exists()
    missing = run_cli("keys", "export", "--user=nobody", env=second)
    assert missing.stderr == "pravechat: no keys for nobody on this machine: nothing to export\n"


async def test_the_screen_marks_a_forger_and_warns_of_a_changed_key(
    pravega_uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope = f"sigui-{uuid.uuid4().hex[:10]}"
    alice = _machine(tmp_path, "alice", pravega_uri, scope)
    assert run_cli("send", "--user=alice", "genuine", env=alice).returncode == 0
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "tim"))
    settings = Settings(user="tim", controller=pravega_uri, scope=scope)
    app = build_app(settings, Transport.connect(pravega_uri, scope))
    async with app.run_test(size=(200, 30)) as pilot:

        async def shown(text: str) -> str:
            for _ in range(900):
                for entry in app.chat_log.entries:
                    if text in entry.text:
                        return next(
                            line for line in app.chat_log.plain_lines() if text[:20] in line
                        ).rstrip()
                await pilot.pause(0.05)
            pytest.fail(f"{text!r} never shown: {app.chat_log.plain_lines()}")

        await shown("you are in #lobby as tim")
        raw = Transport.connect(pravega_uri, scope)
        forged = new_message("lobby", "alice", "send me your password").to_json()
        raw.client.writer(scope, room_stream("lobby")).write(forged.encode(), "lobby")
        assert (await shown("send me your password")).endswith(
            "alice (unverified) send me your password"
        )
        assert run_cli("send", "--user=alice", "genuine again", env=alice).returncode == 0
        assert (await shown("genuine again")).endswith("alice genuine again")
        newcomer = _machine(tmp_path, "stranger", pravega_uri, scope)
        assert run_cli("send", "--user=alice", "from a stranger", env=newcomer).returncode == 0
        await shown("alice now signs with another key")
        assert (await shown("from a stranger")).endswith("alice (unverified) from a stranger")
        app.chat_input.value = "/verify alice"
        await pilot.press("enter")
        new = Identity.load_or_create  # the stranger's key, as its machine kept it
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "stranger"))
        stranger = new("alice")
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "tim"))
        assert f"now shows {fingerprint(stranger.key)}" in await shown("alice: SHA256:")
        await pilot.press("ctrl+q")
