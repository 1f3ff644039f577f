"""Documents, their versions and files, and the access log (art. 14(4)). Nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.documents_models import Document, DocumentDelivery, DocumentVersion
from storage.models import Person


async def get(session: AsyncSession, document_id: int) -> Document | None:
    return await session.get(Document, document_id)


async def everything(session: AsyncSession) -> Sequence[Document]:
    """Every document, newest first (the newest version's upload)."""
    query = select(Document).order_by(Document.updated_at.desc(), Document.id.desc())
    return (await session.scalars(query)).all()


async def add(session: AsyncSession, document: Document, version: DocumentVersion) -> Document:
    """Stores a new document with its first version."""
    session.add(document)
    await session.flush()
    version.document_id, version.number = document.id, 1
    session.add(version)
    await session.flush()
    return document


async def add_version(
    session: AsyncSession, document: Document, version: DocumentVersion
) -> DocumentVersion:
    """Stores the next version; it replaces the current one for future requests."""
    version.document_id, version.number = document.id, document.current_version + 1
    session.add(version)
    await session.flush()
    document.current_version, document.updated_at = version.number, version.uploaded_at
    return version


async def current_version(session: AsyncSession, document: Document) -> DocumentVersion:
    query = select(DocumentVersion).where(
        DocumentVersion.document_id == document.id,
        DocumentVersion.number == document.current_version,
    )
    return (await session.scalars(query)).one()


async def versions_of(session: AsyncSession, document_id: int) -> Sequence[DocumentVersion]:
    query = (
        select(DocumentVersion)
        .where(DocumentVersion.document_id == document_id)
        .order_by(DocumentVersion.number)
    )
    return (await session.scalars(query)).all()


async def content_of(session: AsyncSession, version_id: int) -> bytes:
    """The file's bytes, loaded only when it is about to be sent."""
    query = select(DocumentVersion.content).where(DocumentVersion.id == version_id)
    return bytes((await session.execute(query)).scalar_one())


async def log(session: AsyncSession, entry: DocumentDelivery) -> DocumentDelivery:
    session.add(entry)
    await session.flush()
    return entry


async def log_delivered(session: AsyncSession, fields: dict[str, Any], at: datetime) -> None:
    """The access log's line for a copy Telegram confirmed it delivered (`at`): written by
    the outbox once the send succeeded, never before (bot/delivery/confirmations.py)."""
    await log(session, DocumentDelivery(**fields, at=at, allowed=True))


async def trace_code_taken(session: AsyncSession, code: str) -> bool:
    query = select(DocumentDelivery.id).where(DocumentDelivery.trace_code == code)
    return (await session.scalar(query)) is not None


async def by_trace_code(
    session: AsyncSession, code: str
) -> tuple[DocumentDelivery, Document, DocumentVersion] | None:
    query = (
        select(DocumentDelivery, Document, DocumentVersion)
        .join(Document, Document.id == DocumentDelivery.document_id)
        .join(DocumentVersion, DocumentVersion.id == DocumentDelivery.version_id)
        .where(DocumentDelivery.trace_code == code)
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1], row[2]) if row else None


async def log_of(session: AsyncSession, document_id: int) -> Sequence[DocumentDelivery]:
    """The document's access log, newest first."""
    query = (
        select(DocumentDelivery)
        .where(DocumentDelivery.document_id == document_id)
        .order_by(DocumentDelivery.id.desc())
    )
    return (await session.scalars(query)).all()


async def version_numbers(session: AsyncSession, version_ids: Sequence[int]) -> dict[int, int]:
    query = select(DocumentVersion.id, DocumentVersion.number).where(
        DocumentVersion.id.in_(list(version_ids))
    )
    return {row[0]: row[1] for row in (await session.execute(query)).all()}


async def embargoes_due(session: AsyncSession, now: datetime) -> Sequence[Document]:
    """Drafts whose publication time has come and whose release was not yet announced."""
    query = (
        select(Document)
        .where(Document.embargo_until.is_not(None), Document.embargo_until <= now)
        .where(Document.released_at.is_(None))
        .order_by(Document.embargo_until, Document.id)
    )
    return (await session.scalars(query)).all()


async def claim_release(session: AsyncSession, document_id: int, now: datetime) -> bool:
    """Marks the release as announced; False when another instance got there first."""
    claimed = await session.execute(
        update(Document)
        .where(Document.id == document_id, Document.released_at.is_(None))
        .values(released_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


async def unattached_uploads(session: AsyncSession, uploader_id: int) -> Sequence[DocumentVersion]:
    """Files uploaded in a form not finished yet (not attached to a document)."""
    query = select(DocumentVersion).where(
        DocumentVersion.uploaded_by == uploader_id, DocumentVersion.document_id.is_(None)
    )
    return (await session.scalars(query)).all()


async def received_by(session: AsyncSession, document_id: int) -> Sequence[Person]:
    """The people who received some version of the document."""
    query = (
        select(Person)
        .where(
            Person.id.in_(
                select(DocumentDelivery.person_id).where(
                    DocumentDelivery.document_id == document_id, DocumentDelivery.allowed
                )
            )
        )
        .order_by(Person.id)
    )
    return (await session.scalars(query)).all()
