"""Joining the center: the door checks, submission, and the secretariat's review (art. 10–11)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charter.membership import DoorRefusal, door_refusal
from bot.clock import local_date
from bot.errors import DomainError
from bot.i18n import N_
from storage import applications, audit, people, units
from storage.models import Application, ApplicationStatus, Person, Role, Unit, UnitStatus

DOOR_MESSAGES = {
    DoorRefusal.ALREADY_MEMBER: N_(
        "A unit with this credit code is already a member of the center."
    ),
    DoorRefusal.PENDING: N_(
        "An application for this credit code is already being reviewed by the secretariat."
    ),
    DoorRefusal.MAY_NOT_REJOIN: N_(
        "Under article 16(6) of the charter, a unit that has left the center may not apply "
        "again. Please contact the secretariat if you believe this is a mistake."
    ),
}
ONE_OPEN = N_(
    "You already have an application under review. You may file another once the "
    "secretariat has decided it."
)
FILED_AT_ONCE = N_("An application from you or for this credit code is already under review.")


async def check_door(session: AsyncSession, code: str) -> None:
    """Refuses a credit code that is a member, pending, or may not rejoin (art. 11, 16(6))."""
    unit = await units.by_credit_code(session, code)
    pending = await applications.open_for_code(session, code) is not None
    refusal = door_refusal(unit.status if unit else None, pending)
    if refusal is not None:
        raise DomainError(DOOR_MESSAGES[refusal])


async def check_applicant(session: AsyncSession, applicant: Person) -> None:
    """One open application per person: one guest filed application after application, each
    with a sealed form of megabytes (issue 17)."""
    if await applications.open_of(session, applicant.id) is not None:
        raise DomainError(ONE_OPEN)


async def save_draft(
    session: AsyncSession,
    applicant: Person,
    answers: dict[str, Any],
    form: tuple[str, bytes],
    now: datetime,
) -> Application:
    """Keeps the answers with the uploaded sealed form until the applicant confirms."""
    await check_applicant(session, applicant)  # before the upload is stored
    draft = await applications.draft_of(session, applicant.id)
    if draft is None:
        draft = Application(applicant_id=applicant.id, status=ApplicationStatus.DRAFT)
        session.add(draft)
    for field in ("unit_name", "credit_code", "unit_type", "sub_sectors", "region"):
        setattr(draft, field, answers[field])
    for field in ("contact_name", "phone", "email"):
        setattr(draft, field, answers[field])
    draft.form_name, draft.form_content, draft.submitted_at = form[0], form[1], now
    draft.reason, draft.exchange = "", []
    await session.flush()
    return draft


async def submit(session: AsyncSession, applicant: Person, now: datetime) -> Application:
    """Turns the applicant's draft into a pending application for the secretariat."""
    draft = await applications.draft_of(session, applicant.id)
    if draft is None:
        raise DomainError(N_("There is no application to submit. Send /join to start one."))
    await check_applicant(session, applicant)
    await check_door(session, draft.credit_code)
    draft.status, draft.submitted_at = ApplicationStatus.PENDING, now
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:  # the database's unique indexes: filed at the same moment
        raise DomainError(FILED_AT_ONCE) from error
    await audit.record(session, now, applicant.id, "application.submit", f"application:{draft.id}")
    return draft


async def discard_draft(session: AsyncSession, applicant: Person) -> None:
    draft = await applications.draft_of(session, applicant.id)
    if draft is not None:
        await session.delete(draft)


async def open_application(
    session: AsyncSession, application_id: int, *states: ApplicationStatus
) -> Application:
    """Loads an application that is still in one of `states`, or refuses (stale buttons)."""
    application = await applications.get(session, application_id)
    if application is None or application.status not in (states or (ApplicationStatus.PENDING,)):
        raise DomainError(N_("This application has already been dealt with."))
    return application


@dataclass(frozen=True)
class Approval:
    unit: Unit
    applicant: Person


async def approve(
    session: AsyncSession, application_id: int, actor_id: int, now: datetime, zone: tzinfo
) -> Approval:
    """Art. 11(3): the unit becomes a member, joining on the center's date; the applicant
    becomes its main contact."""
    application = await open_application(session, application_id)
    applicant = await session.get(Person, application.applicant_id)
    assert applicant is not None
    if await units.of_person(session, applicant.id) is not None:
        raise DomainError(N_("The applicant is already the contact person of another unit."))
    unit = await units.by_credit_code(session, application.credit_code)
    if unit is not None:
        raise DomainError(
            DOOR_MESSAGES[door_refusal(unit.status, False) or DoorRefusal.ALREADY_MEMBER]
        )
    unit = Unit(
        name=application.unit_name,
        credit_code=application.credit_code,
        status=UnitStatus.MEMBER,
        created_at=now,
        unit_type=application.unit_type,
        sub_sectors=list(application.sub_sectors),
        region=application.region,
        joined_on=local_date(now, zone),
    )
    session.add(unit)
    await session.flush()
    await units.add_contact(
        session,
        unit.id,
        applicant.id,
        application.contact_name,
        now,
        phone=application.phone,
        email=application.email,
        is_main=True,
    )
    await people.grant(session, applicant.id, Role.CONTACT, actor_id, now)
    _decide(application, ApplicationStatus.APPROVED, actor_id, now)
    await audit.record(
        session,
        now,
        actor_id,
        "application.approve",
        f"unit:{unit.id}",
        application=application.id,
    )
    return Approval(unit, applicant)


async def reject(
    session: AsyncSession, application_id: int, actor_id: int, reason: str, now: datetime
) -> Application:
    application = await open_application(session, application_id)
    _decide(application, ApplicationStatus.REJECTED, actor_id, now)
    application.reason = reason
    await audit.record(
        session,
        now,
        actor_id,
        "application.reject",
        f"application:{application.id}",
        reason=reason,
    )
    return application


async def request_info(
    session: AsyncSession, application_id: int, actor_id: int, question: str, now: datetime
) -> Application:
    """The secretariat asks the applicant for more; the application leaves the queue meanwhile."""
    application = await open_application(session, application_id)
    application.status = ApplicationStatus.INFO_REQUESTED
    application.exchange = [*application.exchange, {"from": "secretariat", "text": question}]
    await audit.record(session, now, actor_id, "application.ask", f"application:{application.id}")
    return application


async def answer_info(
    session: AsyncSession, application_id: int, applicant: Person, answer: str, now: datetime
) -> Application:
    """The applicant's answer; the application returns to the queue."""
    application = await open_application(session, application_id, ApplicationStatus.INFO_REQUESTED)
    if application.applicant_id != applicant.id:
        raise DomainError(N_("This application has already been dealt with."))
    application.status = ApplicationStatus.PENDING
    application.exchange = [*application.exchange, {"from": "applicant", "text": answer}]
    await audit.record(
        session, now, applicant.id, "application.answer", f"application:{application.id}"
    )
    return application


def _decide(
    application: Application, status: ApplicationStatus, actor_id: int, now: datetime
) -> None:
    application.status, application.decided_by, application.decided_at = status, actor_id, now


async def purge_forms(session: AsyncSession, now: datetime, retention: timedelta) -> int:
    """Deletes the sealed forms of applications rejected more than `retention` ago (PIPL
    art. 19: kept no longer than needed); each application's row and audit stay."""
    purged = await applications.purge_forms(session, now - retention)
    for application_id in purged:
        await audit.record(
            session, now, None, "application.form_purge", f"application:{application_id}"
        )
    return len(purged)
