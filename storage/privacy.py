"""What the bot holds about one person, row by row; erasures and their redactions."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, inspect, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from storage.documents_models import DocumentDelivery
from storage.events_models import EventSignup
from storage.inbox_models import InboundUpdate
from storage.meetings_models import Attendance, Motion, Seat, Vote
from storage.models import (
    Application,
    AuditEntry,
    Base,
    Contact,
    Conversation,
    DeliveryBatch,
    OutboxMessage,
    Person,
    Reminder,
    RoleGrant,
    UnreachableChat,
)
from storage.onboarding_models import Invitation
from storage.privacy_models import Consent, Erasure, ErasureRequest, Redaction


def plain(row: Base, leave_out: Sequence[str] = ()) -> dict[str, Any]:
    """A row's columns as JSON-ready values; bytes are given as their length."""
    values: dict[str, Any] = {}
    for column in inspect(type(row)).columns:
        if column.key in leave_out:
            continue
        value = getattr(row, column.key)
        if isinstance(value, bytes):
            value = {"bytes": len(value)}
        elif isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, enum.Enum):
            value = value.value
        values[column.key] = value
    return values


async def _all(session: AsyncSession, query: Any) -> list[Any]:
    return list((await session.scalars(query)).all())


async def contacts(session: AsyncSession, person_id: int) -> list[Contact]:
    return await _all(session, select(Contact).where(Contact.person_id == person_id))


async def role_grants(session: AsyncSession, person_id: int) -> list[RoleGrant]:
    return await _all(session, select(RoleGrant).where(RoleGrant.person_id == person_id))


async def applications(session: AsyncSession, person_id: int) -> list[Application]:
    query = select(Application).where(Application.applicant_id == person_id)
    query = query.options(undefer(Application.form_content))  # exported as its size
    return await _all(session, query.order_by(Application.id))


async def signups(session: AsyncSession, person_id: int) -> list[EventSignup]:
    return await _all(session, select(EventSignup).where(EventSignup.person_id == person_id))


async def seats(session: AsyncSession, person_id: int) -> list[Seat]:
    return await _all(session, select(Seat).where(Seat.person_id == person_id))


async def attendance(session: AsyncSession, person_id: int, seat_ids: list[int]) -> list[Any]:
    """Rows of the person's seats, and rows where they stood in as the representative."""
    query = select(Attendance).where(
        or_(Attendance.representative_id == person_id, Attendance.seat_id.in_(seat_ids))
    )
    return await _all(session, query.order_by(Attendance.id))


async def open_votes(session: AsyncSession, person_id: int) -> list[Vote]:
    """The person's votes; a secret ballot's row holds no choice (storage/meetings_models)."""
    return await _all(session, select(Vote).where(Vote.person_id == person_id).order_by(Vote.id))


async def meetings_of_motions(session: AsyncSession, motion_ids: Sequence[int]) -> set[int]:
    if not motion_ids:
        return set()
    query = select(Motion.meeting_id).where(Motion.id.in_(motion_ids))
    return set((await session.scalars(query)).all())


async def deliveries(session: AsyncSession, person_id: int) -> list[DocumentDelivery]:
    query = select(DocumentDelivery).where(DocumentDelivery.person_id == person_id)
    return await _all(session, query.order_by(DocumentDelivery.id))


async def outbox_to(session: AsyncSession, chat_id: int) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.chat_id == chat_id)
    return await _all(session, query.order_by(OutboxMessage.id))


async def outbox_mentioning(session: AsyncSession, strings: Sequence[str]) -> list[OutboxMessage]:
    """Messages to anyone whose text contains one of `strings` (case-insensitive on SQLite,
    so the caller replaces what is really there)."""
    if not strings:
        return []
    query = select(OutboxMessage).where(
        or_(*(OutboxMessage.text.contains(s, autoescape=True) for s in strings))
    )
    return await _all(session, query)


