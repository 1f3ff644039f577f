"""A reply through the outbox's columns comes back the same; long captions are split."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.delivery.content import CAPTION_LIMIT, columns, parts, plain_text, reply_of
from bot.protocol import Button, OutgoingFile, Reply
from storage.models import OutboxMessage


def through_a_row(reply: Reply) -> Reply:
    row = OutboxMessage(chat_id=reply.chat_id, created_at=datetime.now(UTC), **columns(reply))
    return reply_of(row)


def test_a_reply_survives_its_row() -> None:
    reply = Reply(
        "Agenda",
        buttons=((Button("Read", data="ack:3"),), (Button("Site", url="https://x.org"),)),
        file=OutgoingFile("agenda.pdf", b"%PDF-1.7"),
        protect=True,
        chat_id=12,
    )
    assert through_a_row(reply) == reply
    by_id = Reply("Again", file=OutgoingFile("a.pdf", file_id="BQAD"), chat_id=12)
    assert through_a_row(by_id) == by_id


def test_a_caption_too_long_goes_first_as_text() -> None:
    file, buttons = OutgoingFile("a.pdf", b"x"), ((Button("OK", data="ok"),),)
    long = Reply("y" * (CAPTION_LIMIT + 1), buttons, file, protect=True, chat_id=3)
    text, document = parts(long)
    assert (text.text, text.file, text.buttons, text.protect) == (long.text, None, (), True)
    assert (document.text, document.file, document.buttons) == ("", file, buttons)
    short = Reply("y" * CAPTION_LIMIT, file=file, chat_id=3)
    assert parts(short) == [short]


def test_the_console_shows_a_formatted_notice_without_its_tags() -> None:
    formatted = Reply("<b>Notice</b> &amp; <i>deadline</i> &lt;5 days", html=True)
    assert plain_text(formatted) == "Notice & deadline <5 days"
    assert plain_text(Reply("<b> stays as typed")) == "<b> stays as typed"
