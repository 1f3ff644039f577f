"""Erasures of personal data (PIPL art. 47), and the append-only rows each one redacted.

The audit log and the document access log are append-only: their triggers refuse every
UPDATE and DELETE, with one narrow exception (migration 0005p). A row of either may have its
free-text columns rewritten (`audit_log.details`/`note`, `document_deliveries.person_name`),
every other column unchanged, only while an erasure is open (`finished_at` NULL) and has
recorded that very row in `privacy_redactions` beforehand. The erasure opens, records,
rewrites and closes in one transaction, and its audit entry is appended: every change to an
append-only log is itself on record, rows are never deleted, and their order, ids, times,
actors, actions and subjects stay as they were.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class Erasure(Base):
    """One data-subject request carried out: whose data, when, and what was touched."""

    __tablename__ = "privacy_erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)  # rows touched, per table


class Redaction(Base):
    """An append-only row an erasure rewrote, named before the rewrite (the trigger checks)."""

    __tablename__ = "privacy_redactions"
    __table_args__ = (UniqueConstraint("erasure_id", "log", "row_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    erasure_id: Mapped[int] = mapped_column(ForeignKey("privacy_erasures.id"))
    log: Mapped[str] = mapped_column(String(32))  # audit_log or document_deliveries
    row_id: Mapped[int] = mapped_column(Integer)


class Consent(Base):
    """A person's consent to the privacy notice (PIPL art. 14, 17): which version, when, for
    what. Kept after an erasure: it names nobody but the person's id, and proves the consent."""

    __tablename__ = "privacy_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))  # the form it was given for: "join"
    notice_version: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]


class ErasureRequest(Base):
    """A person's own request to erase their data (PIPL art. 47), until the secretariat
    confirms (`erasure_id` set) or declines it."""

    __tablename__ = "privacy_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    outcome: Mapped[str | None] = mapped_column(String(16))  # erased or declined
    erasure_id: Mapped[int | None] = mapped_column(ForeignKey("privacy_erasures.id"))