async def reminders(session: AsyncSession, person: Person) -> list[Reminder]:
    query = select(Reminder).where(
        or_(Reminder.person_id == person.id, Reminder.chat_id == person.chat_id)
    )
    return await _all(session, query.order_by(Reminder.id))


async def conversation(session: AsyncSession, person_id: int) -> Conversation | None:
    return await session.get(Conversation, person_id)


async def invitations(session: AsyncSession, person_id: int, contact_ids: list[int]) -> list[Any]:
    query = select(Invitation).where(
        or_(Invitation.used_by == person_id, Invitation.contact_id.in_(contact_ids))
    )
    return await _all(session, query)


async def audit_entries(session: AsyncSession) -> list[AuditEntry]:
    """The whole log, oldest first: its JSON details are searched in Python, because a JSON
    column's stored text escapes non-ASCII names on some backends."""
    return await _all(session, select(AuditEntry).order_by(AuditEntry.id))


async def forget_chat(session: AsyncSession, chat_id: int, pseudonym_chat: int) -> None:
    """The chat id is an identifier too: messages, batches and blocks move to the pseudonym;
    updates still on their way in (which hold the raw Telegram user) are dropped."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id)
        .values(chat_id=pseudonym_chat)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(DeliveryBatch)
        .where(DeliveryBatch.starter_chat_id == chat_id)
        .values(starter_chat_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(delete(UnreachableChat).where(UnreachableChat.chat_id == chat_id))
    await session.execute(delete(InboundUpdate).where(InboundUpdate.chat_id == chat_id))


async def open_erasure(
    session: AsyncSession, person_id: int, actor_id: int | None, now: datetime
) -> Erasure:
    erasure = Erasure(person_id=person_id, actor_id=actor_id, at=now, summary={})
    session.add(erasure)
    await session.flush()
    return erasure


async def redact(
    session: AsyncSession, erasure: Erasure, row: AuditEntry | DocumentDelivery
) -> None:
    """Names an append-only row before it is rewritten: the only way its trigger lets it be."""
    session.add(Redaction(erasure_id=erasure.id, log=row.__tablename__, row_id=row.id))
    await session.flush()


async def close_erasure(
    session: AsyncSession, erasure: Erasure, summary: dict[str, int], now: datetime
) -> None:
    await session.flush()  # the rewrites go while the erasure is still open
    erasure.finished_at, erasure.summary = now, summary
    await session.flush()


async def erasures_of(session: AsyncSession, person_id: int) -> list[Erasure]:
    return await _all(session, select(Erasure).where(Erasure.person_id == person_id))


async def add_consent(
    session: AsyncSession, person_id: int, purpose: str, version: str, now: datetime
) -> Consent:
    consent = Consent(person_id=person_id, purpose=purpose, notice_version=version, at=now)
    session.add(consent)
    await session.flush()
    return consent


async def consents(session: AsyncSession, person_id: int) -> list[Consent]:
    query = select(Consent).where(Consent.person_id == person_id).order_by(Consent.id)
    return await _all(session, query)


async def add_request(session: AsyncSession, person_id: int, now: datetime) -> ErasureRequest:
    request = ErasureRequest(person_id=person_id, requested_at=now)
    session.add(request)
    await session.flush()
    return request


async def open_request(session: AsyncSession, person_id: int) -> ErasureRequest | None:
    query = select(ErasureRequest).where(
        ErasureRequest.person_id == person_id, ErasureRequest.decided_at.is_(None)
    )
    return await session.scalar(query.order_by(ErasureRequest.id).limit(1))


async def request(session: AsyncSession, request_id: int) -> ErasureRequest | None:
    """The request, locked against a second secretariat account deciding it at once."""
    query = select(ErasureRequest).where(ErasureRequest.id == request_id).with_for_update()
    return await session.scalar(query)


async def requests_of(session: AsyncSession, person_id: int) -> list[ErasureRequest]:
    query = select(ErasureRequest).where(ErasureRequest.person_id == person_id)
    return await _all(session, query.order_by(ErasureRequest.id))
