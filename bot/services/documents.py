"""Documents (art. 13(1), 14(4)): upload and versions, sending on request with the access
check at that moment, the access log, traceable watermarks, and the release of drafts.

Every path that sends a document — /docs, a button on a notice or an agenda, a link —
goes through `send_document`, which asks bot.charter.documents.may_receive_document.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charter.documents import (
    Audience,
    Decision,
    Level,
    Reason,
    audience_now,
    is_confidential,
    may_receive_document,
)
from bot.charter.membership import HAS_RIGHTS, ON_ROSTER
from bot.delivery.confirmations import DOCUMENT_DELIVERY
from bot.errors import DomainError
from bot.i18n import N_, Catalogs, Translator
from bot.protocol import OnSent, OutgoingFile, Reply
from bot.routing import button_data
from bot.services import notify
from bot.services.roster import to_csv
from bot.settings import Settings
from bot.validation import typed
from bot.watermark import can_watermark, watermark_pdf
from storage import audit, people, units
from storage import documents as stored
from storage import meetings as stored_meetings
from storage.documents_models import Document, DocumentDelivery, DocumentVersion
from storage.meetings_models import Seat
from storage.models import Contact, Person, Role, Unit
from storage.names import printed_name

# Settings to be (bot/settings.py): the largest document the secretariat may upload.
# Telegram lets a bot download files of up to 20 MB.

FETCH = "doc"  # button code: fetch a document (on notices, agendas, announcements)
VIAS = frozenset({"notice", "agenda", "review", "release", "publish", "version"})
TRACE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: read back from paper
TRACE_LENGTH = 8
FETCH_LABEL = N_("📄 Get the document")

CATEGORIES = {
    "notice": N_("Notices"),
    "meeting": N_("Meeting papers"),
    "plan": N_("Plans and reports"),
    "research": N_("Research and standards"),
    "other": N_("Other"),
}
CORRUPT = "corrupt"  # the log's reason when the stored copy fails its checksum
STAMP = N_("{unit} · {name} · {time} · trace code {code}")

# Recognised by their first bytes; Office's zip and OLE containers also by their extension.
MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF8", "gif"),
)
ZIP_KINDS = frozenset({"docx", "xlsx", "pptx", "odt", "ods", "odp"})
OLE_KINDS = frozenset({"doc", "xls", "ppt"})


def fetch_button(document_id: int, via: str = "notice") -> tuple[str, str]:
    """A button that fetches the document when pressed, checked at that moment: the (label
    msgid, data) pair for `notify.note(buttons=[...])`. `via` names the feature in the log."""
    assert via in VIAS, via
    return FETCH_LABEL, button_data(FETCH, document_id, via)


# -- upload ---------------------------------------------------------------------------------


def file_kind(name: str, content: bytes) -> str | None:
    """What kind of file this is, from its first bytes; None when it is not accepted."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    for magic, kind in MAGIC:
        if content.startswith(magic):
            return kind
    if content.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return "webp"
    if content.startswith(b"PK\x03\x04") and extension in ZIP_KINDS:
        return extension
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and extension in OLE_KINDS:
        return extension
    return None


def check_size(size: int | None, limit: int) -> None:
    """Refuses a file above the documents' size limit (the setting DOCUMENT_MAX_BYTES)."""
    if size is not None and size > limit:
        raise DomainError(
            N_("That file is {size} MB; documents may be at most {limit} MB."),
            size=round(size / 2**20, 1),
            limit=round(limit / 2**20, 1),
        )


