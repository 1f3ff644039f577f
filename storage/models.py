"""SQLAlchemy models: people, units, role grants, conversations, updates, audit log,
the delivery outbox and reminders."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class Role(enum.StrEnum):
    """The roles of DESIGN.md's user table; guest is implicit for everyone."""

    GUEST = "guest"
    CONTACT = "contact"
    SECRETARIAT = "secretariat"
    LEADERSHIP = "leadership"
    EXPERT = "expert"


class UnitStatus(enum.StrEnum):
    APPLICANT = "applicant"
    MEMBER = "member"
    SUSPENDED = "suspended"
    WITHDRAWING = "withdrawing"
    WITHDRAWN = "withdrawn"
    EXPELLED = "expelled"


class Person(Base):
    """A Telegram user known to the bot."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    display_name: Mapped[str] = mapped_column(String(256), default="")
    language_code: Mapped[str | None] = mapped_column(String(16))
    locale: Mapped[str | None] = mapped_column(String(16))  # the person's own /language choice
    created_at: Mapped[datetime]
    # A digest of the command menu last set for their chat, so that a restart sets only the
    # menus that changed (a center's worth of calls each time otherwise); None: unknown.
    menu_digest: Mapped[str | None] = mapped_column(String(32))


class UnitTier(enum.StrEnum):
    """Art. 12: member units, and the director and deputy-director units among them."""

    MEMBER = "member"
    DEPUTY_DIRECTOR = "deputy_director"
    DIRECTOR = "director"


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class Unit(Base):
    """A member unit (成员单位), art. 9: members are units, not persons."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    status: Mapped[UnitStatus] = mapped_column(_enum(UnitStatus))
    created_at: Mapped[datetime]
    unit_type: Mapped[str] = mapped_column(String(32), default="other")
    sub_sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    region: Mapped[str] = mapped_column(String(128), default="")
    tier: Mapped[UnitTier] = mapped_column(_enum(UnitTier), default=UnitTier.MEMBER)
    tier_since: Mapped[date | None] = mapped_column(Date)
    joined_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    inactivity_warned_on: Mapped[date | None] = mapped_column(Date)


class Contact(Base):
    """A unit's contact person (art. 14(8)): one main contact, optional backups."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index(
            "uq_contacts_one_main",
            "unit_id",
            unique=True,
            sqlite_where=text("is_main"),
            postgresql_where=text("is_main"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[datetime]


class ApplicationStatus(enum.StrEnum):
    DRAFT = "draft"  # the form is filled in and the file uploaded; not yet confirmed
    PENDING = "pending"
    INFO_REQUESTED = "info_requested"
    APPROVED = "approved"
    REJECTED = "rejected"


class Application(Base):
    """An application to join (art. 11): the form's answers and the sealed form itself."""

    __tablename__ = "applications"
    __table_args__ = (
        Index(
            "uq_applications_one_open",
            "credit_code",
            unique=True,
            sqlite_where=text("status IN ('pending', 'info_requested')"),
            postgresql_where=text("status IN ('pending', 'info_requested')"),
        ),
        Index(  # one open application per person too (issue 17: a guest's flood)
            "uq_applications_one_open_per_applicant",
            "applicant_id",
            unique=True,
            sqlite_where=text("status IN ('pending', 'info_requested')"),
            postgresql_where=text("status IN ('pending', 'info_requested')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    status: Mapped[ApplicationStatus] = mapped_column(_enum(ApplicationStatus))
    unit_name: Mapped[str] = mapped_column(String(256))
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    unit_type: Mapped[str] = mapped_column(String(32))
    sub_sectors: Mapped[list[str]] = mapped_column(JSON)
    region: Mapped[str] = mapped_column(String(128))
    contact_name: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254))
    form_name: Mapped[str] = mapped_column(String(256))
    form_file_id: Mapped[str] = mapped_column(String(256), default="")
    # Up to MAX_UPLOAD_BYTES: loaded only to send it (storage.applications.sealed_form).
    form_content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    submitted_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    exchange: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)


class DisciplineRecord(Base):
    """A measure under art. 15, with its reason; a suspension stays until lifted."""

    __tablename__ = "discipline_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    measure: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class Withdrawal(Base):
    """A departure under art. 16: by notice (30 days), inactivity, or licence revoked."""

    __tablename__ = "withdrawals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    cause: Mapped[str] = mapped_column(String(16))  # notice, inactivity, licence
    requested_at: Mapped[datetime]
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    effective_on: Mapped[date]
    taken_back_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class Participation(Base):
    """One act of participation (art. 16(2)): attendance, acknowledgement, vote, project."""

    __tablename__ = "participation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    on: Mapped[date]
    ref: Mapped[str] = mapped_column(String(64), default="")


