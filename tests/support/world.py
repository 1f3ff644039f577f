"""A small, complete center for the hardening tests: units of every status, people of every
role, an event, a document per access level, a pending application, a filed project, and a
joint meeting under way with an open motion and checked-in seats.

Built through the services and the dispatch, as the integration tests build each piece.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from hashlib import sha256
from zoneinfo import ZoneInfo

from pypdf import PdfWriter

from bot.app import App
from bot.charter.events import EventFields
from bot.services import applications, events, meetings, projects, seats
from storage import documents as stored_documents
from storage import people
from storage.documents_models import Document, DocumentLevel, DocumentVersion
from storage.meetings_models import BallotKind, MotionKind
from storage.models import Role, UnitStatus, UnitTier
from tests.conftest import ADMIN_ID
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import credit_code, make_unit

ZONE = ZoneInfo("Asia/Shanghai")


def blank_pdf() -> bytes:
    """A one-page PDF that the watermark can stamp, as an upload would have been checked."""
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = blank_pdf()

GUEST = 6001
APPLICANT = 6002  # a guest with an application pending
EXPERT = 6101
# One unit per status, each with a main contact still bound (Telegram id 7000 + serial).
STATUS_SERIALS = {
    UnitStatus.MEMBER: 1,
    UnitStatus.SUSPENDED: 2,
    UnitStatus.WITHDRAWING: 3,
    UnitStatus.WITHDRAWN: 4,
    UnitStatus.EXPELLED: 5,
    UnitStatus.APPLICANT: 6,
}
DIRECTOR_SERIAL, DEPUTY_SERIAL = 10, 11
HOLDERS = (8101, 8102, 8111)  # two seats for the director unit, one for the deputy
# A deputy-director unit per status, seated while a member, then given its status with its
# seat left active (as the contacts above stay bound): access must follow the unit's standing
# at the moment of use, not the seat's row (art. 15, 16(5)). The withdrawing one is checked in.
SEATED_STATUS_SERIALS = {
    UnitStatus.SUSPENDED: 12,
    UnitStatus.WITHDRAWING: 13,
    UnitStatus.WITHDRAWN: 14,
    UnitStatus.EXPELLED: 15,
}


def contact_of(serial: int) -> int:
    return 7000 + serial


def holder_of(serial: int) -> int:
    """The seat holder of a unit of SEATED_STATUS_SERIALS."""
    return 8100 + serial * 10


@dataclass
class World:
    """Ids of what was built, for tests to press buttons and check rows."""

    app: App
    unit_ids: dict[int, int] = field(default_factory=dict)  # serial -> unit id
    document_ids: dict[str, int] = field(default_factory=dict)  # level (or "draft") -> id
    event_id: int = 0
    meeting_id: int = 0
    motion_ids: list[int] = field(default_factory=list)  # [open ballot (open), secret (pending)]
    application_id: int = 0
    project_id: int = 0

    @property
    def contacts(self) -> dict[UnitStatus, int]:
        return {status: contact_of(serial) for status, serial in STATUS_SERIALS.items()}

    @property
    def seat_holders(self) -> dict[UnitStatus, int]:
        """Seat holders of a unit by its status (the member unit's is HOLDERS[0])."""
        return {status: holder_of(serial) for status, serial in SEATED_STATUS_SERIALS.items()}


async def build_world(app: App, clock: FakeClock) -> World:
    world = World(app)
    now = clock.now()
    async with app.sessions() as session, session.begin():
        for status, serial in STATUS_SERIALS.items():
            unit = await make_unit(
                session, now, serial, contact_telegram_id=contact_of(serial), status=status
            )
            world.unit_ids[serial] = unit.id
        for serial, tier in (
            (DIRECTOR_SERIAL, UnitTier.DIRECTOR),
            (DEPUTY_SERIAL, UnitTier.DEPUTY_DIRECTOR),
        ):
            unit = await make_unit(
                session, now, serial, contact_telegram_id=contact_of(serial), tier=tier
            )
            world.unit_ids[serial] = unit.id
        for telegram_id, serial in zip(
            HOLDERS, (DIRECTOR_SERIAL, DIRECTOR_SERIAL, DEPUTY_SERIAL), strict=True
        ):
            _seat, person = await seats.add_seat(
                session,
                world.unit_ids[serial],
                telegram_id,
                f"Holder {telegram_id}",
                None,
                now,
                ZONE,
            )
            person.language_code = "en"
        await _seated_statuses(session, world, now)
        expert = await people.ensure(session, EXPERT, EXPERT, now, "Expert", "en")
        await people.grant(session, expert.id, Role.EXPERT, None, now)
        await people.ensure(session, GUEST, GUEST, now, "Guest", "en")
        for who in (
            contact_of(s) for s in [*STATUS_SERIALS.values(), DIRECTOR_SERIAL, DEPUTY_SERIAL]
        ):
            (await people.by_telegram_id(session, who)).language_code = "en"
        world.document_ids = await _documents(session, now, world.unit_ids[1])
        world.application_id = await _application(session, now)
        project = await projects.file_project(
            session,
            world.unit_ids[1],
            (await people.by_telegram_id(session, contact_of(1))).id,
            {"title": "MES", "client": "Plant", "scope": "Line 3", "starts_on": "2027-01-10"},
            now,
            ZONE,
        )
        world.project_id = project.id
        admin = await people.by_telegram_id(session, ADMIN_ID)
        drafts = [
            meetings.MotionDraft("Work plan", "Adopt it.", MotionKind.RESOLUTION, BallotKind.OPEN),
            meetings.MotionDraft("Budget", "Adopt it.", MotionKind.RESOLUTION, BallotKind.SECRET),
        ]
        meeting = await meetings.schedule(
            session, now + timedelta(days=16), "Room 301", drafts, admin.id, now, ZONE
        )
        world.meeting_id = meeting.id
    # The meeting is under way: started, seats checked in, the first motion open.
    clock.advance(days=16)
    admin = ChatClient(app, ADMIN_ID)

    await admin.press_data(f"ms:start:{world.meeting_id}")
    assert admin.last.alert is None, admin.last.alert
    for holder in (*HOLDERS, holder_of(SEATED_STATUS_SERIALS[UnitStatus.WITHDRAWING])):
        client = ChatClient(app, holder)
        await client.press_data(f"mci:{world.meeting_id}")
        assert client.last.alert is None, client.last.alert
    async with app.sessions() as session:
        from storage import meetings as stored_meetings

        world.motion_ids = [m.id for m in await stored_meetings.motions_of(session, meeting.id)]
    await admin.press_data(f"ms:open:{world.motion_ids[0]}")
    assert admin.last.alert is None, admin.last.alert
    async with app.sessions() as session, session.begin():
        start = clock.now() + timedelta(days=6)
        fields = EventFields(
            title="研讨会",
            description="",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            place="北京",
            capacity=3,
            members_until=None,
            guests_allowed=True,
            per_unit=2,
        )
        world.event_id = (
            await events.create_event(session, fields, "Asia/Shanghai", None, clock.now())
        ).id
    return world


async def _seated_statuses(session, world: World, now) -> None:  # type: ignore[no-untyped-def]
    for status, serial in SEATED_STATUS_SERIALS.items():
        unit = await make_unit(session, now, serial, tier=UnitTier.DEPUTY_DIRECTOR)
        world.unit_ids[serial] = unit.id
        holder = holder_of(serial)
        _seat, person = await seats.add_seat(
            session, unit.id, holder, f"Holder {holder}", None, now, ZONE
        )
        person.language_code = "en"
        unit.status = status


async def _documents(session, now, named_unit_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    found = {}
    for level in DocumentLevel:
        found[level.value] = await _document(
            session, now, level, unit_ids=[named_unit_id] if level is DocumentLevel.UNITS else []
        )
    found["draft"] = await _document(
        session,
        now,
        DocumentLevel.MEMBERS,
        embargo_until=now + timedelta(days=365),
        review_level=DocumentLevel.EXPERTS,
    )
    return found


async def _document(session, now, level, **extra) -> int:  # type: ignore[no-untyped-def]
    document = Document(
        title=f"Doc {level.value}{' draft' if extra.get('embargo_until') else ''}",
        category="notice",
        level=level,
        created_at=now,
        updated_at=now,
        **extra,
    )
    version = DocumentVersion(
        number=1,
        file_name=f"{level.value}.pdf",
        kind="pdf",
        size=len(PDF),
        sha256=sha256(PDF).hexdigest(),
        content=PDF,
        uploaded_at=now,
    )
    return (await stored_documents.add(session, document, version)).id


async def _application(session, now) -> int:  # type: ignore[no-untyped-def]
    applicant = await people.ensure(session, APPLICANT, APPLICANT, now, "Applicant", "en")
    answers = {
        "unit_name": "申请单位",
        "credit_code": credit_code(99),
        "unit_type": "enterprise",
        "sub_sectors": ["smelting"],
        "region": "云南",
        "contact_name": "申请人",
        "phone": "13800138000",
        "email": "a@example.cn",
    }
    await applications.save_draft(session, applicant, answers, ("form.pdf", PDF), now)
    return (await applications.submit(session, applicant, now)).id


__all__ = ["World", "build_world"]
