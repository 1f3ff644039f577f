"""Documents (art. 13(1), 14(4)): their versions with the file itself, and the access log.

The file's bytes are kept in the database (`DocumentVersion.content`), beside Telegram's file
id: one backup holds everything, several instances share it (DESIGN.md, Scale), and a row
never outlives or loses its file on a rolled-back upload. The column is deferred, so lists of
documents never load the files.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column

from storage.models import Base, _enum


class DocumentLevel(enum.StrEnum):
    """A document's audience (DESIGN.md, Documents); who is in it is decided by
    bot.charter.documents."""

    PUBLIC = "public"
    MEMBERS = "members"  # art. 13(1): the member units' free information
    LEADERSHIP = "leadership"  # the joint directors' meeting (art. 19)
    EXPERTS = "experts"  # the expert committee (art. 21)
    UNITS = "units"  # a named list of units


class Document(Base):
    """A document the secretariat published or put up for review; its file is in versions."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(24))
    level: Mapped[DocumentLevel] = mapped_column(_enum(DocumentLevel))
    unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # when level is `units`
    embargo_until: Mapped[datetime | None]  # a draft for `review_level` until then
    review_level: Mapped[DocumentLevel | None] = mapped_column(_enum(DocumentLevel))
    review_unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    released_at: Mapped[datetime | None]  # when the release was announced to the audience
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]  # the newest version's upload, for "newest first"


class DocumentVersion(Base):
    """One uploaded file of a document; a new version replaces it for future requests.

    A version without a document is an upload whose form is still being filled in.
    """

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(8))  # pdf, docx, png, ...: how it was recognised
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[str] = mapped_column(String(256), default="")  # Telegram's, for re-sending
    file_bot: Mapped[str] = mapped_column(String(32), default="")  # the bot that file id is for
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    uploaded_at: Mapped[datetime]


class DocumentDelivery(Base):
    """The access log (art. 14(4)): every delivery and every refusal, append-only.

    Names are copied as they were at the time, so the log still names who received a file
    after a contact or a unit changes; the trace code is printed on watermarked copies.
    """

    __tablename__ = "document_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    person_name: Mapped[str] = mapped_column(String(256), default="")
    unit_name: Mapped[str] = mapped_column(String(256), default="")
    at: Mapped[datetime]
    path: Mapped[str] = mapped_column(String(24))  # list, link, button:notice, ...
    allowed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(24))
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    watermarked: Mapped[bool] = mapped_column(Boolean, default=False)
    trace_code: Mapped[str | None] = mapped_column(String(16), unique=True)