async def receive_upload(
    session: AsyncSession,
    uploader: Person,
    upload: tuple[str, str, bytes],
    bot: str,
    now: datetime,
    limit: int,
) -> DocumentVersion:
    """Checks and keeps an uploaded file (name, Telegram file id, bytes) until its form ends."""
    name, file_id, content = upload
    check_size(len(content), limit)
    kind = file_kind(name, content)
    if kind is None:
        raise DomainError(
            N_("Documents may be PDF, Word, Excel, PowerPoint (or OpenDocument) files or images.")
        )
    if kind == "pdf" and not can_watermark(content):
        raise DomainError(
            N_(
                "This PDF cannot be read (it is encrypted or damaged), so it cannot carry the "
                "recipients' watermark. Please send an unprotected copy."
            )
        )
    await discard_upload(session, uploader.id)
    version = DocumentVersion(
        document_id=None,
        number=0,
        file_name=name[:256],
        kind=kind,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        file_id=file_id,
        file_bot=bot,
        content=content,
        uploaded_by=uploader.id,
        uploaded_at=now,
    )
    session.add(version)
    await session.flush()
    return version


async def discard_upload(session: AsyncSession, uploader_id: int) -> None:
    """Drops a file uploaded in a form that was left or cancelled."""
    for version in await stored.unattached_uploads(session, uploader_id):
        await session.delete(version)


def bot_identity(settings: Settings) -> str:
    """The bot a Telegram file id belongs to: the bot's numeric id, which begins its token.
    A file id is valid only for the bot that received the file; after a change of bot the
    stored copy is sent instead."""
    token = settings.bot_token.get_secret_value() if settings.bot_token else ""
    return token.partition(":")[0]


@dataclass(frozen=True)
class DocumentDraft:
    """The answers of the upload form."""

    upload_id: int
    title: str
    description: str
    category: str
    audience: Audience
    embargo_until: datetime | None = None
    review: Audience | None = None


async def publish(
    session: AsyncSession, draft: DocumentDraft, actor_id: int, now: datetime
) -> Document:
    """Art. 14(4): the document becomes available to its audience, or with an embargo, to its
    review audience until the publication time."""
    _check_draft(draft, now)
    upload = await _own_upload(session, draft.upload_id, actor_id)
    document = Document(
        title=draft.title,
        description=draft.description,
        category=draft.category,
        level=draft.audience.level,
        unit_ids=sorted(draft.audience.unit_ids),
        embargo_until=draft.embargo_until,
        review_level=draft.review.level if draft.review else None,
        review_unit_ids=sorted(draft.review.unit_ids) if draft.review else [],
        released_at=None if draft.embargo_until else now,
        current_version=1,
        created_by=actor_id,
        created_at=now,
        updated_at=now,
    )
    await stored.add(session, document, upload)
    await audit.record(
        session, now, actor_id, "document.publish", f"document:{document.id}", level=document.level
    )
    return document


async def add_version(
    session: AsyncSession, document_id: int, upload_id: int, actor_id: int, now: datetime
) -> tuple[Document, DocumentVersion]:
    """A new file for the document: it replaces the old one for future requests; the history
    stays in the versions and the access log."""
    document = await stored.get(session, document_id)
    if document is None:
        raise DomainError(N_("This document no longer exists."))
    version = await stored.add_version(
        session, document, await _own_upload(session, upload_id, actor_id)
    )
    await audit.record(
        session,
        now,
        actor_id,
        "document.version",
        f"document:{document.id}",
        number=version.number,
    )
    return document, version


def _check_draft(draft: DocumentDraft, now: datetime) -> None:
    if draft.category not in CATEGORIES:
        raise DomainError(N_("Choose one of the categories."))
    if draft.audience.level is Level.UNITS and not draft.audience.unit_ids:
        raise DomainError(N_("Name at least one unit."))
    if draft.embargo_until is not None and draft.embargo_until <= now:
        raise DomainError(N_("The publication time must be in the future."))


async def _own_upload(session: AsyncSession, upload_id: int, actor_id: int) -> DocumentVersion:
    upload = await session.get(DocumentVersion, upload_id)
    if upload is None or upload.document_id is not None or upload.uploaded_by != actor_id:
        raise DomainError(N_("The uploaded file is no longer here; please start again."))
    return upload


