"""The charter's dates are days in the center's time zone, not UTC days (DESIGN, trust rules).

Beijing is UTC+8: from 00:00 to 07:59 Beijing time the UTC date is still the day before. The
clock holds UTC, as the system clock does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import App
from bot.services import applications, membership, projects
from bot.services.announcements import daily_membership
from storage import people, units
from storage.models import (
    Application,
    ApplicationStatus,
    Participation,
    Reminder,
    Unit,
    UnitStatus,
    UnitTier,
    Withdrawal,
)
from tests.conftest import MakeApp
from tests.support.clock import FakeClock
from tests.support.factories import PDF, credit_code, make_unit

ZONE = ZoneInfo("Asia/Shanghai")
STAFF = 6001
CONTACT = 6002


def beijing(day: date, hour: int, minute: int) -> datetime:
    """A Beijing wall-clock time, as the UTC moment the clock would show."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)


async def staff_id(app: App, now: datetime) -> int:
    async with app.sessions() as session, session.begin():
        return (await people.ensure(session, STAFF, STAFF, now)).id


async def unit_at(app: App, clock: FakeClock, serial: int, joined_on: date) -> int:
    async with app.sessions() as session, session.begin():
        unit = await make_unit(session, clock.now(), serial, contact_telegram_id=CONTACT + serial)
        unit.joined_on = joined_on
        return unit.id


async def unit(app: App, unit_id: int) -> Unit:
    async with app.sessions() as session:
        found = await units.get(session, unit_id)
        assert found is not None
        return found


async def run_daily(app: App, clock: FakeClock) -> None:
    async with app.sessions() as session, session.begin():
        await daily_membership(session, app.catalogs, clock.now(), ZONE)


# -- art. 16(1): thirty days' notice ---------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute"),
    [(0, 30), (7, 30), (23, 30)],
    ids=["00:30", "07:30", "23:30"],
)
async def test_withdrawal_notice_counts_from_the_beijing_day(
    make_app: MakeApp, clock: FakeClock, hour: int, minute: int
) -> None:
    """Notice given on 1 March in Beijing, whatever the UTC date, ends membership on
    31 March: the day of the notice is not counted, then thirty days (art. 16(1))."""
    app = await make_app()
    clock.moment = beijing(date(2027, 3, 1), hour, minute)
    unit_id = await unit_at(app, clock, 1, date(2026, 1, 5))
    actor = await staff_id(app, clock.now())
    async with app.sessions() as session, session.begin():
        withdrawal = await membership.request_withdrawal(
            session, unit_id, actor, clock.now(), ZONE
        )
    assert withdrawal.effective_on == date(2027, 3, 31)


