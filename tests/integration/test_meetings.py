"""The joint directors' meeting in chat, on SQLite and PostgreSQL (art. 12, 19, 20, 27)."""

from __future__ import annotations

import asyncio
import io
import itertools
import re
from datetime import timedelta
from hashlib import sha256
from zoneinfo import ZoneInfo

import docx
from sqlalchemy import func, select

from bot.app import App
from bot.charter import meetings as rules
from bot.protocol import Incoming, Outcome, Sender
from bot.reminders.sweep import ReminderRuntime, fire_due
from bot.services import meetings, membership, seats
from storage import documents as stored_documents
from storage import meetings as stored
from storage import people
from storage.documents_models import Document, DocumentLevel, DocumentVersion
from storage.meetings_models import (
    BallotBox,
    BallotKind,
    Choice,
    Motion,
    MotionKind,
    Presence,
    Vote,
)
from storage.models import AuditEntry, OutboxMessage, Participation, Role, UnitTier
from tests.conftest import ADMIN_ID, MakeApp
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import PNG, make_unit

ZONE = ZoneInfo("Asia/Shanghai")
GROUP = -100_777
GUEST = 5555
_keys = itertools.count(1)


def holder_id(serial: int, k: int = 0) -> int:
    return 80_000 + serial * 10 + k


def contact_id(serial: int) -> int:
    return 70_000 + serial


async def seat_units(app: App, clock: FakeClock, directors: int, deputies: int) -> None:
    """Units 1..directors are director units with two seat holders, then deputies with one."""
    tiers = [UnitTier.DIRECTOR] * directors + [UnitTier.DEPUTY_DIRECTOR] * deputies
    async with app.sessions() as session, session.begin():
        for serial, tier in enumerate(tiers, start=1):
            unit = await make_unit(
                session, clock.now(), serial, tier=tier, contact_telegram_id=contact_id(serial)
            )
            for k in range(rules.seats_allowed(tier)):
                _seat, person = await seats.add_seat(
                    session,
                    unit.id,
                    holder_id(serial, k),
                    f"Holder {serial}-{k}",
                    None,
                    clock.now(),
                    ZONE,
                )
                person.language_code = "en"


async def make_document(app: App, clock: FakeClock, title: str) -> int:
    """A published leadership-level document (meeting papers)."""
    now = clock.now()
    document = Document(
        title=title,
        category="meeting",
        level=DocumentLevel.LEADERSHIP,
        created_at=now,
        updated_at=now,
    )
    version = DocumentVersion(
        number=1,
        file_name=f"{title}.png",
        kind="png",
        size=len(PNG),
        sha256=sha256(PNG).hexdigest(),
        content=PNG,
        uploaded_at=now,
    )
    async with app.sessions() as session, session.begin():
        return (await stored_documents.add(session, document, version)).id


async def schedule(app: App, clock: FakeClock, *ballots: BallotKind) -> int:
    """A meeting 16 days ahead with one resolution per ballot given."""
    drafts = [
        meetings.MotionDraft(f"Motion {n}", f"Text {n}", MotionKind.RESOLUTION, ballot)
        for n, ballot in enumerate(ballots, start=1)
    ]
    async with app.sessions() as session, session.begin():
        admin = await people.by_telegram_id(session, ADMIN_ID)
        meeting = await meetings.schedule(
            session,
            clock.now() + timedelta(days=16),
            "Room 301",
            drafts,
            admin.id,
            clock.now(),
            ZONE,
        )
        return meeting.id


async def motion_ids(app: App, meeting_id: int) -> list[int]:
    async with app.sessions() as session:
        return [m.id for m in await stored.motions_of(session, meeting_id)]


async def motion(app: App, motion_id: int) -> Motion:
    async with app.sessions() as session:
        found = await stored.motion(session, motion_id)
        assert found is not None
        return found


async def begin(admin: ChatClient, clock: FakeClock, meeting_id: int) -> None:
    clock.advance(days=16)
    await admin.press_data(f"ms:start:{meeting_id}")
    assert admin.last.alert is None, admin.last.alert