async def units_by_codes(session: AsyncSession, text: str) -> list[Unit]:
    """The roster's units named by their credit codes (one per line, or comma-separated)."""
    found = []
    for code in typed(text).replace(",", " ").split():  # NFKC: “，” is a comma
        unit = await units.by_credit_code(session, code.upper())
        if unit is None or unit.status not in ON_ROSTER:
            raise DomainError(N_("No unit on the roster has the credit code {code}."), code=code)
        found.append(unit)
    if not found:
        raise DomainError(N_("Name at least one unit."))
    return found


# -- who may have it ------------------------------------------------------------------------


def audience_of(document: Document) -> Audience:
    return Audience(document.level, frozenset(document.unit_ids))


def review_of(document: Document) -> Audience | None:
    if document.review_level is None:
        return None
    return Audience(document.review_level, frozenset(document.review_unit_ids))


@dataclass(frozen=True)
class Recipient:
    """A person as the access rule sees them now: roles, the unit they are a contact of, and
    the unit they hold a seat for on the joint meeting (art. 19), each with its standing."""

    person: Person
    roles: frozenset[Role]
    unit: Unit | None
    contact: Contact | None
    seat: Seat | None = None
    seat_unit: Unit | None = None

    @property
    def name(self) -> str:
        """The name the secretariat reads in the access log and on a watermark: the roster's
        (the contact's, else the seat holder's as recorded), with the Telegram name beside it
        when different (storage.names)."""
        roster = self.contact.name if self.contact else (self.seat.name if self.seat else None)
        return printed_name(roster, self.person.display_name, self.person.telegram_id)

    @property
    def acting_unit(self) -> Unit | None:
        """The unit a copy is marked with (watermark, access log, /trace): the contact's unit,
        or else the unit the seat is held for."""
        return self.unit or self.seat_unit


async def recipient(
    session: AsyncSession, person: Person, roles: frozenset[Role] | None = None
) -> Recipient:
    """Loads the person's current roles, unit and seat: access is decided on what holds now."""
    found = await units.of_person(session, person.id)
    roles = roles if roles is not None else await people.roles_of(session, person.id)
    seat = await stored_meetings.active_seat_of(session, person.id)
    seat_unit = await units.get(session, seat.unit_id) if seat else None
    return Recipient(person, roles, *(found or (None, None)), seat, seat_unit)


def decide(who: Recipient, document: Document, now: datetime) -> Decision:
    """The access rule, applied to this person and this document at this moment."""
    unit = who.unit
    return may_receive_document(
        who.roles,
        unit.status if unit else None,
        unit.id if unit else None,
        audience_of(document),
        document.embargo_until,
        review_of(document),
        now,
        seat_status=who.seat_unit.status if who.seat_unit else None,
    )


def confidential(document: Document, now: datetime) -> bool:
    return is_confidential(document.level, document.embargo_until, now)


async def documents_for(
    session: AsyncSession, who: Recipient, now: datetime, search: str = ""
) -> list[tuple[Document, Decision]]:
    """The documents this person may have now, newest first (optionally matching `search`)."""
    found = []
    for document in await stored.everything(session):
        if search and search.lower() not in document.title.lower():
            continue
        decision = decide(who, document, now)
        if decision.allowed:
            found.append((document, decision))
    return found


# -- sending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sending:
    """The outcome of a request: the file to send, or the reason it is refused."""

    document: Document
    version: DocumentVersion
    decision: Decision
    level: Level  # the audience the request was judged against, named in a refusal
    file: OutgoingFile | None = None
    protect: bool = False
    trace_code: str | None = None
    corrupt: bool = False
    on_sent: OnSent | None = None  # the access log's line, written once Telegram confirms


