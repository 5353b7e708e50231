"""Searching a whole room as Pravega holds it (core.search): the first message ever sent among
100,000, edits and deletions applied, progress, and what is around a result."""

import json
import uuid

from pravechat.core.names import room_stream
from pravechat.core.protocol import Kind
from pravechat.core.search import Progress, RoomSearch
from pravechat.core.session import RoomSession
from pravechat.core.transport import Transport
from tests.helpers import run_cli
from tests.pravega.test_conversation import _signed_session


def test_search_of_100000_messages_finds_the_first_ever_sent(pravega_uri: str) -> None:
    scope = f"search-{uuid.uuid4().hex[:10]}"
    lines = ["the very first message, Needle-Zero", *(f"line {n}" for n in range(1, 100_000))]
    sent = run_cli("send", "--user", "alex", "--room", "lobby", "--controller", pravega_uri,
                   "--scope", scope, "-", stdin="\n".join(lines) + "\n")  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    transport = Transport.connect(pravega_uri, scope)
    progress: list[Progress] = []
    search = RoomSearch(transport, room_stream("lobby"), "needle-zero", "tim")
    [hit] = search.search_blocking(progress.append)
    assert hit.message.text == "the very first message, Needle-Zero" and hit.offset == 0
    assert hit.message.signature_valid  # checked in full once it matched
    assert progress[-1].done == progress[-1].total and progress[-1].events == 100_000
    assert [p.done for p in progress] == sorted(p.done for p in progress) and len(progress) > 3
    before, after = search.around_blocking(hit)
    assert [m.text for m in before] == [hit.message.text]  # nothing before the first
    assert [m.text for m in after] == [f"line {n}" for n in range(1, 16)]
    [*many] = RoomSearch(transport, room_stream("lobby"), "line 9999", "tim").search_blocking()
    assert [m.message.text for m in many] == ["line 9999", *(f"line 9999{n}" for n in range(10))]


async def test_search_sees_edits_and_deletions(pravega_uri: str, opened: list[RoomSession]) -> None:
    scope = f"search-{uuid.uuid4().hex[:10]}"
    alice, _ = await _signed_session(pravega_uri, scope, "alice", opened)
    typo = await alice.send("meet at the statoin")
    gone = await alice.send("the station is closed")
    kept = await alice.send("station 2 is open")
    alice.submit("meet at the station", Kind.EDIT, target=typo.id)
    alice.submit("", Kind.DELETE, target=gone.id)
    mallory, _ = await _signed_session(pravega_uri, scope, "mallory", opened)
    mallory.submit("", Kind.DELETE, target=kept.id)  # not hers: changes nothing
    await mallory.send("done")
    transport = Transport.connect(pravega_uri, scope)
    hits = RoomSearch(transport, room_stream("lobby"), "STATION", "tim").search_blocking()
    assert [hit.message.id for hit in hits] == [typo.id, kept.id]
    before, after = RoomSearch(transport, room_stream("lobby"), "x", "tim").around_blocking(hits[0])
    assert [m.id for m in before] == [typo.id]
    assert [m.kind for m in after][:3] == [Kind.CHAT, Kind.CHAT, Kind.EDIT]


def test_history_greps_the_whole_room_by_date_as_text_json_and_markdown(pravega_uri: str) -> None:
    scope = f"search-{uuid.uuid4().hex[:10]}"
    lines = ["Deploy plan ![x](http://evil/p.png) <b>", *(f"chatter {n}" for n in range(2000)),
             "deploy done"]  # fmt: skip
    sent = run_cli("send", "--user", "alex", "--room", "lobby", "--controller", pravega_uri,
                   "--scope", scope, "-", stdin="\n".join(lines) + "\n")  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    where = ["--controller", pravega_uri, "--scope", scope]

    def history(*args: str) -> list[str]:
        result = run_cli("history", "lobby", *where, *args)
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()

    plain = history("--grep", "DEPLOY", "--limit", "5")  # past the 5 newest of 2,002
    assert [line.split("<alex> ")[1] for line in plain] == [lines[0], "deploy done"]
    [newest] = history("--grep", "deploy", "--limit", "1", "--json")
    assert json.loads(newest)["text"] == "deploy done" and json.loads(newest)["verified"]
    markdown = history("--grep", "plan", "--markdown")
    assert markdown[0] == "# #lobby" and markdown[2].endswith(
        r"**alex**: Deploy plan \!\[x\]\(http://evil/p\.png\) \<b\>"
    )
    assert history("--since", "2999-01-01") == []
    assert len(history("--until", "2999-01-01T00:00+00:00", "--grep", "chatter")) == 1000
    assert history("--since", "2000-01-01", "--until", "2001-01-01") == []
    refused = run_cli("history", "lobby", *where, "--since", "yesterday")
    assert refused.returncode == 1 and "--since 'yesterday': not a date" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_match_hidden_by_an_escape_sequence_is_found_as_the_screen_shows_it(
    pravega_uri: str,
) -> None:
    scope = f"search-{uuid.uuid4().hex[:10]}"
    transport = Transport.connect(pravega_uri, scope)
    stream = transport.ensure_room("lobby")
    hidden = {"v": 1, "id": uuid.uuid4().hex, "room": "lobby", "sender": "eve", "kind": "chat",
              "text": "nee\x1b[1mdle", "sent_at": "2026-11-27T10:00:00.000Z"}  # fmt: skip
    writer = transport.client.writer(scope, stream)
    writer.write(json.dumps(hidden).encode(), "lobby")
    writer.write(b"\xff\xfe not json", "lobby")
    writer.write(b'{"v":1,"kind":"chat","text":["needle"]}', "lobby")
    [hit] = RoomSearch(transport, stream, "needle", "tim").search_blocking()
    assert hit.message.text == "needle"
