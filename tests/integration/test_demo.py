"""The demo center: written through the services into an empty database only, and marked."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot import demo
from bot.errors import DomainError
from bot.services import roster_template
from storage import people, units
from storage.documents_models import Document
from storage.events_models import EventSignup
from storage.meetings_models import Meeting
from storage.models import Application, ApplicationStatus, Role, Unit
from storage.onboarding_models import DemoUnit
from tests.conftest import MakeApp
from tests.integration.test_startup import run_cli
from tests.support.clock import FakeClock
from tests.support.factories import make_unit


async def test_demo_fills_an_empty_database_once(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    async with app.sessions() as session, session.begin():
        center = await demo.fill(session, app.catalogs, app.settings, clock.now())
    assert center.created and center.units == 12
    async with app.sessions() as session:
        found = (await session.scalars(select(Unit))).all()
        assert len(found) == 12 and all(u.name.startswith(demo.DEMO_MARK) for u in found)
        assert await session.scalar(select(func.count()).select_from(DemoUnit)) == 12
        assert {u.tier.value for u in found} == {"member", "deputy_director", "director"}
        signups = (await session.scalars(select(EventSignup))).all()
        assert sorted(s.status.value for s in signups) == ["confirmed", "confirmed", "waiting"]
        documents = (await session.scalars(select(Document))).all()
        assert sorted(d.embargo_until is None for d in documents) == [False, True]
        assert await session.scalar(select(func.count()).select_from(Meeting)) == 1
        pending = await session.scalar(
            select(Application).where(Application.status == ApplicationStatus.PENDING)
        )
        assert pending is not None and pending.unit_name.startswith(demo.DEMO_MARK)
        contact = await people.by_telegram_id(session, demo.CONSOLE[Role.CONTACT])
        assert await units.of_person(session, contact.id) is not None
        leader = await people.by_telegram_id(session, demo.CONSOLE[Role.LEADERSHIP])
        assert Role.LEADERSHIP in await people.roles_of(session, leader.id)
    async with app.sessions() as session, session.begin():
        again = await demo.fill(session, app.catalogs, app.settings, clock.now())
    assert not again.created and again.units == 12


async def test_demo_refuses_a_database_with_real_units(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), 1)
    with pytest.raises(DomainError, match="already holds real member units"):
        async with app.sessions() as session, session.begin():
            await demo.fill(session, app.catalogs, app.settings, clock.now())
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Unit)) == 1


def test_cli_import_reports_then_applies_and_demo_refuses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    template = str(roster_template.DIRECTORY / roster_template.XLSX_NAME)
    report = run_cli("import", template, database_url=url)
    assert "3 rows accepted" in report.stdout and "Nothing written" in report.stdout
    applied = run_cli("import", template, "--apply", database_url=url)
    assert "Imported: 3 new units, 0 updated; 7 invitation links made." in applied.stdout
    assert "Nothing to change." in run_cli("import", template, database_url=url).stdout
    refused = run_cli("demo", database_url=url)
    assert refused.returncode == 1 and "already holds real member units" in refused.stderr
