"""The aiogram transport against the fake Bot API: sends, edits, and each error's type."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from bot.delivery.transport import Blocked, Permanent, RetryAfter, Transient
from bot.engines.aiogram_transport import AiogramTransport
from bot.protocol import Button, OutgoingFile, Reply
from tests.support.fake_bot_api import FakeBotApi


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
async def transport(server: FakeBotApi) -> AsyncIterator[AiogramTransport]:
    transport = AiogramTransport.connect(server.token, server.url)
    yield transport
    await transport.close()


async def test_sends_and_edits(server: FakeBotApi, transport: AiogramTransport) -> None:
    buttons = ((Button("Read", data="ack:1"),),)
    message_id = await transport.send(1, Reply("Notice", buttons, protect=True))
    await transport.edit(1, message_id, Reply("Notice (corrected)"))
    document_id = await transport.send(1, Reply("Agenda", file=OutgoingFile("a.pdf", b"%PDF")))

    [notice, document] = server.sent[1]
    assert notice["message_id"] == message_id and notice["text"] == "Notice (corrected)"
    assert notice["has_protected_content"] is True
    assert (document["message_id"], document["caption"]) == (document_id, "Agenda")
    assert document["document"]["file_name"] == "a.pdf"


async def test_429_is_retry_after_for_that_chat(
    server: FakeBotApi, transport: AiogramTransport
) -> None:
    server.faults.flood_fraction, server.faults.flood_retry_after = 1.0, 7
    with pytest.raises(RetryAfter) as refused:
        await transport.send(3, Reply("hi"))
    assert (refused.value.seconds, refused.value.chat_id) == (7, 3)


async def test_403_is_blocked(server: FakeBotApi, transport: AiogramTransport) -> None:
    server.faults.blocked_chats.add(2)
    with pytest.raises(Blocked, match="blocked by the user"):
        await transport.send(2, Reply("hi"))


async def test_5xx_is_transient(server: FakeBotApi, transport: AiogramTransport) -> None:
    server.faults.outage(60, 502)
    with pytest.raises(Transient) as failed:
        await transport.send(4, Reply("hi"))
    assert not failed.value.maybe_delivered


async def test_400_is_permanent(transport: AiogramTransport) -> None:
    with pytest.raises(Permanent, match="wrong file identifier"):
        await transport.send(5, Reply("x", file=OutgoingFile("a.pdf", file_id="nonexistent")))


async def test_a_refused_connection_never_delivered() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = AiogramTransport.connect("123:TEST", f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(Transient) as failed:
            await transport.send(6, Reply("hi"))
        assert not failed.value.maybe_delivered
    finally:
        await transport.close()