async def send_document(
    session: AsyncSession,
    who: Recipient,
    document: Document,
    path: str,
    t: Translator,
    bot: str,
    now: datetime,
) -> Sending:
    """Checks access at the moment of sending, then prepares the file — watermarked when it
    is a confidential PDF. A refusal is logged now; the delivery's line (art. 14(4)) rides
    with the file through the outbox and is written once Telegram confirms the send."""
    version = await stored.current_version(session, document)
    decision = decide(who, document, now)
    judged = audience_now(audience_of(document), document.embargo_until, review_of(document), now)
    level = judged.level
    if not decision.allowed:
        await stored.log(session, _entry(who, document, version, path, now, decision.reason))
        return Sending(document, version, decision, level)
    content = await stored.content_of(session, version.id)
    if hashlib.sha256(content).hexdigest() != version.sha256:
        await stored.log(session, _entry(who, document, version, path, now, CORRUPT))
        return Sending(document, version, Decision(False, decision.reason), level, corrupt=True)
    protect = confidential(document, now)
    code = await _new_trace_code(session)
    stamp = _stamp_text(t, who, now, code) if protect and version.kind == "pdf" else ""
    file = _file(version, content, bot, stamp)
    entry = _entry(who, document, version, path, now, decision.reason)
    delivered = {column: getattr(entry, column) for column in DELIVERED_FIELDS}
    delivered.update(trace_code=code, protected=protect, watermarked=bool(stamp))
    on_sent = OnSent(DOCUMENT_DELIVERY, delivered)
    return Sending(document, version, decision, level, file, protect, code, on_sent=on_sent)


# What the access log's line of a delivery holds besides its time (set when it is sent).
DELIVERED_FIELDS = (
    "document_id",
    "version_id",
    "person_id",
    "unit_id",
    "person_name",
    "unit_name",
    "path",
    "reason",
)


def _file(version: DocumentVersion, content: bytes, bot: str, stamp: str) -> OutgoingFile:
    """The copy to send: stamped when it is a confidential PDF; otherwise by Telegram's file id
    when it belongs to this bot, with the stored bytes beside it."""
    if stamp:
        return OutgoingFile(version.file_name, content=watermark_pdf(content, stamp))
    reusable = version.file_id if version.file_id and version.file_bot == bot else None
    return OutgoingFile(version.file_name, content=content, file_id=reusable)


def _stamp_text(t: Translator, who: Recipient, now: datetime, code: str) -> str:
    moment = now.astimezone(t.zone).strftime("%Y-%m-%d %H:%M UTC%z")
    unit = who.acting_unit.name if who.acting_unit else "—"
    return t(STAMP).format(unit=unit, name=who.name, time=moment, code=code)


async def _new_trace_code(session: AsyncSession) -> str:
    while True:
        code = "".join(secrets.choice(TRACE_ALPHABET) for _ in range(TRACE_LENGTH))
        if not await stored.trace_code_taken(session, code):
            return code


def _entry(
    who: Recipient,
    document: Document,
    version: DocumentVersion,
    path: str,
    now: datetime,
    reason: str,
) -> DocumentDelivery:
    """A line of the access log; a refusal until the caller says otherwise."""
    return DocumentDelivery(
        document_id=document.id,
        version_id=version.id,
        person_id=who.person.id,
        unit_id=who.acting_unit.id if who.acting_unit else None,
        person_name=who.name[:256],
        unit_name=who.acting_unit.name[:256] if who.acting_unit else "",
        at=now,
        path=path,
        allowed=False,
        reason=reason,
        protected=False,
        watermarked=False,
        trace_code=None,
    )


# -- telling the audience -------------------------------------------------------------------

PUBLISHED = N_("New document: {title}. Press the button below to get it.")
FOR_REVIEW = N_(
    "A draft for your review: {title}. It stays confidential until its publication "
    "({when}). Press the button below to get it."
)
RELEASED = N_("Now published: {title}. Press the button below to get it.")
NEW_VERSION = N_("A new version of {title} is available. Press the button below to get it.")


@dataclass(frozen=True)
class ReaderNote(notify.Note):
    """A note whose moments read as each recipient reads them (`Translator.datetime`)."""

    def render(self, t: Translator) -> str:
        params = {
            k: t.datetime(v) if isinstance(v, datetime) else v for k, v in self.params.items()
        }
        return t(self.message).format(**params)


def reader_note(
    message: str, buttons: Sequence[tuple[str, str]] = (), **params: Any
) -> ReaderNote:
    return ReaderNote(message, params, tuple(buttons))


