"""The bot token never reaches the logs, on either engine, at DEBUG, errors included.

(The webhook's secret token is checked in test_telegram.py,
`test_webhook_checks_the_secret_token`, on both engines.)
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from bot import logs
from tests.conftest import ADMIN_ID
from tests.e2e.conftest import TOKEN, Engines, TelegramUser
from tests.support.fake_bot_api import FakeBotApi

ALICE, BLOCKED = 4242, 555_001


class Raw(logging.Handler):
    """Every record as formatted without redaction, to see what the libraries logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter().format(record))


@pytest.fixture
def captured() -> Iterator[tuple[io.StringIO, Raw]]:
    """The bot's own log handler (as `python -m bot` installs it) on the root logger at
    DEBUG, writing to a buffer; and a raw recorder beside it."""
    root, buffer, raw = logging.getLogger(), io.StringIO(), Raw()
    level = root.level
    bot_handler = logs.handler(buffer, TOKEN)
    root.addHandler(raw)  # first, so it sees each record before the bot's handler redacts it
    root.addHandler(bot_handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer, raw
    finally:
        root.removeHandler(bot_handler)
        root.removeHandler(raw)
        root.setLevel(level)


async def test_the_token_never_reaches_the_logs(
    api: FakeBotApi, engines: Engines, captured: tuple[io.StringIO, Raw], engine_name: str
) -> None:
    buffer, raw = captured
    engine = await engines.start()
    alice, admin = TelegramUser(api, ALICE), TelegramUser(api, ADMIN_ID)
    await alice.send("/start")
    await alice.press_data(1, "zz:1")  # a forged button: refused
    api.faults.blocked_chats.add(BLOCKED)  # a 403 for the outbox worker
    await admin.send(f"/grant {BLOCKED} expert")
    await api.wait_for("sendMessage", lambda p: p["chat_id"] == BLOCKED)
    api.faults.outage(0.5, 502)  # a Bot API outage while sending
    await alice.send("/help")
    logging.getLogger("test").exception("a failure with the token in it: %s", TOKEN)
    try:
        raise RuntimeError(f"{api.url}/bot{quote(TOKEN, safe='')}/getMe")
    except RuntimeError:
        logging.getLogger("test").exception("a traceback quoting the encoded request URL")
    await engines.stop(engine)

    written = buffer.getvalue()
    assert written.count("\n") > 20, "the engines logged little: is DEBUG captured?"
    for form in (TOKEN, quote(TOKEN, safe=""), quote(TOKEN)):
        assert form not in written
    assert "a failure with the token in it: ***" in written
    assert "/bot***/getMe" in written
    leaked_raw = [line for line in raw.lines if TOKEN in line or quote(TOKEN, safe="") in line]
    assert len(leaked_raw) >= 2  # the records above at least: the redaction was exercised