async def check_in(app: App, *telegram_ids: int, meeting_id: int = 1) -> None:
    for telegram_id in telegram_ids:
        client = ChatClient(app, telegram_id)
        await client.press_data(f"mci:{meeting_id}")
        assert client.last.alert is None, client.last.alert


async def vote(app: App, telegram_id: int, motion_id: int, choice: Choice) -> Outcome:
    return await ChatClient(app, telegram_id).press_data(f"mv:{motion_id}:{choice.value}")


async def in_group(app: App, telegram_id: int, data: str) -> Outcome:
    sender = Sender(telegram_id, GROUP, "en", "Someone")
    incoming = Incoming(f"group:{next(_keys)}", sender, button=data, message_id=9)
    return await app.dispatcher.handle(incoming)


def to_chat(outcome: Outcome, chat_id: int) -> list[str]:
    return [r.text for r in [*outcome.replies, *outcome.queued] if r.chat_id == chat_id]


async def count(app: App, query: object) -> int:
    async with app.sessions() as session:
        return await session.scalar(query) or 0


# -- seats (art. 19) ----------------------------------------------------------------------------


async def test_seats_give_and_take_the_leadership_role(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    admin = ChatClient(app, ADMIN_ID)
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), 1, tier=UnitTier.DIRECTOR)
        await make_unit(session, clock.now(), 2, tier=UnitTier.DEPUTY_DIRECTOR)
        await make_unit(session, clock.now(), 3)  # a member unit has no seat
    await admin.send("/seats")
    assert "测试单位 1 (director unit): 0 of 2" in admin.text
    assert "测试单位 3" not in admin.text
    for telegram_id, name in ((501, "Wang Wei"), (502, "Li Na")):
        await admin.press("Add a seat holder for 测试单位 1")
        await admin.send(str(telegram_id))
        await admin.send(name)
        assert f"Recorded: {name} holds a seat for 测试单位 1." in admin.text
        assert "meetings" in [c.command for c in admin.last.menus[telegram_id]]
    assert "Add a seat holder for 测试单位 1" not in admin.labels  # two is the most (art. 19)
    await admin.press_data("st:add:1")  # a forged press: the unit is full
    await admin.send("503")
    await admin.send("Zhao Lei")
    assert "already names as many persons as art. 19 allows (2)" in admin.text

    await admin.send("/seats")
    await admin.press("Add a seat holder for 测试单位 2")
    await admin.send("501")  # already seated for unit 1
    await admin.send("Wang Wei")
    assert admin.text == "This person already holds a seat on the joint meeting."

    await admin.send("/seats")
    await admin.press("Replace Li Na")
    await admin.send("504")
    await admin.send("Sun Li")
    assert "meetings" not in [c.command for c in admin.last.menus[502]]
    assert "meetings" in [c.command for c in admin.last.menus[504]]
    await admin.press("Remove Wang Wei")
    assert "meetings" not in [c.command for c in admin.last.menus[501]]
    async with app.sessions() as session:
        assert Role.LEADERSHIP not in await people.roles_of(
            session, (await people.by_telegram_id(session, 501)).id
        )
    leader = ChatClient(app, 504)
    await leader.send("/meetings")
    assert leader.text == "No joint directors' meeting is scheduled."


# -- the agenda and 15 days' notice (art. 20) ---------------------------------------------------