async def candidates(session: AsyncSession, audience: Audience) -> list[Person]:
    """Whom an announcement to `audience` goes to, before the access rule has its say."""
    level = audience.level
    if level is Level.UNITS:
        return list(
            await units.contact_people(session, sorted(HAS_RIGHTS), sorted(audience.unit_ids))
        )
    if level is Level.EXPERTS:
        return list(await people.with_roles(session, [Role.EXPERT]))
    leadership = list(await notify.leadership(session))
    if level is Level.LEADERSHIP:
        return leadership
    members = [*await notify.members(session), *leadership]
    if level is Level.MEMBERS:
        return members
    return [*members, *await people.with_roles(session, [Role.EXPERT])]


async def announce(
    session: AsyncSession,
    catalogs: Catalogs,
    document: Document,
    people_told: Sequence[Person],
    what: tuple[str, str],
    now: datetime,
    **params: object,
) -> list[Reply]:
    """`what` (a message, and the `via` of its button) to each of `people_told` whom the
    access rule lets have the document now, with a button to fetch it: the file itself goes
    only on request. Protected unless the document is public."""
    message, via = what
    allowed = [
        person
        for person in people_told
        if decide(await recipient(session, person), document, now).allowed
    ]
    note = reader_note(
        message, buttons=[fetch_button(document.id, via)], title=document.title, **params
    )
    protect = confidential(document, now)
    return [replace(r, protect=protect) for r in notify.to_people(catalogs, allowed, note)]


async def announce_publication(
    session: AsyncSession, catalogs: Catalogs, document: Document, now: datetime
) -> list[Reply]:
    """A new document to its audience, or a draft to its reviewers."""
    review = review_of(document)
    if document.embargo_until is None or review is None:
        audience = await candidates(session, audience_of(document))
        return await announce(session, catalogs, document, audience, (PUBLISHED, "publish"), now)
    reviewers = await candidates(session, review)
    return await announce(
        session,
        catalogs,
        document,
        reviewers,
        (FOR_REVIEW, "review"),
        now,
        when=document.embargo_until,
    )


async def announce_version(
    session: AsyncSession, catalogs: Catalogs, document: Document, now: datetime
) -> list[Reply]:
    """A new version to those who received an earlier one and may still have it."""
    earlier = await stored.received_by(session, document.id)
    return await announce(session, catalogs, document, earlier, (NEW_VERSION, "version"), now)


async def release_due_embargoes(
    session: AsyncSession, catalogs: Catalogs, now: datetime
) -> list[Reply]:
    """Art. 14(4): drafts whose publication time has come are announced to their audience,
    once. Access itself opens at that moment by the rule; this only tells people."""
    replies = []
    for document in await stored.embargoes_due(session, now):
        if not await stored.claim_release(session, document.id, now):
            continue  # another instance announced it
        audience = await candidates(session, audience_of(document))
        told = await announce(session, catalogs, document, audience, (RELEASED, "release"), now)
        staff = await notify.secretariat(session)
        replies += [*told, *_release_done(catalogs, staff, document, len(told))]
    return replies


def _release_done(
    catalogs: Catalogs, staff: Sequence[Person], document: Document, count: int
) -> list[Reply]:
    """Tells the secretariat, each in their language, how many were told of a publication."""
    replies = []
    for person in staff:
        t = catalogs.for_person(person.locale, person.language_code)
        text = t.nt(
            "{title} is published as planned; {count} person was notified.",
            "{title} is published as planned; {count} people were notified.",
            count,
        )
        done = text.format(title=document.title, count=count)
        replies.append(Reply(done, chat_id=person.chat_id, protect=True))
    return replies


# -- the secretariat's view of the log ------------------------------------------------------


@dataclass(frozen=True)
class AccessLog:
    document: Document
    entries: list[DocumentDelivery]  # newest first
    versions: dict[int, int]  # version id -> number


