"""The joint meeting as people read it (issue 20), in Chinese and English: the labels of a
motion in the reader's punctuation, the vote confirmation, results once the minutes are
approved, a representative withdrawn, and people named by the roster's name."""

from __future__ import annotations

import io

import docx

from bot.app import App
from storage import people
from storage.meetings_models import BallotKind, Choice
from tests.conftest import ADMIN_ID, MakeApp
from tests.integration.test_meetings import (
    begin,
    check_in,
    contact_id,
    holder_id,
    motion_ids,
    schedule,
    seat_units,
    to_chat,
)
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock

ZH = "zh-hans"


async def reading(app: App, telegram_id: int, language: str) -> ChatClient:
    """A chat client whose person reads `language` from now on (their stored language)."""
    async with app.sessions() as session, session.begin():
        person = await people.by_telegram_id(session, telegram_id)
        assert person is not None
        person.language_code = language
    return ChatClient(app, telegram_id, language_code=language)


async def test_motion_labels_votes_and_minutes_read_in_chinese(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seat_units(app, clock, directors=0, deputies=3)
    meeting_id = await schedule(app, clock, BallotKind.OPEN, BallotKind.SECRET)
    first, _second = await motion_ids(app, meeting_id)
    admin = await reading(app, ADMIN_ID, ZH)
    holder = await reading(app, holder_id(1), ZH)
    await holder.press_data(f"mc:{meeting_id}")
    assert "1. Motion 1（决议，记名投票）" in holder.text
    assert "2. Motion 2（决议，无记名投票）" in holder.text
    assert "• 测试单位 1（Holder 1-0）：未签到" in holder.text

    await begin(admin, clock, meeting_id)
    await check_in(app, holder_id(1), holder_id(2))
    await admin.press_data(f"ms:open:{first}")
    await holder.press_data(f"mv:{first}:for")
    assert holder.text == "议案1，Motion 1：您已代表测试单位 1投“赞成”票。\n表决结束前可以更改。"
    await admin.press_data(f"mc:{meeting_id}:r")
    assert "1. Motion 1（决议，记名投票）：表决中；已投票1人（赞成1、反对0、弃权0）" in admin.text
    assert "2. Motion 2（决议，无记名投票）：尚未付诸表决" in admin.text
    await admin.press_data(f"ms:close:{first}")
    await admin.press_data(f"ms:end:{meeting_id}")
    assert "1. Motion 1（决议，记名投票）：通过，赞成1，反对0，弃权0；到会2人。" in admin.text

    await admin.press_data(f"mmin:{meeting_id}")
    (reply,) = admin.replies
    paragraphs = [p.text for p in docx.Document(io.BytesIO(reply.file.content)).paragraphs]
    assert "决议，记名投票" in paragraphs and "未付诸表决" in paragraphs
    assert any(p.startswith("测试单位 1（Holder 1-0）：赞成（2026年12月") for p in paragraphs)

    await admin.press_data(f"ms:appr:{meeting_id}")
    contact = await reading(app, contact_id(1), ZH)
    (results,) = contact.receive(admin.last)
    lines = results.text.split("\n")
    assert lines[1:] == [
        "表决结果（以会议审议通过的会议纪要为准）：",
        "1. Motion 1：通过。赞成1，反对0，弃权0；到会2人。",
        "2. Motion 2：未付诸表决。",
    ]


async def test_results_for_the_members_read_in_english(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seat_units(app, clock, directors=0, deputies=3)
    meeting_id = await schedule(app, clock, BallotKind.OPEN, BallotKind.SECRET)
    first, _second = await motion_ids(app, meeting_id)
    admin = await reading(app, ADMIN_ID, "en")
    await reading(app, contact_id(1), "en")
    await begin(admin, clock, meeting_id)
    await check_in(app, holder_id(1), holder_id(2))
    await admin.press_data(f"ms:open:{first}")
    await ChatClient(app, holder_id(1)).press_data(f"mv:{first}:{Choice.FOR.value}")
    await admin.press_data(f"ms:close:{first}")
    await admin.press_data(f"ms:end:{meeting_id}")
    await admin.press_data(f"ms:appr:{meeting_id}")
    (results,) = to_chat(admin.last, contact_id(1))
    assert results.split("\n")[1:] == [
        "Results, as recorded in the approved minutes:",
        "1. Motion 1: passed. For 1, against 0, abstaining 0; 2 present.",
        "2. Motion 2: not put to the vote.",
    ]


async def test_a_withdrawn_representative_reads_naturally(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(bot_username="dtpc_bot")
    await seat_units(app, clock, directors=0, deputies=3)
    meeting_id = await schedule(app, clock, BallotKind.OPEN)
    for language, withdrawn in (
        ("en", "Your representative is withdrawn: you attend and vote for your seat yourself."),
        (ZH, "已撤回代表：由您本人出席会议并表决。"),
    ):
        holder = await reading(app, holder_id(1), language)
        await holder.press_data(f"mrp:new:{meeting_id}")
        await holder.press_data(f"mrp:drop:{meeting_id}")
        assert holder.text == withdrawn


async def test_a_representative_on_the_roster_is_named_by_the_roster(
    make_app: MakeApp, clock: FakeClock
) -> None:
    """The contact of unit 2 (联系人 2 on the roster, "Rep Zhou" on Telegram) represents the
    seat of unit 1: the holder, the secretariat's card and the minutes use the roster's name."""
    app = await make_app(bot_username="dtpc_bot")
    await seat_units(app, clock, directors=0, deputies=3)
    meeting_id = await schedule(app, clock, BallotKind.OPEN)
    holder = await reading(app, holder_id(1), "en")
    await holder.press_data(f"mrp:new:{meeting_id}")
    payload = holder.text.split()[-1].split("start=")[1]
    rep = ChatClient(app, contact_id(2), name="Rep Zhou")
    await rep.send(f"/start {payload}")
    assert to_chat(rep.last, holder_id(1)) == [
        "联系人 2 (Rep Zhou) will represent you at meeting 1."
    ]

    admin = await reading(app, ADMIN_ID, "en")
    await begin(admin, clock, meeting_id)
    await check_in(app, contact_id(2), holder_id(2), holder_id(3))
    await admin.press_data(f"ms:end:{meeting_id}")
    assert "• 测试单位 1 — Holder 1-0: present; represented by 联系人 2 (Rep Zhou)" in admin.text
    await admin.press_data(f"mmin:{meeting_id}")
    (reply,) = admin.replies
    table = docx.Document(io.BytesIO(reply.file.content)).tables[0]
    assert [c.text for c in table.rows[1].cells] == [
        "测试单位 1",
        "Holder 1-0",
        "present",
        "联系人 2 (Rep Zhou)",
    ]
