"""`printed_names` on SQLite and PostgreSQL: each person by the roster's name — a contact's,
else an active seat's — with the Telegram name beside it only when different (issue 20)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import people, units
from storage.meetings_models import Seat
from storage.models import Person, UnitTier
from storage.names import printed_name_of, printed_names
from tests.conftest import MakeApp
from tests.support.clock import FakeClock
from tests.support.factories import make_unit


async def person(session: AsyncSession, telegram_id: int, display: str, now: datetime) -> Person:
    return await people.ensure(session, telegram_id, telegram_id, now, display_name=display)


async def test_printed_names_of_contacts_seats_and_strangers(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app, now = await make_app(), clock.now()
    async with app.sessions() as session, session.begin():
        unit = await make_unit(session, now, 1, tier=UnitTier.DIRECTOR)
        nickname = await person(session, 7001, "建国", now)
        same = await person(session, 7002, "李娜", now)
        stranger = await person(session, 7003, "Jing C.", now)
        holder = await person(session, 7004, "强哥", now)
        both = await person(session, 7005, "Jing", now)
        former = await person(session, 7006, "磊", now)
        silent = await person(session, 7007, "", now)
        for who, name in ((nickname, "王建国"), (same, "李娜"), (both, "陈静")):
            await units.add_contact(session, unit.id, who.id, name, now)
        for who, name, ended in ((holder, "赵强", None), (both, "陈静（席位）", None),
                                 (former, "孙磊", now)):  # fmt: skip
            session.add(
                Seat(unit_id=unit.id, person_id=who.id, name=name, since=now, ended_at=ended)
            )
        await session.flush()
        everyone = [nickname, same, stranger, holder, both, former, silent]

    async with app.sessions() as session:
        names = await printed_names(session, everyone)
        assert [names[p.id] for p in everyone] == [
            "王建国 (建国)",
            "李娜",
            "Jing C.",
            "赵强 (强哥)",  # a seat holder, as the secretariat recorded the seat
            "陈静 (Jing)",  # the contact record wins over the seat's
            "磊",  # a seat that has ended puts nobody on the roster
            f"#{silent.telegram_id}",
        ]
        assert await printed_name_of(session, nickname) == "王建国 (建国)"
        assert await printed_names(session, []) == {}