async def access_log(session: AsyncSession, document_id: int) -> AccessLog | None:
    """Who received the document, and who was refused, with the version and the path."""
    document = await stored.get(session, document_id)
    if document is None:
        return None
    entries = list(await stored.log_of(session, document_id))
    versions = await stored.version_numbers(session, sorted({e.version_id for e in entries}))
    return AccessLog(document, entries, versions)


async def trace(
    session: AsyncSession, code: str
) -> tuple[DocumentDelivery, Document, DocumentVersion]:
    """The delivery a trace code names (printed on a watermarked copy)."""
    found = await stored.by_trace_code(session, normalise_trace_code(code))
    if found is None:
        raise DomainError(N_("No delivery has the trace code {code}."), code=code.strip()[:20])
    return found


def normalise_trace_code(code: str) -> str:
    return "".join(ch for ch in typed(code).upper() if ch.isalnum())


async def tell_corruption(
    session: AsyncSession, catalogs: Catalogs, sending: Sending
) -> list[Reply]:
    """The secretariat learns that a stored copy is damaged, so it can upload it again."""
    warning = notify.note(
        N_(
            "The stored copy of {title} (version {number}) failed its integrity check and was "
            "not sent. Please upload the file again as a new version."
        ),
        title=sending.document.title,
        number=sending.version.number,
    )
    staff = notify.to_people(catalogs, await notify.secretariat(session), warning)
    return [replace(r, protect=True) for r in staff]


LOG_COLUMNS = (
    N_("Time"),
    N_("Version"),
    N_("Person"),
    N_("Unit"),
    N_("How obtained"),
    N_("Sent"),
    N_("Reason"),
    N_("Trace code"),
    N_("Protected"),
    N_("Watermarked"),
)
# How a copy was asked for, as the log's `path` records it (handlers.documents), for the
# secretariat to read: the /docs list, a t.me link, or the button on another feature's message.
PATH_LABELS = {
    "list": N_("/docs list"),
    "link": N_("link"),
    "button:notice": N_("button on a notice"),
    "button:agenda": N_("button on a meeting agenda"),
    "button:review": N_("button on a draft sent for review"),
    "button:publish": N_("button on the announcement of a new document"),
    "button:release": N_("button on the announcement of a publication"),
    "button:version": N_("button on the notice of a new version"),
}
REASON_LABELS = {
    Reason.PUBLIC: N_("public document"),
    Reason.SECRETARIAT: N_("secretariat"),
    Reason.AUDIENCE: N_("in the audience"),
    Reason.REVIEWER: N_("reviewer of the draft"),
    Reason.NOT_MEMBER: N_("not a member unit's contact"),
    Reason.SUSPENDED: N_("unit's member rights suspended"),
    Reason.NOT_PUBLISHED: N_("not yet published"),
    Reason.NOT_IN_AUDIENCE: N_("not in the audience"),
    CORRUPT: N_("stored copy damaged"),
}


def path_label(t: Translator, path: str) -> str:
    """How the copy was obtained, in the reader's language (an unknown path as recorded)."""
    return t(PATH_LABELS[path]) if path in PATH_LABELS else path


def reason_label(t: Translator, reason: str) -> str:
    """Why a copy was sent or refused, in the reader's language."""
    return t(REASON_LABELS[reason]) if reason in REASON_LABELS else reason


def log_csv(found: AccessLog, t: Translator) -> bytes:
    """The access log as CSV, oldest first, in the reader's language and time zone."""
    yes, no = t("yes"), t("no")
    rows = [
        [
            e.at.astimezone(t.zone).isoformat(timespec="seconds"),
            str(found.versions.get(e.version_id, "")),
            e.person_name,
            e.unit_name,
            path_label(t, e.path),
            yes if e.allowed else no,
            reason_label(t, e.reason),
            e.trace_code or "",
            yes if e.protected else no,
            yes if e.watermarked else no,
        ]
        for e in reversed(found.entries)
    ]
    return to_csv([t(column) for column in LOG_COLUMNS], rows)
