"""Test data in one place: valid credit codes, sealed forms, member units."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import uscc

from storage import people, units
from storage.models import Role, Unit, UnitStatus, UnitTier

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def credit_code(serial: int) -> str:
    """A valid Unified Social Credit Code (GB 32100 check digit) for each serial number."""
    body = f"91110000{serial:09d}"
    return body + uscc.calc_check_digit(body)


async def make_unit(
    session: AsyncSession,
    now: datetime,
    serial: int,
    *,
    contact_telegram_id: int | None = None,
    status: UnitStatus = UnitStatus.MEMBER,
    tier: UnitTier = UnitTier.MEMBER,
    sub_sectors: tuple[str, ...] = ("smelting",),
) -> Unit:
    """A unit on the roster, with a main contact bound to `contact_telegram_id` if given."""
    unit = Unit(
        name=f"测试单位 {serial}",
        credit_code=credit_code(serial),
        status=status,
        tier=tier,
        created_at=now,
        joined_on=now.date(),
        unit_type="enterprise",
        sub_sectors=list(sub_sectors),
        region="内蒙古",
    )
    session.add(unit)
    await session.flush()
    person_id = None
    if contact_telegram_id is not None:
        person = await people.ensure(session, contact_telegram_id, contact_telegram_id, now)
        await people.grant(session, person.id, Role.CONTACT, None, now)
        person_id = person.id
    await units.add_contact(
        session,
        unit.id,
        person_id,
        f"联系人 {serial}",
        now,
        phone="13800138000",
        email=f"c{serial}@example.cn",
        is_main=True,
    )
    return unit
