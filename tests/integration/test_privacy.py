"""Personal data (PIPL): who sees a contact's phone and e-mail, `export-person` and
`erase-person` on the command line, and the append-only logs' one narrow exception."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, func, select, text
from sqlalchemy.exc import DBAPIError

from bot.app import App
from bot.charter.privacy import Viewer
from bot.services import privacy, roster
from storage import audit, units
from storage.documents_models import Document, DocumentDelivery, DocumentLevel, DocumentVersion
from storage.events_models import Event, EventSignup, SignupStatus
from storage.meetings_models import (
    Attendance,
    BallotKind,
    Choice,
    Meeting,
    MeetingStatus,
    Motion,
    MotionKind,
    MotionStatus,
    Seat,
    Vote,
)
from storage.models import (
    AuditEntry,
    Base,
    OutboxMessage,
    Participation,
    Person,
    Role,
    UnitStatus,
)
from storage.privacy_models import Erasure, Redaction
from tests.conftest import ADMIN_ID, MakeApp
from tests.integration.test_join import APPLICANT, fill_form
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import PDF, credit_code, make_unit

ROOT = Path(__file__).resolve().parents[2]
NAME = "Zhang Sanfeng"  # the Telegram display name
CONTACT_NAME, PHONE, EMAIL = "张三", "13800138000", "zhang@example.cn"  # fill_form's answers
CORRECTION = f"请把联系人 {CONTACT_NAME} 的电话 {PHONE} 改为邮箱 {EMAIL} 联系"
TRACES = (NAME, CONTACT_NAME, PHONE, EMAIL)
BACKUP = 5002


async def member_with_history(app: App, clock: FakeClock) -> tuple[ChatClient, int]:
    """The applicant's unit joins through chat; then the person signs up, votes, receives a
    document, and asks for a correction that quotes their phone and e-mail."""
    applicant, admin = ChatClient(app, APPLICANT, name=NAME), ChatClient(app, ADMIN_ID)
    await fill_form(applicant, credit_code(1))
    await applicant.press("Submit")
    await admin.send("/review")
    await admin.press("Approve")
    await applicant.send("/profile")
    await applicant.press("Request a correction")
    await applicant.send(CORRECTION)
    async with app.sessions() as session, session.begin():
        unit = await units.by_credit_code(session, credit_code(1))
        assert unit is not None
        person_id = (await units.contacts_of(session, unit.id))[0].person_id
        assert person_id is not None
        await _history(session, clock, unit.id, person_id)
    return applicant, unit.id


async def _history(session: Any, clock: FakeClock, unit_id: int, person_id: int) -> None:
    now = clock.now()
    event = Event(
        title="年会", starts_at=now + timedelta(days=9), ends_at=now + timedelta(days=10),
        timezone="Asia/Shanghai", place="包头", created_at=now,
    )  # fmt: skip
    meeting = Meeting(starts_at=now, place="北京", status=MeetingStatus.ENDED, created_at=now)
    document = Document(
        title="章程", category="charter", level=DocumentLevel.MEMBERS, created_at=now,
        updated_at=now,
    )  # fmt: skip
    session.add_all([event, meeting, document])
    await session.flush()
    seat = Seat(unit_id=unit_id, person_id=person_id, name=NAME, since=now)
    motion = Motion(
        meeting_id=meeting.id, position=1, title="预算", text="2025 预算",
        kind=MotionKind.RESOLUTION, ballot=BallotKind.OPEN, status=MotionStatus.CLOSED,
    )  # fmt: skip
    version = DocumentVersion(
        document_id=document.id, number=1, file_name="c.pdf", kind="pdf", size=len(PDF),
        sha256="0" * 64, content=PDF, uploaded_at=now,
    )  # fmt: skip
    session.add_all([seat, motion, version])
    await session.flush()
    session.add_all(
        [
            EventSignup(
                event_id=event.id, person_id=person_id, unit_id=unit_id,
                status=SignupStatus.CONFIRMED, queued_at=now,
            ),
            Vote(
                motion_id=motion.id, seat_id=seat.id, person_id=person_id, choice=Choice.FOR,
                cast_at=now,
            ),
            Attendance(meeting_id=meeting.id, seat_id=seat.id, leave_reason=f"{NAME} 出差"),
            DocumentDelivery(
                document_id=document.id, version_id=version.id, person_id=person_id,
                unit_id=unit_id, person_name=NAME, unit_name="有色金属示范企业", at=now,
                path="list", allowed=True, reason="audience",
            ),
            Participation(unit_id=unit_id, kind="attendance", on=now.date()),
        ]
    )  # fmt: skip
    minutes = {"seats": [{"holder": NAME, "presence": "present"}], "votes": [{"voter": NAME}]}
    await audit.record(session, now, None, "meeting.minutes", f"meeting:{meeting.id}", **minutes)


async def run_cli(database_url: str, *args: str, stdin: bytes = b"") -> tuple[int, str]:
    """`python -m bot ARGS` on the test database; its exit code and output."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT / "tests", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**env, "DATABASE_URL": database_url},
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(stdin), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def every_text(app: App) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text and JSON value in the database."""
    found = []
    async with app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in (await session.execute(select(*columns))).all():
                for column, value in zip(columns, row, strict=True):
                    value = json.dumps(value, ensure_ascii=False) if value is not None else ""
                    found.append((table.name, column.name, value))
    return found


async def snapshot(app: App) -> dict[str, Any]:
    async with app.sessions() as session:
        entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
        counts = {
            model.__tablename__: await session.scalar(select(func.count()).select_from(model))
            for model in (Vote, EventSignup, Participation, Attendance, DocumentDelivery, Seat)
        }
        return {
            "audit": [(e.id, e.at, e.actor_id, e.action, e.subject) for e in entries],
            "counts": counts,
        }


async def test_export_then_erase_leaves_no_trace(
    make_app: MakeApp, clock: FakeClock, database_url: str, tmp_path: Path
) -> None:
    app = await make_app()
    _, unit_id = await member_with_history(app, clock)
    assert any(PHONE in value for _, _, value in await every_text(app))
    out = tmp_path / "export.json"

    code, said = await run_cli(database_url, "export-person", str(APPLICANT), "--out", str(out))
    assert code == 0, said
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["person"]["telegram_id"] == APPLICANT
    assert exported["contacts"][0]["phone"] == PHONE
    assert exported["contacts"][0]["unit_name"] == "有色金属示范企业"
    assert [g["role"] for g in exported["role_grants"]] == ["contact"]
    assert exported["applications"][0]["email"] == EMAIL
    assert exported["applications"][0]["form_content"] == {"bytes": len(PDF)}
    assert len(exported["event_signups"]) == len(exported["votes"]) == 1
    assert exported["votes"][0]["choice"] == "for"
    assert exported["document_deliveries"][0]["person_name"] == NAME
    actions = {e["action"] for e in exported["audit_log"]}
    assert {"application.submit", "unit.correction", "meeting.minutes"} <= actions
    assert any("is now a member" in m["text"] for m in exported["messages_to_them"])

    before = await snapshot(app)
    code, said = await run_cli(database_url, "erase-person", str(APPLICANT), "--yes")
    assert code == 0, said
    assert "erased the personal data of person" in said
    assert f"unit {unit_id}" in said and "has no contact now" in said

    leaks = [(t, c) for t, c, v in await every_text(app) if any(s in v for s in TRACES)]
    assert leaks == []
    after = await snapshot(app)
    assert after["counts"] == before["counts"]
    assert after["audit"][: len(before["audit"])] == before["audit"]  # same rows, same order
    assert [a[3] for a in after["audit"][len(before["audit"]) :]] == ["person.erase"]
    async with app.sessions() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == -Person.id))
        assert person is not None and person.display_name == f"erased#{person.id}"
        contact = (await units.contacts_of(session, unit_id))[0]  # art. 14(8): kept, blank
        assert (contact.person_id, contact.phone, contact.email) == (None, "", "")
        erasure = await session.scalar(select(Erasure))
        assert erasure is not None and erasure.finished_at is not None
        redacted = await session.scalars(select(Redaction.log).order_by(Redaction.id))
        assert set(redacted) == {"audit_log", "document_deliveries"}
        told = await session.scalars(
            select(OutboxMessage.text).where(OutboxMessage.chat_id == ADMIN_ID)
        )
        assert any("art. 14(8)" in t or "第十四条" in t or "14(8)" in t for t in told)
    code, said = await run_cli(database_url, "export-person", str(APPLICANT))
    assert code == 1 and "No such person." in said  # the Telegram id is gone too


async def test_erase_asks_first(make_app: MakeApp, clock: FakeClock, database_url: str) -> None:
    app = await make_app()
    await member_with_history(app, clock)
    code, said = await run_cli(database_url, "erase-person", str(APPLICANT), stdin=b"no\n")
    assert code == 1 and "Type ERASE to confirm" in said and "nothing erased" in said
    assert any(PHONE in value for _, _, value in await every_text(app))
    code, said = await run_cli(database_url, "erase-person", "--person", "9999", "--yes")
    assert code == 1 and "No such person." in said


async def test_erasing_a_backup_contact_removes_it(make_app: MakeApp, clock: FakeClock) -> None:
    """Another contact remains, so the erased one's record goes and no one needs telling."""
    app = await make_app()
    async with app.sessions() as session, session.begin():
        unit = await make_unit(session, clock.now(), 7, contact_telegram_id=APPLICANT)
        backup = Person(
            telegram_id=BACKUP, chat_id=BACKUP, display_name=NAME, created_at=clock.now()
        )
        session.add(backup)
        await session.flush()
        await units.add_contact(
            session, unit.id, backup.id, CONTACT_NAME, clock.now(), phone=PHONE, email=EMAIL
        )
    async with app.sessions() as session, session.begin():
        person = await privacy.find_person(session, BACKUP)
        done = await privacy.erase_person(session, person, None, clock.now(), app.catalogs)
        assert done.units_without_contact == []
    async with app.sessions() as session:
        left = await units.contacts_of(session, unit.id)
        assert [(c.name, c.is_main) for c in left] == [(f"联系人 {7}", True)]
        assert not (await session.scalars(select(OutboxMessage))).all()


