"""The real Pravega server, through pravega_client: the floor everything else stands on."""

import asyncio
import uuid

import pravega_client


async def test_events_written_are_read_back_in_order(pravega_uri: str) -> None:
    manager = pravega_client.StreamManager(pravega_uri)
    scope, stream = f"test-{uuid.uuid4().hex[:8]}", "roundtrip"
    assert manager.create_scope(scope) is True
    assert manager.create_stream(scope, stream, 1) is True
    assert manager.create_stream(scope, stream, 1) is False  # already there

    writer = manager.create_writer(scope, stream)
    sent = [f"event {n} {uuid.uuid4()}" for n in range(200)]
    for text in sent:
        await writer.write_event_async(text, "room")
    writer.flush()

    group = manager.create_reader_group(f"rg-{uuid.uuid4().hex[:8]}", scope, stream)
    reader = group.create_reader("reader-1")
    received: list[str] = []
    try:
        async with asyncio.timeout(60):
            while len(received) < len(sent):
                segment_slice = await reader.get_segment_slice_async()
                received.extend(event.data().decode() for event in segment_slice)
                reader.release_segment(segment_slice)
    finally:
        reader.reader_offline()
    assert received == sent