async def test_notice_late_on_the_day_before_counts_from_that_day(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    clock.moment = beijing(date(2027, 2, 28), 23, 30)
    unit_id = await unit_at(app, clock, 1, date(2026, 1, 5))
    actor = await staff_id(app, clock.now())
    async with app.sessions() as session, session.begin():
        withdrawal = await membership.request_withdrawal(
            session, unit_id, actor, clock.now(), ZONE
        )
    assert withdrawal.effective_on == date(2027, 3, 30)


async def test_withdrawal_ends_at_the_beijing_midnight_and_left_on_is_its_day(
    make_app: MakeApp, clock: FakeClock
) -> None:
    """The daily run at 23:30 Beijing on 30 March leaves the unit a member; at 00:30 on
    31 March (still 30 March in UTC) it has left, on 31 March."""
    app = await make_app()
    clock.moment = beijing(date(2027, 3, 1), 7, 30)
    unit_id = await unit_at(app, clock, 1, date(2026, 1, 5))
    actor = await staff_id(app, clock.now())
    async with app.sessions() as session, session.begin():
        await membership.request_withdrawal(session, unit_id, actor, clock.now(), ZONE)

    clock.moment = beijing(date(2027, 3, 30), 23, 30)
    await run_daily(app, clock)
    assert (await unit(app, unit_id)).status is UnitStatus.WITHDRAWING

    clock.moment = beijing(date(2027, 3, 31), 0, 30)
    await run_daily(app, clock)
    left = await unit(app, unit_id)
    assert (left.status, left.left_on) == (UnitStatus.WITHDRAWN, date(2027, 3, 31))


async def test_left_on_is_the_effective_day_when_the_job_runs_days_later(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    clock.moment = beijing(date(2027, 3, 1), 7, 30)
    unit_id = await unit_at(app, clock, 1, date(2026, 1, 5))
    actor = await staff_id(app, clock.now())
    async with app.sessions() as session, session.begin():
        await membership.request_withdrawal(session, unit_id, actor, clock.now(), ZONE)

    clock.moment = beijing(date(2027, 4, 4), 9, 0)  # the bot was down for four days
    await run_daily(app, clock)
    left = await unit(app, unit_id)
    assert (left.status, left.left_on) == (UnitStatus.WITHDRAWN, date(2027, 3, 31))


async def test_the_week_before_reminder_is_at_nine_in_the_centers_zone(
    make_app: MakeApp, clock: FakeClock
) -> None:
    """With TIMEZONE other than Beijing the reminder is still at 09:00 where the center is."""
    app = await make_app()
    berlin = ZoneInfo("Europe/Berlin")
    clock.moment = datetime(2027, 3, 1, 10, 0, tzinfo=berlin).astimezone(UTC)
    unit_id = await unit_at(app, clock, 1, date(2026, 1, 5))
    actor = await staff_id(app, clock.now())
    async with app.sessions() as session, session.begin():
        await membership.request_withdrawal(session, unit_id, actor, clock.now(), berlin)
    async with app.sessions() as session:
        reminder = await session.scalar(select(Reminder).where(Reminder.kind == "withdrawal_due"))
    assert reminder is not None and reminder.expires_at is not None
    assert reminder.due_at == datetime(2027, 3, 24, 9, 0, tzinfo=berlin)
    assert reminder.expires_at == datetime(2027, 3, 31, 9, 0, tzinfo=berlin)


# -- art. 16(2): two years without participation ---------------------------------------------


async def test_inactivity_withdrawal_is_dated_when_the_two_years_ran_out(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    clock.moment = beijing(date(2027, 3, 4), 9, 0)  # the run three days after the deadline
    unit_id = await unit_at(app, clock, 1, date(2025, 3, 1))
    await run_daily(app, clock)
    left = await unit(app, unit_id)
    assert (left.status, left.left_on) == (UnitStatus.WITHDRAWN, date(2027, 3, 1))
    async with app.sessions() as session:
        withdrawal = await session.scalar(select(Withdrawal).where(Withdrawal.unit_id == unit_id))
    assert withdrawal is not None
    assert (withdrawal.cause, withdrawal.effective_on) == ("inactivity", date(2027, 3, 1))


async def test_inactivity_deadline_is_reached_at_the_beijing_midnight(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    clock.moment = beijing(date(2027, 2, 28), 23, 30)
    unit_id = await unit_at(app, clock, 1, date(2025, 3, 1))
    await run_daily(app, clock)
    assert (await unit(app, unit_id)).status is UnitStatus.MEMBER
    clock.moment = beijing(date(2027, 3, 1), 0, 30)  # 28 February in UTC
    await run_daily(app, clock)
    assert (await unit(app, unit_id)).status is UnitStatus.WITHDRAWN


async def test_participation_after_midnight_counts_on_the_beijing_day(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    clock.moment = beijing(date(2027, 3, 1), 0, 30)
    unit_id = await unit_at(app, clock, 1, date(2026, 1, 5))
    actor = await staff_id(app, clock.now())
    answers = {"title": "MES", "client": "Plant", "scope": "Line 3", "starts_on": "2027-03-10"}
    async with app.sessions() as session, session.begin():
        await projects.file_project(session, unit_id, actor, answers, clock.now(), ZONE)
    async with app.sessions() as session:
        days = list(await session.scalars(select(Participation.on)))
    assert days == [date(2027, 3, 1)]


# -- joining, tiers, licence (art. 11, 12, 16(3)) --------------------------------------------


async def test_a_unit_approved_at_00_30_joins_on_that_beijing_day(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    clock.moment = beijing(date(2027, 3, 1), 0, 30)
    actor = await staff_id(app, clock.now())
    async with app.sessions() as session, session.begin():
        applicant = await people.ensure(session, CONTACT, CONTACT, clock.now())
        application = Application(
            applicant_id=applicant.id,
            status=ApplicationStatus.PENDING,
            unit_name="示范企业",
            credit_code=credit_code(9),
            unit_type="enterprise",
            sub_sectors=["smelting"],
            region="内蒙古",
            contact_name="联系人",
            phone="13800138000",
            email="c@example.cn",
            form_name="form.pdf",
            form_content=PDF,
            submitted_at=clock.now(),
        )
        session.add(application)
        await session.flush()
        approval = await applications.approve(session, application.id, actor, clock.now(), ZONE)
        unit_id = approval.unit.id
    assert (await unit(app, unit_id)).joined_on == date(2027, 3, 1)


async def test_tier_and_licence_dates_are_beijing_days(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    clock.moment = beijing(date(2027, 3, 1), 0, 30)
    director = await unit_at(app, clock, 1, date(2026, 1, 5))
    revoked = await unit_at(app, clock, 2, date(2026, 1, 5))
    actor = await staff_id(app, clock.now())
    async with app.sessions() as session, session.begin():
        await membership.set_tier(session, director, UnitTier.DIRECTOR, actor, clock.now(), ZONE)
        await membership.revoke_licence(session, revoked, actor, clock.now(), ZONE)
    assert (await unit(app, director)).tier_since == date(2027, 3, 1)
    assert (await unit(app, revoked)).left_on == date(2027, 3, 1)
