"""A center of N member units for benchmarks, made through the services and storage functions:

- N units, each with a main contact bound to a Telegram account (the contact role);
- 1% director units (2 seats each) and 3% deputy-director units (1 seat), their seat holders
  with the leadership role;
- an upcoming event open to everyone, without a limit on places;
- a members' document: a two-page PDF, confidential, so every copy is watermarked;
- a joint directors' meeting scheduled 17 days ago, now in progress, every seat holder
  checked in, its first motion (open ballot) open for voting;
- guests: Telegram accounts that never wrote to the bot.

Run alone to time it: `.venv/bin/python -m bench.seed 1000 sqlite+aiosqlite:////tmp/b.sqlite3`.
"""

from __future__ import annotations

import asyncio
import io
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from reportlab.pdfgen import canvas
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charter.documents import Audience, Level
from bot.charter.events import EventFields
from bot.services import documents, events, meetings, seats
from bot.services.roles import bootstrap_admins
from storage import migrate, people
from storage.db import create_engine, session_factory
from storage.meetings_models import BallotKind, MotionKind
from storage.models import UnitTier
from tests.support.factories import make_unit

ADMIN = 1_000  # the secretariat account
ZONE = ZoneInfo("Asia/Shanghai")
BATCH = 100  # units per transaction


def contact_id(serial: int) -> int:
    return 10_000_000 + serial


def holder_id(serial: int, k: int) -> int:
    return 20_000_000 + serial * 10 + k


def guest_id(n: int) -> int:
    return 30_000_000 + n


@dataclass
class World:
    """Who and what the benchmark's simulated users find in the database."""

    units: int
    contacts: list[int] = field(default_factory=list)  # Telegram ids
    holders: list[int] = field(default_factory=list)
    guests: list[int] = field(default_factory=list)
    event_id: int = 0
    document_id: int = 0
    meeting_id: int = 0
    motion_id: int = 0


def tier_of(serial: int, count: int) -> UnitTier:
    directors, deputies = max(1, count // 100), max(2, 3 * count // 100)
    if serial <= directors:
        return UnitTier.DIRECTOR
    if serial <= directors + deputies:
        return UnitTier.DEPUTY_DIRECTOR
    return UnitTier.MEMBER


def report_pdf(pages: int = 2) -> bytes:
    """A plain report of a few pages, as the center publishes."""
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, invariant=True)
    for number in range(1, pages + 1):
        for line in range(40):
            sheet.drawString(72, 770 - 18 * line, f"Annual report, page {number}, line {line}")
        sheet.showPage()
    sheet.save()
    return buffer.getvalue()


async def seed(url: str, count: int, guests: int = 200) -> World:
    """Migrates the (empty) database at `url` and fills it; returns what it made."""
    engine = create_engine(url)
    await migrate.upgrade(engine)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    world = World(count, guests=[guest_id(n) for n in range(1, guests + 1)])
    try:
        async with sessions() as session, session.begin():
            await bootstrap_admins(session, [ADMIN], now - timedelta(days=60))
            admin = await people.by_telegram_id(session, ADMIN)
            assert admin is not None
            admin_id = admin.id
        for start in range(1, count + 1, BATCH):
            async with sessions() as session, session.begin():
                for serial in range(start, min(start + BATCH, count + 1)):
                    await _unit(session, world, serial, count, admin_id, now - timedelta(days=30))
        async with sessions() as session, session.begin():
            world.event_id = await _event(session, admin_id, now)
            world.document_id = await _document(session, admin_id, now)
        async with sessions() as session, session.begin():
            world.meeting_id, world.motion_id = await _meeting(session, world, admin_id, now)
    finally:
        await engine.dispose()
    return world


async def _unit(
    session: AsyncSession, world: World, serial: int, count: int, admin_id: int, now: datetime
) -> None:
    tier = tier_of(serial, count)
    unit = await make_unit(session, now, serial, contact_telegram_id=contact_id(serial), tier=tier)
    world.contacts.append(contact_id(serial))
    for k in range(
        2 if tier is UnitTier.DIRECTOR else 1 if tier is UnitTier.DEPUTY_DIRECTOR else 0
    ):
        name = f"董事代表 {serial}-{k}"
        await seats.add_seat(session, unit.id, holder_id(serial, k), name, admin_id, now, ZONE)
        world.holders.append(holder_id(serial, k))


async def _event(session: AsyncSession, admin_id: int, now: datetime) -> int:
    starts = now + timedelta(days=30)
    fields = EventFields(
        title="有色金属行业数字化转型年会",
        description="年度大会：数字化转型经验交流。",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        place="北京 会议中心 301",
        capacity=None,
        members_until=None,
        guests_allowed=True,
        per_unit=5,
    )
    event = await events.create_event(session, fields, str(ZONE), admin_id, now)
    return event.id


async def _document(session: AsyncSession, admin_id: int, now: datetime) -> int:
    admin = await people.by_telegram_id(session, ADMIN)
    assert admin is not None
    content = report_pdf()
    upload = await documents.receive_upload(
        session,
        admin,
        ("annual-report.pdf", "", content),
        "",
        now,
        2**22,
    )
    draft = documents.DocumentDraft(
        upload.id, "2025 年度工作报告", "中心年度工作报告", "plan", Audience(Level.MEMBERS)
    )
    return (await documents.publish(session, draft, admin_id, now)).id


async def _meeting(
    session: AsyncSession, world: World, admin_id: int, now: datetime
) -> tuple[int, int]:
    drafts = [
        meetings.MotionDraft(
            "关于年度预算的决议", "审议年度预算。", MotionKind.RESOLUTION, BallotKind.OPEN
        )
    ]
    scheduled_at = now - timedelta(days=17)  # the notice of art. 20, given in the past
    meeting = await meetings.schedule(
        session,
        now - timedelta(minutes=30),
        "线上会议",
        drafts,
        admin_id,
        scheduled_at,
        ZONE,
    )
    board, _ended = await meetings.start(session, meeting.id, admin_id, now)
    for telegram_id in world.holders:
        person = await people.by_telegram_id(session, telegram_id)
        assert person is not None
        await meetings.check_in(session, meeting.id, person, now, ZONE)
    motion = board.motions[0]
    await meetings.open_motion(session, motion.id, admin_id, now)
    return meeting.id, motion.id


if __name__ == "__main__":
    started = time.monotonic()
    made = asyncio.run(seed(sys.argv[2], int(sys.argv[1])))
    print(
        f"{made.units} units, {len(made.holders)} seat holders, event {made.event_id}, "
        f"document {made.document_id}, meeting {made.meeting_id}: "
        f"{time.monotonic() - started:.1f} s"
    )
