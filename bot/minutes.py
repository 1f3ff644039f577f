"""The minutes of a joint meeting (art. 17, 20): attendance, motions, counts and results —
as plain data for the audit log and as a DOCX document, in the reader's language."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from bot.i18n import N_, Translator
from bot.labels import aside
from storage.meetings_models import BallotKind, Choice, MotionKind, MotionStatus, Presence

KINDS = {
    MotionKind.RESOLUTION: N_("resolution"),
    MotionKind.AMENDMENT: N_("charter amendment (art. 38)"),
    MotionKind.ELECTION: N_("election (art. 12)"),
}
BALLOTS = {BallotKind.OPEN: N_("open ballot"), BallotKind.SECRET: N_("secret ballot")}
CHOICES = {Choice.FOR: N_("For"), Choice.AGAINST: N_("Against"), Choice.ABSTAIN: N_("Abstain")}
# Punctuation belongs to the language: "(resolution, open ballot)" reads "（决议，记名投票）".
KIND_AND_BALLOT = N_("{kind}, {ballot}")
MOTION_HEAD = N_("{n}. {title} ({kind}, {ballot})")
VOTE_LINE = N_("{unit} — {voter}: {choice} ({when})")
PRESENCE = {
    Presence.PRESENT: N_("present"),
    Presence.EXCUSED: N_("absent with leave"),
    Presence.ABSENT: N_("absent without leave"),
}


@dataclass(frozen=True)
class SeatLine:
    unit: str
    holder: str
    representative: str | None
    presence: Presence
    checked_in_at: datetime | None
    leave_reason: str | None


@dataclass(frozen=True)
class VoteLine:
    unit: str
    voter: str
    choice: Choice
    at: datetime


@dataclass(frozen=True)
class MotionLine:
    position: int
    title: str
    kind: MotionKind
    ballot: BallotKind
    status: MotionStatus
    votes_for: int | None
    votes_against: int | None
    abstentions: int | None
    present: int | None
    passed: bool | None
    votes: list[VoteLine] = field(default_factory=list)  # open ballots only
    receipts: list[tuple[str, Choice]] = field(default_factory=list)  # secret ballots only
    receipts_digest: str | None = None


@dataclass(frozen=True)
class MinutesRecord:
    meeting_id: int
    starts_at: datetime
    place: str
    ended_at: datetime | None
    units_total: int
    units_present: int
    seats: list[SeatLine]
    motions: list[MotionLine]


def as_details(record: MinutesRecord) -> dict[str, Any]:
    """The record as JSON-ready data, for the append-only audit log."""
    return _plain(asdict(record))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def motion_head(
    t: Translator, position: int, title: str, kind: MotionKind, ballot: BallotKind
) -> str:
    """A motion as the agenda lists it: "1. Budget (resolution, open ballot)"."""
    return t(MOTION_HEAD).format(
        n=position, title=title, kind=t(KINDS[kind]), ballot=t(BALLOTS[ballot])
    )


def kind_and_ballot(t: Translator, kind: MotionKind, ballot: BallotKind) -> str:
    return t(KIND_AND_BALLOT).format(kind=t(KINDS[kind]), ballot=t(BALLOTS[ballot]))


def result_label(line: MotionLine) -> str:
    """The msgid naming a motion's outcome."""
    if line.status is not MotionStatus.CLOSED:
        return N_("not put to the vote")
    return N_("passed") if line.passed else N_("not passed")


def to_docx(record: MinutesRecord, t: Translator) -> bytes:
    """The minutes as a Word document, in the reader's language and time zone."""
    from docx import Document  # loaded when minutes are made: 3 MB resident

    document = Document()
    document.add_heading(t("Minutes of the joint directors' meeting"), level=1)
    document.add_paragraph(
        t("Meeting {id}: {when}, {place}").format(
            id=record.meeting_id, when=t.datetime(record.starts_at), place=record.place
        )
    )
    document.add_paragraph(
        t("Director and deputy-director units present: {present} of {total}.").format(
            present=record.units_present, total=record.units_total
        )
    )
    _attendance(document, record, t)
    for line in record.motions:
        _motion(document, line, t)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _attendance(document: Any, record: MinutesRecord, t: Translator) -> None:
    document.add_heading(t("Attendance"), level=2)
    table = document.add_table(rows=1, cols=4)
    titles = (t("Unit"), t("Seat holder"), t("Attendance"), t("Representative"))
    for cell, title in zip(table.rows[0].cells, titles, strict=True):
        cell.text = title
    for seat in record.seats:
        presence = t(PRESENCE[seat.presence])
        if seat.leave_reason:
            presence = aside(t, presence, seat.leave_reason)
        row = table.add_row().cells
        row[0].text, row[1].text, row[2].text = seat.unit, seat.holder, presence
        row[3].text = seat.representative or ""


def _motion(document: Any, line: MotionLine, t: Translator) -> None:
    document.add_heading(f"{line.position}. {line.title}", level=2)
    document.add_paragraph(kind_and_ballot(t, line.kind, line.ballot))
    if line.status is MotionStatus.CLOSED:
        document.add_paragraph(counts_text(t, line))
    document.add_paragraph(t(result_label(line)))
    for vote in line.votes:
        choice, when = t(CHOICES[vote.choice]), t.datetime(vote.at)
        text = t(VOTE_LINE).format(unit=vote.unit, voter=vote.voter, choice=choice, when=when)
        document.add_paragraph(text)
    if line.receipts:
        document.add_paragraph(t("Receipts of the secret ballots:"))
        for receipt, choice in line.receipts:
            document.add_paragraph(f"{receipt} {t(CHOICES[choice])}")
        document.add_paragraph(
            t("Fingerprint of this list: {digest}").format(digest=line.receipts_digest)
        )


def counts_text(t: Translator, line: MotionLine) -> str:
    return t("For {yes}, against {no}, abstaining {abstain}; {present} present.").format(
        yes=line.votes_for, no=line.votes_against, abstain=line.abstentions, present=line.present
    )
