"""Guest floods (issue 17): one guest filed application after application of ~9 MB each, and
/review loaded every sealed form. Now: one open application per person (service and
database), the sealed form loaded only when it is sent, and deleted after the retention
period once the application is rejected — the row and the audit stay."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError

from bot.app import App
from bot.errors import DomainError
from bot.reminders.jobs import run_job
from bot.reminders.sweep import ReminderRuntime
from bot.services import applications
from storage import migrate, people
from storage.db import create_engine
from storage.models import Application, ApplicationStatus, AuditEntry
from tests.conftest import ADMIN_ID, MakeApp
from tests.integration.test_join import fill_form
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import PDF, credit_code

APPLICANT, OTHER, THIRD = 5101, 5102, 5103
DUPLICATE = "Closed on upgrade: the applicant had an earlier application under review."
ONE_OPEN = (
    "You already have an application under review. You may file another once the "
    "secretariat has decided it."
)


async def submitted(app: App, telegram_id: int, serial: int) -> ChatClient:
    client = ChatClient(app, telegram_id)
    await fill_form(client, credit_code(serial))
    await client.press("Submit")
    assert "Submitted" in client.text, client.text
    return client


async def test_one_open_application_per_person(make_app: MakeApp) -> None:
    app = await make_app()
    applicant = await submitted(app, APPLICANT, 1)
    await applicant.send("/join")
    assert applicant.text == ONE_OPEN
    async with app.sessions() as session, session.begin():
        person = await people.by_telegram_id(session, APPLICANT)
        answers = {"unit_name": "另一单位", "credit_code": credit_code(2), "unit_type": "other"}
        answers |= {"sub_sectors": ["other"], "region": "北京", "contact_name": "张三"}
        answers |= {"phone": "13800138000", "email": "z@example.cn"}
        with pytest.raises(DomainError) as refused:  # not even the upload is kept
            await applications.save_draft(
                session, person, answers, ("f.pdf", PDF), app.clock.now()
            )
        assert refused.value.message == ONE_OPEN
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/review")
    await admin.press("Reject…")
    await admin.send("材料不全")
    await submitted(app, APPLICANT, 2)  # decided: they may apply again


async def test_the_database_allows_one_open_application_per_person_and_per_code(
    make_app: MakeApp,
) -> None:
    app = await make_app()
    await submitted(app, APPLICANT, 1)
    for applicant, serial in ((APPLICANT, 2), (OTHER, 1)):  # the same person; the same code
        with pytest.raises(IntegrityError):
            async with app.sessions() as session, session.begin():
                person = await people.ensure(session, applicant, applicant, app.clock.now())
                existing = (await session.scalars(select(Application))).one()
                session.add(
                    Application(
                        applicant_id=person.id,
                        status=ApplicationStatus.INFO_REQUESTED,
                        credit_code=credit_code(serial),
                        **{k: getattr(existing, k) for k in COPIED},
                        form_content=b"x",
                        submitted_at=app.clock.now(),
                    )
                )
    async with app.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Application)) == 1


COPIED = ("unit_name", "unit_type", "sub_sectors", "region", "contact_name", "phone", "email")
COPIED += ("form_name",)


async def test_review_loads_only_the_sealed_form_it_sends(make_app: MakeApp) -> None:
    app = await make_app()
    for telegram_id, serial in ((APPLICANT, 1), (OTHER, 2), (THIRD, 3)):
        await submitted(app, telegram_id, serial)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = app.sessions.kw["bind"].sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        admin = ChatClient(app, ADMIN_ID)
        await admin.send("/review")
        assert admin.replies[1].file is not None and admin.replies[1].file.content == PDF
        await admin.press("Next application")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    loading = [s for s in statements if "form_content" in s]
    assert len(loading) == 2, loading  # one sealed form per card shown, never the queue's
    assert all("WHERE applications.id =" in s for s in loading)


async def test_rejected_forms_are_deleted_after_the_retention_period(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app(application_retention_days=180)
    await submitted(app, APPLICANT, 1)
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/review")
    await admin.press("Reject…")
    await admin.send("材料不全")
    await submitted(app, OTHER, 2)  # pending: never purged, however old
    rt = ReminderRuntime(app.sessions, app.catalogs, clock, app.settings, {})

    async def forms() -> dict[ApplicationStatus, int]:
        async with app.sessions() as session:
            query = select(Application.status, func.length(Application.form_content))
            return {status: size for status, size in await session.execute(query)}

    clock.advance(days=179)
    await run_job(rt, "housekeeping")
    expected = {ApplicationStatus.REJECTED: len(PDF), ApplicationStatus.PENDING: len(PDF)}
    assert await forms() == expected
    clock.advance(days=2)
    await run_job(rt, "housekeeping")
    assert await forms() == {ApplicationStatus.REJECTED: 0, ApplicationStatus.PENDING: len(PDF)}
    async with app.sessions() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
        rejected = await session.scalar(
            select(Application).where(Application.status == ApplicationStatus.REJECTED)
        )
    assert rejected is not None and rejected.reason == "材料不全"  # the row stays
    assert {"application.submit", "application.reject", "application.form_purge"} <= set(actions)
    await run_job(rt, "housekeeping")  # nothing left to purge: no new audit entry
    async with app.sessions() as session:
        purges = select(func.count()).where(AuditEntry.action == "application.form_purge")
        assert await session.scalar(purges.select_from(AuditEntry)) == 1


async def test_upgrading_closes_a_flood_of_open_applications(
    make_app: MakeApp, database_url: str
) -> None:
    """A database that took the flood: the applicant's later open applications are closed as
    rejected, their oldest stays under review, and the index can then be built."""
    app = await make_app()
    await submitted(app, APPLICANT, 1)
    engine = create_engine(database_url)
    try:
        await migrate.downgrade(engine, "0007")
        columns = ", ".join(c.name for c in Application.__table__.columns if c.name != "id")
        async with engine.begin() as conn:
            for serial in (2, 3):  # the same applicant, another unit: what the flood left
                copied = columns.replace("credit_code", f"'{credit_code(serial)}'")
                select_first = f"SELECT {copied} FROM applications WHERE id = 1"
                await conn.execute(text(f"INSERT INTO applications ({columns}) {select_first}"))
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT status, reason FROM applications"))).all()
    finally:
        await engine.dispose()
    assert sorted(rows) == [("pending", ""), *[("rejected", DUPLICATE)] * 2]