class ProjectFiling(Base):
    """A project taken on through the center, filed before it starts (art. 14(6))."""

    __tablename__ = "project_filings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(256))
    client: Mapped[str] = mapped_column(String(256))
    scope: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date]
    filed_by: Mapped[int] = mapped_column(ForeignKey("people.id"))
    filed_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class RoleGrant(Base):
    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(_enum(Role))
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    granted_at: Mapped[datetime]


class Conversation(Base):
    """A form in progress: which form, which step, and the answers so far."""

    __tablename__ = "conversations"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    form: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class ProcessedUpdate(Base):
    """Update keys already handled, so a redelivered update is not handled twice."""

    __tablename__ = "processed_updates"

    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    processed_at: Mapped[datetime]


class AuditEntry(Base):
    """Append-only record of secretariat and leadership actions (art. 17)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(128), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(Text, default="")


# -- delivery (issue 3) --------------------------------------------------------------------------


def _str_enum(enum_class: type[enum.StrEnum]) -> Enum:
    return Enum(
        enum_class, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


class DeliveryStatus(enum.StrEnum):
    """Where an outbox message stands; every row is in exactly one of these."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker: its send may be under way
    SENT = "sent"
    UNKNOWN = "unknown"  # sent after an interrupted attempt, so it may have arrived twice
    FAILED = "failed"
    BLOCKED = "blocked"  # the chat blocked the bot (403)
    CANCELLED = "cancelled"  # its broadcast was stopped before it went (notices)


class DeliveryBatch(Base):
    """A broadcast: many outbox messages, one progress message for whoever started it."""

    __tablename__ = "delivery_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(256))
    purpose: Mapped[str] = mapped_column(String(64))
    starter_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    locale: Mapped[str | None] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """One message to one chat, written in the transaction that causes it, sent by a worker."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The claim query walks this index: pending rows, most urgent first.
        Index(
            "ix_outbox_due",
            "priority",
            "next_attempt_at",
            "id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_outbox_batch_id_status", "batch_id", "status"),
        Index("ix_outbox_chat_id_status", "chat_id", "status"),
        Index("ix_outbox_claimed_by", "claimed_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(String(64))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_batches.id"))
    priority: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    file_name: Mapped[str | None] = mapped_column(String(256))
    file_content: Mapped[bytes | None] = mapped_column(LargeBinary)
    file_id: Mapped[str | None] = mapped_column(String(256))
    protect: Mapped[bool] = mapped_column(Boolean, default=False)
    parse_mode: Mapped[str | None] = mapped_column(String(8))  # "HTML" for formatted text
    delete_message_id: Mapped[int | None] = mapped_column(BigInteger)  # a delete, not a send
    # Recorded once the send is confirmed (bot/delivery/confirmations.py): {"kind", "data"}.
    on_sent: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[DeliveryStatus] = mapped_column(_str_enum(DeliveryStatus))
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(512))
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    dedup_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class UnreachableChat(Base):
    """A chat that blocked the bot (403): nothing more is sent until they write again."""

    __tablename__ = "unreachable_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    since: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(256), default="")


class DeliveryWorker(Base):
    """A live outbox worker; one not seen for a while died, and its claims are taken back."""

    __tablename__ = "delivery_workers"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime]
    seen_at: Mapped[datetime]


class ReminderStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"  # rendered into the outbox
    DROPPED = "dropped"  # too late or obsolete when it came due
    CANCELLED = "cancelled"


class Reminder(Base):
    """Something to send at a set time, to a person, a chat, or everyone holding a role."""

    __tablename__ = "reminders"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN person_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN chat_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN role IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_audience",
        ),
        Index(
            "ix_reminders_due",
            "due_at",
            "id",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_reminders_subject", "subject", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))
    # What the reminder is about, for one audience ("meeting:7"): of the reminders with the
    # same subject that are due, only the latest is sent (bot/reminders/policy.py).
    subject: Mapped[str | None] = mapped_column(String(128))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    role: Mapped[Role | None] = mapped_column(_str_enum(Role))
    due_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]  # obsolete from this moment on, whatever the kind
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedup_key: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[ReminderStatus] = mapped_column(_str_enum(ReminderStatus))
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(String(256), default="")


# Feature models live beside their queries; importing them here puts every table in
# Base.metadata for Alembic and the tests.
from storage import (  # noqa: E402, F401
    documents_models,
    events_models,
    inbox_models,
    meetings_models,
    notice_throttle_models,
    notices_models,
    onboarding_models,
    privacy_models,
    secretariat_notes_models,
)