async def test_notice_of_fifteen_days(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await seat_units(app, clock, directors=1, deputies=1)
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/newmeeting")
    assert "the earliest date is Thu, Dec 10, 2026" in admin.text  # 25 Nov + 15 days
    await admin.send("2026-12-09 18:00")
    assert "the earliest possible date is Thu, Dec 10, 2026" in admin.text
    await admin.send("10 December")
    assert "YYYY-MM-DD HH:MM" in admin.text
    await admin.send("2026-12-10 09:00")
    assert admin.text.startswith("Where is it held?")
    await admin.send("https://meeting.example.cn/123")
    await admin.send("2027 work plan")
    await admin.send("The secretariat proposes the 2027 work plan.\nSee document 12.")
    await admin.press("resolution")
    await admin.press("open ballot")
    plan, budget = (
        await make_document(app, clock, "plan"),
        await make_document(app, clock, "budget"),
    )
    await admin.send("99")
    assert admin.text == "There is no document number 99; see /docs."
    await admin.send(f"{budget} {plan}")
    await admin.press("Add another motion")
    await admin.send("Amend article 20")
    await admin.send("Allow video meetings.")
    await admin.press("charter amendment (art. 38)")
    await admin.press("secret ballot")
    await admin.press("No documents")
    await admin.press("Finish the agenda")
    assert "2. Amend article 20 (charter amendment (art. 38), secret ballot)" in admin.text
    assert f"Documents: #{plan}, #{budget}" in admin.text

    clock.advance(days=1)  # the 15 days are counted again when it is sent
    await admin.press("Schedule and send the agenda")
    assert admin.last.alert is not None and "Fri, Dec 11, 2026" in admin.last.alert
    clock.advance(days=-1)
    await admin.press("Schedule and send the agenda")
    assert admin.text.startswith("Meeting 1 scheduled.")
    assert "Seat holders told: 3; member contacts told: 2." in admin.text
    full = to_chat(admin.last, holder_id(1))[0]
    assert "The secretariat proposes the 2027 work plan." in full
    titles = to_chat(admin.last, contact_id(1))[0]
    assert "Amend article 20" in titles and "Allow video meetings." not in titles
    assert all(r.protect for r in admin.last.replies if r.chat_id == holder_id(1))
    (contact_message,) = [r for r in admin.last.replies if r.chat_id == contact_id(1)]
    assert contact_message.buttons == ()  # the papers are for the leadership
    holder = ChatClient(app, holder_id(1))
    holder.receive(admin.last)
    assert holder.labels == ["Open the meeting", "📄 Get the document", "📄 Get the document"]
    await holder.press_data(holder._buttons_message.buttons[1][0].data)
    assert holder.replies[0].file is not None and holder.replies[0].protect
    assert "plan" in holder.replies[0].text


# -- quorum (art. 20) ---------------------------------------------------------------------------


async def test_quorum_at_exactly_two_thirds(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await seat_units(app, clock, directors=3, deputies=6)  # 9 units
    meeting_id = await schedule(app, clock, BallotKind.OPEN)
    (motion_id,) = await motion_ids(app, meeting_id)
    admin = ChatClient(app, ADMIN_ID)
    await admin.press_data(f"ms:start:{meeting_id}")
    assert admin.last.alert == "Check-in opens two hours before the meeting."
    await begin(admin, clock, meeting_id)
    await check_in(app, holder_id(1, 0), holder_id(1, 1), holder_id(2, 1))  # 2 units, 3 people
    await check_in(app, holder_id(4), holder_id(5), holder_id(6))  # 5 of 9 units
    await admin.press_data(f"ms:open:{motion_id}")
    assert admin.last.alert == (
        "No quorum: 5 of 9 director and deputy-director units are present; "
        "two-thirds or more are needed (art. 20)."
    )
    await admin.press_data(f"mc:{meeting_id}")
    assert "Units present: 5 of 9; members present: 6. No quorum" in admin.text
    await admin.press("Check someone in…")  # the secretariat checks in the sixth unit
    await admin.press("测试单位 7 — Holder 7-0")
    assert admin.replies[0].edit and "测试单位 7 — Holder 7-0" not in admin.labels
    assert admin.text.startswith("Units present: 6 of 9")  # exactly two-thirds
    await admin.press_data(f"ms:open:{motion_id}")
    assert admin.last.alert is None
    assert "Units present: 6 of 9; members present: 7. The quorum stands" in admin.text
    ballots = [r for r in admin.last.replies if r.chat_id == holder_id(7)]
    assert ballots and "Motion 1 is open for voting" in ballots[0].text
    assert not to_chat(admin.last, holder_id(8))  # not checked in: no ballot


# -- passing (art. 20) ---------------------------------------------------------------------------


async def test_pass_at_exactly_half_of_those_present(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await seat_units(app, clock, directors=0, deputies=4)
    meeting_id = await schedule(app, clock, BallotKind.OPEN, BallotKind.OPEN)
    first, second = await motion_ids(app, meeting_id)
    admin = ChatClient(app, ADMIN_ID)
    await begin(admin, clock, meeting_id)
    await check_in(app, *(holder_id(n) for n in range(1, 5)))
    for motion_id, choices in (
        (first, (Choice.FOR, Choice.FOR, Choice.AGAINST, Choice.ABSTAIN)),
        (second, (Choice.FOR, Choice.AGAINST, Choice.ABSTAIN, Choice.ABSTAIN)),
    ):
        await admin.press_data(f"ms:open:{motion_id}")
        for n, choice in enumerate(choices, start=1):
            outcome = await vote(app, holder_id(n), motion_id, choice)
            assert outcome.alert is None, outcome.alert
        await admin.press_data(f"ms:close:{motion_id}")
    assert (await motion(app, first)).passed is True  # 2 of 4: half passes
    assert (await motion(app, second)).passed is False  # 1 of 4; abstentions are not for
    result = to_chat(admin.last, holder_id(1))[0]
    assert "Motion 2, Motion 2: not passed." in result
    assert "For 1, against 1, abstaining 2; 4 present." in result


# -- votes: one each, recorded, refused when forged ----------------------------------------------


async def test_votes_change_until_closed_and_forged_buttons_are_refused(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seat_units(app, clock, directors=1, deputies=2)
    meeting_id = await schedule(app, clock, BallotKind.OPEN, BallotKind.OPEN)
    first, second = await motion_ids(app, meeting_id)
    admin, voter = ChatClient(app, ADMIN_ID), ChatClient(app, holder_id(1))
    await begin(admin, clock, meeting_id)
    await check_in(app, holder_id(1), holder_id(2), holder_id(3))

    await voter.press_data(f"mv:{first}:for")
    assert voter.last.alert == "This motion is not open for voting."
    await admin.press_data(f"ms:open:{first}")
    await voter.press_data(f"mv:{first}:for")
    assert "your vote is “For” for 测试单位 1" in voter.text
    await voter.press("Against")  # changeable until the motion closes
    assert "your vote is “Against”" in voter.text
    not_in = ChatClient(app, holder_id(1, 1))  # the director's second holder did not check in
    await not_in.press_data(f"mv:{first}:for")
    assert not_in.last.alert == "Please check in first; only members present may vote (art. 20)."
    guest = ChatClient(app, GUEST)
    await guest.press_data(f"mv:{first}:for")
    assert guest.last.alert == (
        "Only seat holders of the joint meeting, or their representatives, can do this."
    )
    for forged in (
        f"mv:{first}:yes",
        "mv:999:for",
        f"mv:{first}",
        "mv:x:for",
        f"mv:{first}:for:2",
    ):
        await voter.press_data(forged)
        assert voter.last.alert == "This button is no longer valid. Send /start to begin again."
    await guest.press_data(f"ms:open:{second}")  # not the secretariat
    assert guest.last.alert == "This button is no longer valid. Send /start to begin again."
    await admin.press_data(f"ms:ci:{meeting_id}")  # an id short
    assert admin.last.alert == "This button is no longer valid. Send /start to begin again."
    await admin.press_data(f"ms:open:{second}")
    assert admin.last.alert == "Another motion is open; close it first."

    await admin.press_data(f"ms:close:{first}")
    await voter.press_data(f"mv:{first}:for")
    assert voter.last.alert == "Voting on this motion has closed."
    closed = await motion(app, first)
    assert (closed.votes_for, closed.votes_against, closed.present) == (0, 1, 3)
    async with app.sessions() as session:
        (recorded,) = await stored.votes_of(session, first)
    assert recorded.choice is Choice.AGAINST and recorded.changed_at is not None
    assert (
        await count(
            app,
            select(func.count()).select_from(Participation).where(Participation.kind == "vote"),
        )
        == 1
    )


async def test_many_seat_holders_voting_at_once_give_the_exact_tally(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seat_units(app, clock, directors=4, deputies=8)  # 16 seat holders
    meeting_id = await schedule(app, clock, BallotKind.OPEN, BallotKind.SECRET)
    first, second = await motion_ids(app, meeting_id)
    admin = ChatClient(app, ADMIN_ID)
    await begin(admin, clock, meeting_id)
    everyone = [holder_id(s, k) for s in range(1, 5) for k in (0, 1)]
    everyone += [holder_id(s) for s in range(5, 13)]
    await check_in(app, *everyone)
    choices = [list(Choice)[n % 3] for n in range(len(everyone))]
    expected = tuple(choices.count(c) for c in Choice)  # for, against, abstain
    for motion_id in (first, second):
        await admin.press_data(f"ms:open:{motion_id}")
        # Five press twice at the same moment: whichever press wins, the other is refused.
        presses = [vote(app, t, motion_id, c) for t, c in zip(everyone[:5], choices, strict=False)]
        presses += [vote(app, t, motion_id, c) for t, c in zip(everyone, choices, strict=True)]
        outcomes = await asyncio.gather(*presses)
        refused = [o.alert for o in outcomes if o.alert is not None]
        assert all("already voted" in a for a in refused), refused
        await admin.press_data(f"ms:close:{motion_id}")
        result = await motion(app, motion_id)
        assert (result.votes_for, result.votes_against, result.abstentions) == expected
        assert result.present == 16 and result.passed is False  # 6 of 16 for
        assert (
            await count(
                app, select(func.count()).select_from(Vote).where(Vote.motion_id == motion_id)
            )
            == 16
        )
    assert len(refused) == 5  # a secret ballot cannot be cast again, even with the same choice


async def test_a_vote_never_slips_in_after_the_count(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await seat_units(app, clock, directors=0, deputies=10)
    meeting_id = await schedule(app, clock, BallotKind.OPEN)
    (motion_id,) = await motion_ids(app, meeting_id)
    admin = ChatClient(app, ADMIN_ID)
    await begin(admin, clock, meeting_id)
    await check_in(app, *(holder_id(n) for n in range(1, 11)))
    await admin.press_data(f"ms:open:{motion_id}")
    presses = [vote(app, holder_id(n), motion_id, Choice.FOR) for n in range(1, 11)]
    outcomes = await asyncio.gather(
        *presses[:5], admin.press_data(f"ms:close:{motion_id}"), *presses[5:]
    )
    result = await motion(app, motion_id)
    recorded = await count(
        app, select(func.count()).select_from(Vote).where(Vote.motion_id == motion_id)
    )
    late = [o for o in outcomes if o.alert == "Voting on this motion has closed."]
    assert result.votes_for == recorded == 10 - len(late)  # every vote counted, none after


# -- secret ballots ------------------------------------------------------------------------------


async def test_secret_ballot_keeps_who_not_how_and_receipts_verify(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seat_units(app, clock, directors=0, deputies=3)
    meeting_id = await schedule(app, clock, BallotKind.SECRET)
    (motion_id,) = await motion_ids(app, meeting_id)
    admin = ChatClient(app, ADMIN_ID)
    await begin(admin, clock, meeting_id)
    await check_in(app, *(holder_id(n) for n in range(1, 4)))
    await admin.send("/linkgroup")  # in private: explains where to send it
    assert "send /linkgroup there" in admin.text
    await admin.press_data(f"ms:open:{motion_id}")
    assert not to_chat(admin.last, GROUP)
    kept = []
    for n, choice in ((1, Choice.FOR), (2, Choice.FOR), (3, Choice.AGAINST)):
        voter = ChatClient(app, holder_id(n))
        await voter.press_data(f"mv:{motion_id}:{choice.value}")
        receipt = re.search(r"Your receipt: ([0-9a-f]{64})", voter.text).group(1)
        nonce = re.search(r"Your secret nonce: ([0-9a-f]{32})", voter.text).group(1)
        assert voter.replies[0].buttons == () and voter.replies[0].protect
        kept.append((choice, nonce, receipt))
    again = ChatClient(app, holder_id(1))
    await again.press_data(f"mv:{motion_id}:against")
    assert again.last.alert == "You have already voted; a secret ballot cannot be changed."
    async with app.sessions() as session:
        assert all(v.choice is None for v in await stored.votes_of(session, motion_id))
        assert {c.name for c in BallotBox.__table__.columns} == {"motion_id", "ballots"}
    await admin.press_data(f"ms:close:{motion_id}")
    published_text = to_chat(admin.last, holder_id(2))[0]
    published = [
        (receipt, Choice(word.lower()))
        for receipt, word in re.findall(
            r"^([0-9a-f]{64}) (For|Against|Abstain)$", published_text, re.M
        )
    ]
    assert len(published) == 3
    for choice, nonce, receipt in kept:
        assert rules.receipt_verifies(motion_id, choice, nonce, receipt, published)
    result = await motion(app, motion_id)
    assert (result.votes_for, result.votes_against, result.passed) == (2, 1, True)
    assert result.receipts_digest == rules.tally_digest(published)
    assert f"Fingerprint of this list: {result.receipts_digest}" in published_text


# -- the leadership's group chat -----------------------------------------------------------------


async def test_open_ballot_in_the_linked_group(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await seat_units(app, clock, directors=0, deputies=3)
    meeting_id = await schedule(app, clock, BallotKind.OPEN, BallotKind.SECRET)
    first, second = await motion_ids(app, meeting_id)
    admin_in_group = Sender(ADMIN_ID, GROUP, "en")
    linked = await app.dispatcher.handle(Incoming("link:1", admin_in_group, command="linkgroup"))
    assert "voting chat" in linked.replies[0].text
    admin = ChatClient(app, ADMIN_ID)
    await begin(admin, clock, meeting_id)
    assert to_chat(admin.last, GROUP)  # check-in posted to the group too
    outcome = await in_group(app, holder_id(1), f"mci:{meeting_id}")
    # group posts are in the center's default language
    assert outcome.replies[0].edit and "到会单位：1家（共3家）" in outcome.replies[0].text
    await check_in(app, holder_id(2), holder_id(3))
    await admin.press_data(f"ms:open:{first}")
    (post,) = [r for r in admin.last.replies if r.chat_id == GROUP]
    assert [b.data for b in post.buttons[0]] == [
        f"mv:{first}:for",
        f"mv:{first}:against",
        f"mv:{first}:abstain",
    ]
    assert not to_chat(admin.last, holder_id(1))  # the ballot is in the group, not private

    pressed = await in_group(app, holder_id(1), f"mv:{first}:for")
    assert pressed.alert is None and pressed.replies[0].edit and pressed.replies[0].chat_id is None
    assert "表决中；已投票1人（赞成1、反对0、弃权0）" in pressed.replies[0].text
    assert to_chat(pressed, holder_id(1))  # a private confirmation
    stranger = await in_group(app, GUEST, f"mv:{first}:for")
    assert stranger.alert and "Only seat holders" in stranger.alert and not stranger.replies
    await admin.press_data(f"ms:close:{first}")
    assert to_chat(admin.last, GROUP)  # the result is posted there
    await admin.press_data(f"ms:open:{second}")
    assert not to_chat(admin.last, GROUP) and to_chat(admin.last, holder_id(1))  # secret: private
    refused = await in_group(app, holder_id(2), f"mv:{second}:for")
    assert refused.alert == "A secret ballot is cast only in your private chat with the bot."


# -- representatives and leave --------------------------------------------------------------------


async def test_representative_acts_for_the_seat_and_leave_is_excused(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(bot_username="dtpc_bot")
    await seat_units(app, clock, directors=1, deputies=2)
    meeting_id = await schedule(app, clock, BallotKind.OPEN)
    (motion_id,) = await motion_ids(app, meeting_id)
    holder, deputy = ChatClient(app, holder_id(2)), ChatClient(app, holder_id(3))
    await holder.send("/meetings")
    await holder.press(f"Open meeting {meeting_id}")
    await holder.press("Name a representative")
    link = holder.text.split()[-1]
    assert link.startswith("https://t.me/dtpc_bot?start=mrep_")
    payload = link.split("start=")[1]
    seated = ChatClient(app, holder_id(1))
    await seated.send(f"/start {payload}")
    assert seated.text == "A seat holder cannot represent another seat."
    rep = ChatClient(app, 6001, name="Rep Zhou")
    await rep.send(f"/start {payload}")
    assert "You will represent Holder 2-0 of 测试单位 2" in rep.text
    assert to_chat(rep.last, holder_id(2)) == ["Rep Zhou will represent you at meeting 1."]
    late = ChatClient(app, 6002)
    await late.send(f"/start {payload}")  # the link works once
    assert late.text.startswith("This representative link is not valid")

    await deputy.send("/meetings")
    await deputy.press(f"Open meeting {meeting_id}")
    await deputy.press("Ask for leave")
    await deputy.send("出差")
    assert deputy.text == "Leave recorded: your absence from meeting 1 is excused (art. 19)."
    assert any("出差" in t for t in to_chat(deputy.last, ADMIN_ID))

    admin = ChatClient(app, ADMIN_ID)
    await begin(admin, clock, meeting_id)
    assert to_chat(admin.last, 6001) and not to_chat(admin.last, holder_id(2))
    await holder.press_data(f"mci:{meeting_id}")
    assert (
        holder.last.alert == "You named a representative for this meeting; they act for your seat."
    )
    await deputy.press_data(f"mlv:{meeting_id}")
    assert (
        deputy.last.alert == "The meeting has begun; this can only be arranged before it starts."
    )
    await rep.press_data(f"mci:{meeting_id}")
    assert rep.text.startswith("Checked in for 测试单位 2.")
    await check_in(app, holder_id(1))
    await admin.press_data(f"ms:open:{motion_id}")
    assert to_chat(admin.last, 6001)  # the representative gets the ballot
    assert (await vote(app, 6001, motion_id, Choice.FOR)).alert is None
    await admin.press_data(f"ms:close:{motion_id}")
    await admin.press_data(f"ms:end:{meeting_id}")
    assert "测试单位 2 — Holder 2-0: present; represented by Rep Zhou" in admin.text
    assert "测试单位 3 — Holder 3-0: on leave: 出差" in admin.text
    async with app.sessions() as session:
        (cast,) = await stored.votes_of(session, motion_id)
        voter = await people.by_telegram_id(session, 6001)
        rows = await stored.attendance_of(session, meeting_id)
    assert cast.person_id == voter.id and cast.seat_id == rows[cast.seat_id].seat_id
    presence = sorted(r.presence for r in rows.values())
    assert presence == [Presence.ABSENT, Presence.EXCUSED, Presence.PRESENT, Presence.PRESENT]


# -- absences (art. 19) ---------------------------------------------------------------------------


async def run_meeting(
    app: App, clock: FakeClock, present: list[int], leave: list[int]
) -> ChatClient:
    meeting_id = await schedule(app, clock, BallotKind.OPEN)
    for telegram_id in leave:
        client = ChatClient(app, telegram_id)
        await client.press_data(f"mlv:{meeting_id}")
        await client.send("病假")
    admin = ChatClient(app, ADMIN_ID)
    await begin(admin, clock, meeting_id)
    await check_in(app, *present, meeting_id=meeting_id)
    await admin.press_data(f"ms:end:{meeting_id}")
    assert admin.last.alert is None, admin.last.alert
    return admin


async def test_third_unexcused_absence_in_a_row_loses_the_seat(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seat_units(app, clock, directors=1, deputies=1)
    absentee, other = holder_id(1, 1), holder_id(2)
    present = [holder_id(1, 0), other]
    await run_meeting(app, clock, present, leave=[])  # absent
    await run_meeting(app, clock, present, leave=[absentee])  # excused: resets nothing
    await run_meeting(app, clock, present, leave=[])  # absent: two without leave
    async with app.sessions() as session:
        assert await stored.active_seat_of(
            session, (await people.by_telegram_id(session, absentee)).id
        )
    admin = await run_meeting(app, clock, present, leave=[])  # the third
    lost = "Holder 1-1 of 测试单位 1 has lost the seat on the joint directors' meeting"
    assert any(lost in t for t in to_chat(admin.last, ADMIN_ID))
    assert any(lost in t for t in to_chat(admin.last, absentee))
    assert to_chat(admin.last, contact_id(1))  # the unit is told
    assert "meetings" not in [c.command for c in admin.last.menus[absentee]]
    async with app.sessions() as session:
        person = await people.by_telegram_id(session, absentee)
        assert await stored.active_seat_of(session, person.id) is None
        assert Role.LEADERSHIP not in await people.roles_of(session, person.id)
        kept = await people.by_telegram_id(session, other)
        assert await stored.active_seat_of(session, kept.id) is not None


# -- minutes, reminders, quarters and terms ------------------------------------------------------


async def test_minutes_are_kept_sent_and_published(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    await seat_units(app, clock, directors=0, deputies=3)
    meeting_id = await schedule(app, clock, BallotKind.OPEN, BallotKind.SECRET)
    first, _second = await motion_ids(app, meeting_id)
    admin = ChatClient(app, ADMIN_ID)
    await begin(admin, clock, meeting_id)
    await check_in(app, holder_id(1), holder_id(2))
    await admin.press_data(f"ms:open:{first}")
    await vote(app, holder_id(1), first, Choice.FOR)
    await admin.press_data(f"ms:close:{first}")
    await admin.press_data(f"ms:end:{meeting_id}")
    assert any("has ended; 2 of 3" in t for t in to_chat(admin.last, holder_id(3)))
    await admin.press("Minutes (DOCX)")
    (reply,) = admin.replies
    assert reply.protect and reply.file.name == "minutes-meeting-1.docx"
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(reply.file.content)).paragraphs)
    assert "Director and deputy-director units present: 2 of 3." in text
    assert "For 1, against 0, abstaining 0; 2 present." in text and "not put to the vote" in text
    assert "测试单位 1 — Holder 1-0: For" in text
    guest = ChatClient(app, contact_id(1))
    await guest.press_data(f"mmin:{meeting_id}")
    assert guest.last.alert is not None and not guest.replies
    async with app.sessions() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "meeting.minutes")
        )
    assert entry.details["units_present"] == 2 and entry.details["motions"][0]["passed"] is True
    await admin.press("The meeting approved the minutes")
    published = to_chat(admin.last, contact_id(1))[0]
    assert "1. Motion 1: passed." in published and "2. Motion 2: not put to the vote." in published


async def test_reminders_quarter_and_term(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    async with app.sessions() as session, session.begin():
        unit = await make_unit(session, clock.now(), 1, tier=UnitTier.DIRECTOR)
        unit.tier_since = clock.now().date() - timedelta(
            days=5 * 365 - 30
        )  # ends in about 30 days
        await seats.add_seat(session, unit.id, holder_id(1), "Holder", None, clock.now(), ZONE)
        assert await meetings.quarter_needs_meeting(session, clock.now(), ZONE)
    meeting_id = await schedule(app, clock, BallotKind.OPEN)
    async with app.sessions() as session:
        assert not await meetings.quarter_needs_meeting(session, clock.now(), ZONE)  # 11 Dec
    kinds = {kind.name: kind for kind in meetings.reminder_kinds()}
    runtime = ReminderRuntime(app.sessions, app.catalogs, clock, app.settings, kinds)
    assert await fire_due(runtime) == 1  # the term reminder is overdue: sent at once
    clock.advance(days=15)  # a day before the meeting
    assert await fire_due(runtime) == 1
    async with app.sessions() as session:
        sent = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert sent[0].purpose == "reminder:art12_term_end" and "测试单位 1" in sent[0].text
    assert "2026年12月26日周六届满" in sent[0].text
    assert sent[1].purpose == "reminder:meeting_reminder" and "Room 301" in sent[1].text
    admin = ChatClient(app, ADMIN_ID)
    await admin.press_data(f"ms:cancel:{meeting_id}")
    clock.advance(hours=23, minutes=30)
    assert await fire_due(runtime) == 0  # cancelled with the meeting


async def test_a_unit_that_stops_being_a_director_loses_its_seats(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seat_units(app, clock, directors=1, deputies=1)
    holder = ChatClient(app, holder_id(1))
    await holder.send("/meetings")
    assert holder.text != "The command /meetings is not available to you."
    async with app.sessions() as session, session.begin():
        await membership.set_tier(session, 1, UnitTier.MEMBER, 1, clock.now(), ZONE)  # art. 19
        await membership.revoke_licence(session, 2, 1, clock.now(), ZONE)  # art. 16(3)
    for telegram_id in (holder_id(1), holder_id(1, 1), holder_id(2)):
        person = ChatClient(app, telegram_id)
        await person.send("/meetings")
        assert person.text == "The command /meetings is not available to you."