async def test_the_logs_stay_append_only_outside_an_erasure(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    async with app.sessions() as session, session.begin():
        unit = await make_unit(session, clock.now(), 8, contact_telegram_id=APPLICANT)
        own = (await units.contacts_of(session, unit.id))[0].person_id  # an entry of theirs
        await audit.record(session, clock.now(), own, "test.action", "unit:1", quoted=PHONE)
    forged = "UPDATE audit_log SET details = '{}'"
    with pytest.raises(DBAPIError, match="append-only"):
        async with app.sessions() as session, session.begin():
            await session.execute(text(forged))
    async with app.sessions() as session, session.begin():  # an erasure, closed
        person = await privacy.find_person(session, APPLICANT)
        await privacy.erase_person(session, person, None, clock.now(), app.catalogs)
    for statement in (forged, "DELETE FROM audit_log", "DELETE FROM privacy_redactions"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with app.sessions() as session, session.begin():
                await session.execute(text(statement))
    with pytest.raises(DBAPIError, match="append-only"):  # an open erasure: details only
        async with app.sessions() as session, session.begin():
            erasure = Erasure(person_id=1, at=clock.now(), summary={})
            session.add(erasure)
            await session.flush()
            entry = (await audit.recent(session, 1))[0]
            session.add(Redaction(erasure_id=erasure.id, log="audit_log", row_id=entry.id))
            await session.flush()
            await session.execute(text(f"UPDATE audit_log SET action = 'x' WHERE id = {entry.id}"))


async def test_contact_details_follow_the_one_rule(make_app: MakeApp, clock: FakeClock) -> None:
    """Secretariat: every unit; a contact: their own unit only; anyone else: none."""
    app = await make_app()
    async with app.sessions() as session, session.begin():
        own_unit = await make_unit(session, clock.now(), 3, contact_telegram_id=APPLICANT)
        await make_unit(session, clock.now(), 4, contact_telegram_id=BACKUP)
    admin, own = ChatClient(app, ADMIN_ID), ChatClient(app, APPLICANT)
    await admin.send(f"/roster {credit_code(3)}")
    await admin.press("测试单位 3")
    assert "c3@example.cn" in admin.text and PHONE in admin.text
    await own.send("/profile")
    assert "c3@example.cn" in own.text and "c4@example.cn" not in own.text
    everyone = {"c3@example.cn", "c4@example.cn"}
    async with app.sessions() as session:
        found = await roster.find(session, roster.RosterQuery(status=UnitStatus.MEMBER))
        t = app.catalogs.for_person("en", None)
        for roles, viewer_unit, sees in (
            ({Role.SECRETARIAT}, None, everyone),
            ({Role.LEADERSHIP}, None, set()),
            ({Role.EXPERT}, None, set()),
            ({Role.CONTACT}, own_unit.id, {"c3@example.cn"}),
        ):
            table = await roster.rows(session, found, t, Viewer(1, frozenset(roles), viewer_unit))
            assert {e for row in table for e in everyone if e in row[-1]} == sees, roles
            assert all(row[-1].startswith("联系人") for row in table)  # names stay


async def test_erasure_rewrites_only_what_is_tied_to_the_person(
    make_app: MakeApp, clock: FakeClock
) -> None:
    """A guest whose display name is another unit's name: erasing them leaves that unit's
    audit entry and the secretariat's message about it as they were, and their export
    does not claim them."""
    app = await make_app()
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), 3, contact_telegram_id=BACKUP)
    contact, guest = ChatClient(app, BACKUP), ChatClient(app, APPLICANT, name="测试单位")
    await contact.send("/profile")
    await contact.press("Request a correction")
    await contact.send("测试单位 3 的地址改为包头")
    await guest.send("/start")
    async with app.sessions() as session:
        (entry,) = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "unit.correction")
        )
        kept = (entry.id, entry.details, entry.note)
        messages = await session.scalars(select(OutboxMessage.text).order_by(OutboxMessage.id))
        told = list(messages)
        assert any("测试单位 3 的地址改为包头" in t for t in told)
        person = await privacy.find_person(session, APPLICANT)
        exported = await privacy.export_person(session, person)
        assert [e["action"] for e in exported["audit_log"]] == []
    async with app.sessions() as session, session.begin():
        person = await privacy.find_person(session, APPLICANT)
        done = await privacy.erase_person(session, person, None, clock.now(), app.catalogs)
        assert done.summary["audit_log"] == 0
    async with app.sessions() as session:
        entry = await session.get(AuditEntry, kept[0])
        assert entry is not None and (entry.id, entry.details, entry.note) == kept
        messages = await session.scalars(select(OutboxMessage.text).order_by(OutboxMessage.id))
        assert list(messages) == told
        assert not (await session.scalars(select(Redaction))).all()
