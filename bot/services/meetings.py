"""Joint meetings (art. 19, 20, 27): the agenda with 15 days' notice, leave, representatives,
check-in and quorum, motions and votes (open or secret), the end of a meeting and its minutes.

A vote and the closing of its motion never interleave: a vote holds a share lock on the
motion row, opening and closing take an update lock (PostgreSQL; SQLite runs one writer).
The tally is counted from the votes themselves when the motion closes, never kept as a
running counter that concurrent votes would fight over.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import minutes
from bot.charter import meetings as rules
from bot.charter.membership import HAS_RIGHTS
from bot.clock import local_date
from bot.errors import DomainError, StaleButton
from bot.i18n import N_
from bot.links import start_link
from bot.protocol import Reply
from bot.reminders.kinds import Firing, ReminderKind
from bot.services import seats as seat_service
from bot.services.membership import record_participation
from storage import audit, reminders
from storage import documents as stored_documents
from storage import meetings as stored
from storage.meetings_models import (
    Attendance,
    BallotKind,
    Choice,
    LeadershipChat,
    Meeting,
    MeetingStatus,
    Motion,
    MotionKind,
    MotionStatus,
    Presence,
    Seat,
    Vote,
)
from storage.models import Person, Role, Unit
from storage.names import printed_name_of

START_EARLY = timedelta(hours=2)  # check-in opens this long before the announced time
REPRESENTATIVE_PREFIX = "mrep"
MEETING_REMINDER = "meeting_reminder"

TOO_SOON = N_(
    "The agenda must reach the seat holders 15 days before the meeting (art. 20): "
    "the earliest possible date is {earliest}."
)
IN_THE_PAST = N_("That time has passed. Please give a future date and time.")
NO_MOTIONS = N_("The agenda needs at least one motion.")
NO_DOCUMENT = N_("There is no document number {number}; see /docs.")
NOT_SCHEDULED = N_("This meeting is no longer scheduled.")
NOT_IN_PROGRESS = N_("This meeting is not in progress.")
TOO_EARLY = N_("Check-in opens two hours before the meeting.")
STARTED = N_("The meeting has begun; this can only be arranged before it starts.")
NO_SEAT = N_("Only seat holders of the joint meeting, or their representatives, can do this.")
REPRESENTED = N_("You named a representative for this meeting; they act for your seat.")
NOT_CHECKED_IN = N_("Please check in first; only members present may vote (art. 20).")
NO_QUORUM = N_(
    "No quorum: {present} of {total} director and deputy-director units are present; "
    "two-thirds or more are needed (art. 20)."
)
ANOTHER_OPEN = N_("Another motion is open; close it first.")
ALREADY_OPENED = N_("This motion has already been put to the vote.")
VOTING_CLOSED = N_("Voting on this motion has closed.")
VOTING_NOT_OPEN = N_("This motion is not open for voting.")
SECRET_IN_PRIVATE = N_("A secret ballot is cast only in your private chat with the bot.")
ALREADY_VOTED = N_("You have already voted on this motion.")
SECRET_FINAL = N_("You have already voted; a secret ballot cannot be changed.")
MOTIONS_OPEN = N_("A motion is still open; close it before ending the meeting.")
NOT_ENDED = N_("The minutes are approved after the meeting has ended.")
ALREADY_APPROVED = N_("The minutes of this meeting are already approved.")
INVALID_LINK = N_(
    "This representative link is not valid: it was used or withdrawn, or the meeting began."
)
SEAT_HOLDER_REPRESENTS = N_("A seat holder cannot represent another seat.")
ONE_REPRESENTATION = N_("You already represent a seat at this meeting.")
REMINDER_LABEL = N_("reminder before a joint meeting (art. 20)")
REMINDER_TEXT = N_(
    "Reminder: the joint directors' meeting is on {when}, {place}. Send /meetings for the agenda."
)


@dataclass(frozen=True)
class MotionDraft:
    title: str
    text: str
    kind: MotionKind
    ballot: BallotKind
    document_ids: tuple[int, ...] = ()


@dataclass
class Acting:
    """A seat at one meeting: its unit, holder, attendance and representative."""

    seat: Seat
    unit: Unit
    holder: Person
    attendance: Attendance | None = None
    representative: Person | None = None

    @property
    def person(self) -> Person:
        """Who acts for the seat at this meeting: the representative if one was named."""
        return self.representative or self.holder

    @property
    def present(self) -> bool:
        return self.attendance is not None and self.attendance.checked_in_at is not None

    @property
    def on_leave(self) -> bool:
        return self.attendance is not None and self.attendance.leave_reason is not None


@dataclass(frozen=True)
class Quorum:
    present_units: int
    all_units: int
    present: int  # seats checked in: art. 20's "members present"

    @property
    def stands(self) -> bool:
        return rules.quorum_reached(self.present_units, self.all_units)


@dataclass
class Board:
    """A meeting as the secretariat watches it: agenda, seats, quorum."""

    meeting: Meeting
    motions: list[Motion]
    seats: list[Acting]
    quorum: Quorum

    def acting_for(self, person_id: int) -> Acting | None:
        return next((a for a in self.seats if a.person.id == person_id), None)


@dataclass(frozen=True)
class Cast:
    motion: Motion
    acting: Acting
    choice: Choice
    changed: bool = False
    unchanged: bool = False
    receipt: str | None = None
    nonce: str | None = None


@dataclass(frozen=True)
class Closing:
    motion: Motion
    board: Board
    receipts: list[tuple[str, Choice]]


@dataclass(frozen=True)
class Ending:
    board: Board
    lost: list[tuple[Seat, Person]]
    record: minutes.MinutesRecord


# -- the agenda (art. 20) ------------------------------------------------------------------------


async def schedule(
    session: AsyncSession,
    starts_at: datetime,
    place: str,
    drafts: list[MotionDraft],
    actor_id: int,
    now: datetime,
    zone: tzinfo,
) -> Meeting:
    """Art. 20: a meeting with its agenda, at least 15 days ahead; reminders are set."""
    check_date(starts_at, now, zone)
    if not drafts:
        raise DomainError(NO_MOTIONS)
    await check_documents(session, [d for draft in drafts for d in draft.document_ids])
    meeting = Meeting(
        starts_at=starts_at,
        place=place,
        status=MeetingStatus.SCHEDULED,
        created_by=actor_id,
        created_at=now,
    )
    session.add(meeting)
    await session.flush()
    for position, draft in enumerate(drafts, start=1):
        session.add(_motion(meeting.id, position, draft))
    await audit.record(session, now, actor_id, "meeting.schedule", f"meeting:{meeting.id}")
    await _schedule_reminders(session, meeting, now)
    return meeting


def check_date(starts_at: datetime, now: datetime, zone: tzinfo) -> None:
    """Refuses a time in the past, or a day less than 15 days away (art. 20)."""
    if starts_at <= now:
        raise DomainError(IN_THE_PAST)
    today = local_date(now, zone)
    if not rules.notice_suffices(local_date(starts_at, zone), today):
        raise DomainError(TOO_SOON, earliest=rules.earliest_meeting_date(today))


async def check_documents(session: AsyncSession, document_ids: list[int]) -> None:
    """Refuses an attachment that is not a document; who may read it is decided when it is
    fetched, by the documents' access check (leadership level for meeting papers)."""
    for document_id in document_ids:
        if await stored_documents.get(session, document_id) is None:
            raise DomainError(NO_DOCUMENT, number=document_id)


def _motion(meeting_id: int, position: int, draft: MotionDraft) -> Motion:
    return Motion(
        meeting_id=meeting_id,
        position=position,
        title=draft.title,
        text=draft.text,
        kind=draft.kind,
        ballot=draft.ballot,
        document_ids=list(draft.document_ids),
        status=MotionStatus.PENDING,
    )


async def _schedule_reminders(session: AsyncSession, meeting: Meeting, now: datetime) -> None:
    """A day and an hour before; none once it has begun, and of the two due together after a
    restart only the later one goes (one subject)."""
    for before in rules.MEETING_REMINDERS:
        if meeting.starts_at - before > now:
            await reminders.schedule(
                session,
                kind=MEETING_REMINDER,
                role=Role.LEADERSHIP,
                due_at=meeting.starts_at - before,
                expires_at=meeting.starts_at,
                dedup_key=_reminder_key(meeting, before),
                subject=f"meeting:{meeting.id}",
                payload={"meeting_id": meeting.id},
                now=now,
            )


def _reminder_key(meeting: Meeting, before: timedelta) -> str:
    return f"meeting:{meeting.id}:{int(before.total_seconds())}"


async def cancel(session: AsyncSession, meeting_id: int, actor_id: int, now: datetime) -> Meeting:
    """Calls off a scheduled meeting; its reminders are cancelled."""
    meeting = await _meeting(session, meeting_id, MeetingStatus.SCHEDULED, NOT_SCHEDULED)
    meeting.status, meeting.cancelled_at = MeetingStatus.CANCELLED, now
    await _cancel_reminders(session, meeting, now)
    await audit.record(session, now, actor_id, "meeting.cancel", f"meeting:{meeting.id}")
    return meeting


async def _cancel_reminders(session: AsyncSession, meeting: Meeting, now: datetime) -> None:
    for before in rules.MEETING_REMINDERS:
        await reminders.cancel(session, _reminder_key(meeting, before), now)


async def _meeting(
    session: AsyncSession, meeting_id: int, status: MeetingStatus, refusal: str
) -> Meeting:
    meeting = await stored.meeting(session, meeting_id, lock=True)
    if meeting is None:
        raise StaleButton()
    if meeting.status is not status:
        raise DomainError(refusal)
    return meeting


# -- who sits, who acts, who is present ----------------------------------------------------------


async def seat_in_standing(session: AsyncSession, person: Person, roles: frozenset[Role]) -> bool:
    """Art. 15(3), 16(5), 19: whether a leadership role may see the meetings now. A seat's
    standing is its unit's (suspended or departed: no); a role with no seat is personal."""
    if Role.LEADERSHIP not in roles:
        return False
    seat = await stored.active_seat_of(session, person.id)
    unit = await session.get(Unit, seat.unit_id) if seat else None
    return seat is None or (unit is not None and unit.status in HAS_RIGHTS)


async def board(session: AsyncSession, meeting_id: int) -> Board:
    """The meeting, its motions, its seats with their attendance, and the quorum (art. 20)."""
    meeting = await stored.meeting(session, meeting_id)
    if meeting is None:
        raise StaleButton()
    return await _board(session, meeting)


async def _board(session: AsyncSession, meeting: Meeting) -> Board:
    rows = await stored.attendance_of(session, meeting.id)
    if meeting.status is MeetingStatus.ENDED:
        seats = await _recorded_seats(session, rows)
        all_units = meeting.units_total or 0
    else:
        seats = [Acting(s, u, p) for s, u, p in await seat_service.voting_seats(session)]
        all_units = len(await seat_service.seated_units(session))
    for acting in seats:
        acting.attendance = rows.get(acting.seat.id)
        await _load_representative(session, acting)
    present = [a for a in seats if a.present]
    quorum = Quorum(len({a.unit.id for a in present}), all_units, len(present))
    motions = list(await stored.motions_of(session, meeting.id))
    return Board(meeting, motions, seats, quorum)


async def _recorded_seats(session: AsyncSession, rows: dict[int, Attendance]) -> list[Acting]:
    seats = []
    for row in rows.values():
        if row.presence is None:
            continue
        seat = await stored.seat(session, row.seat_id)
        assert seat is not None
        unit, holder = (
            await session.get(Unit, seat.unit_id),
            await session.get(Person, seat.person_id),
        )
        assert unit is not None and holder is not None
        seats.append(Acting(seat, unit, holder))
    return sorted(seats, key=lambda a: (a.unit.name, a.seat.id))


async def _load_representative(session: AsyncSession, acting: Acting) -> None:
    row = acting.attendance
    if row is not None and row.representative_id is not None:
        acting.representative = await session.get(Person, row.representative_id)


async def _seat_at(session: AsyncSession, meeting: Meeting, seat: Seat | None) -> Acting | None:
    """The seat at this meeting, if it still votes: active, of a director or deputy-director
    unit whose rights are active (art. 13(5), 15(3), 19)."""
    if seat is None or seat.ended_at is not None:
        return None
    unit = await session.get(Unit, seat.unit_id)
    if unit is None or unit.status not in HAS_RIGHTS or rules.seats_allowed(unit.tier) == 0:
        return None
    holder = await session.get(Person, seat.person_id)
    assert holder is not None
    acting = Acting(seat, unit, holder, await stored.attendance(session, meeting.id, seat.id))
    await _load_representative(session, acting)
    return acting


async def _holder_at(session: AsyncSession, meeting: Meeting, person: Person) -> Acting:
    """The seat `person` holds, for arrangements only the holder makes (leave, representative)."""
    acting = await _seat_at(session, meeting, await stored.active_seat_of(session, person.id))
    if acting is None:
        raise DomainError(NO_SEAT)
    return acting


async def _acting_at(session: AsyncSession, meeting: Meeting, person: Person) -> Acting:
    """The seat `person` acts for at this meeting: as its representative, or as its holder
    when no representative was named."""
    row = await stored.represented_by(session, meeting.id, person.id)
    if row is not None:
        acting = await _seat_at(session, meeting, await stored.seat(session, row.seat_id))
        if acting is not None:
            return acting
    acting = await _holder_at(session, meeting, person)
    if acting.representative is not None:
        raise DomainError(REPRESENTED)
    return acting


async def _attendance_row(session: AsyncSession, acting: Acting, meeting_id: int) -> Attendance:
    """The seat's attendance row at the meeting, created on first need (one per seat)."""
    if acting.attendance is not None:
        return acting.attendance
    row = Attendance(meeting_id=meeting_id, seat_id=acting.seat.id)
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:  # created at the same moment by another update
        row = await stored.attendance(session, meeting_id, acting.seat.id)
        assert row is not None
    acting.attendance = row
    return row


# -- before the meeting: leave and representatives (art. 19, 20) ---------------------------------


async def _before_start(session: AsyncSession, meeting_id: int, now: datetime) -> Meeting:
    meeting = await _meeting(session, meeting_id, MeetingStatus.SCHEDULED, STARTED)
    if not rules.before_start(now, meeting.starts_at, started=False):
        raise DomainError(STARTED)
    return meeting


async def seat_before_start(
    session: AsyncSession, meeting_id: int, person: Person, now: datetime
) -> Acting:
    """The person's seat, while leave and representatives can still be arranged."""
    meeting = await _before_start(session, meeting_id, now)
    return await _holder_at(session, meeting, person)


async def request_leave(
    session: AsyncSession, meeting_id: int, person: Person, reason: str, now: datetime
) -> Acting:
    """Art. 19: leave asked before the meeting makes the seat's absence excused."""
    meeting = await _before_start(session, meeting_id, now)
    acting = await _holder_at(session, meeting, person)
    row = await _attendance_row(session, acting, meeting.id)
    row.leave_reason, row.leave_at = reason, now
    await audit.record(
        session, now, person.id, "meeting.leave", f"meeting:{meeting.id}", seat=acting.seat.id
    )
    return acting


async def invite_representative(
    session: AsyncSession, meeting_id: int, person: Person, now: datetime
) -> tuple[Acting, str]:
    """Art. 20 ("或其代表"): a one-time link the seat holder gives their representative."""
    meeting = await _before_start(session, meeting_id, now)
    acting = await _holder_at(session, meeting, person)
    row = await _attendance_row(session, acting, meeting.id)
    row.representative_id, row.representative_token = None, secrets.token_hex(16)
    row.representative_name = None
    acting.representative = None
    return acting, row.representative_token


def representative_link(bot_username: str | None, token: str) -> str:
    """t.me deep link; the payload (5 + 32 characters) is within Telegram's 64."""
    return start_link(bot_username, f"{REPRESENTATIVE_PREFIX}_{token}")


async def accept_representative(
    session: AsyncSession, token: str, person: Person, now: datetime
) -> tuple[Meeting, Acting]:
    """Binds the person who opened the link as the seat's representative at that meeting."""
    row, meeting = await _valid_invitation(session, token, person, now)
    row.representative_id, row.representative_token = person.id, None
    # Kept as the minutes and attendance lists print it: the roster's name if they are on it.
    row.representative_name = await printed_name_of(session, person)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:  # the same person representing two seats
        raise DomainError(ONE_REPRESENTATION) from error
    subject = f"meeting:{meeting.id}"
    await audit.record(
        session, now, person.id, "meeting.representative", subject, seat=row.seat_id
    )
    acting = await _seat_at(session, meeting, await stored.seat(session, row.seat_id))
    if acting is None:
        raise DomainError(INVALID_LINK)
    return meeting, acting


async def _valid_invitation(
    session: AsyncSession, token: str, person: Person, now: datetime
) -> tuple[Attendance, Meeting]:
    """The unused link of a meeting not yet begun, opened by someone who holds no seat."""
    row = await stored.by_representative_token(session, token)
    meeting = await stored.meeting(session, row.meeting_id) if row else None
    if row is None or meeting is None or not rules.before_start(now, meeting.starts_at, False):
        raise DomainError(INVALID_LINK)
    if meeting.status is not MeetingStatus.SCHEDULED:
        raise DomainError(INVALID_LINK)
    if await stored.active_seat_of(session, person.id) is not None:
        raise DomainError(SEAT_HOLDER_REPRESENTS)
    return row, meeting


async def withdraw_representative(
    session: AsyncSession, meeting_id: int, person: Person, now: datetime
) -> tuple[Acting, Person | None]:
    """The seat holder acts again in person; the former representative is returned."""
    meeting = await _before_start(session, meeting_id, now)
    acting = await _holder_at(session, meeting, person)
    former = acting.representative
    if acting.attendance is not None:
        row = acting.attendance
        row.representative_id = row.representative_token = row.representative_name = None
    acting.representative = None
    return acting, former


# -- at the meeting: check-in and quorum (art. 20) -----------------------------------------------


async def start(
    session: AsyncSession, meeting_id: int, actor_id: int, now: datetime
) -> tuple[Board, list[tuple[Seat, Person]]]:
    """Opens check-in, from two hours before the announced time (so that no meeting is held
    sooner than announced, art. 20); reminders stop. Seats a unit no longer has end first."""
    meeting = await _meeting(session, meeting_id, MeetingStatus.SCHEDULED, NOT_SCHEDULED)
    if now < meeting.starts_at - START_EARLY:
        raise DomainError(TOO_EARLY)
    ended = await seat_service.reconcile(session, now)
    meeting.status, meeting.started_at = MeetingStatus.IN_PROGRESS, now
    await _cancel_reminders(session, meeting, now)
    await audit.record(session, now, actor_id, "meeting.start", f"meeting:{meeting.id}")
    return await _board(session, meeting), ended


async def check_in(
    session: AsyncSession, meeting_id: int, person: Person, now: datetime, zone: tzinfo
) -> tuple[Acting, bool]:
    """Art. 20: the seat holder (or representative) is present; False if already checked in."""
    meeting = await _meeting(session, meeting_id, MeetingStatus.IN_PROGRESS, NOT_IN_PROGRESS)
    acting = await _acting_at(session, meeting, person)
    return acting, await _check_in(session, meeting, acting, person.id, now, zone)


async def check_in_seat(
    session: AsyncSession,
    meeting_id: int,
    seat_id: int,
    actor_id: int,
    now: datetime,
    zone: tzinfo,
) -> tuple[Acting, bool]:
    """The secretariat checks a seat in on its holder's (or representative's) behalf."""
    meeting = await _meeting(session, meeting_id, MeetingStatus.IN_PROGRESS, NOT_IN_PROGRESS)
    acting = next(
        (a for a in (await _board(session, meeting)).seats if a.seat.id == seat_id), None
    )
    if acting is None:
        raise StaleButton()
    return acting, await _check_in(session, meeting, acting, actor_id, now, zone)


async def _check_in(
    session: AsyncSession,
    meeting: Meeting,
    acting: Acting,
    actor_id: int,
    now: datetime,
    zone: tzinfo,
) -> bool:
    if acting.present:
        return False
    row = await _attendance_row(session, acting, meeting.id)
    row.checked_in_at, row.checked_in_by = now, actor_id
    await record_participation(
        session, acting.unit.id, "check-in", local_date(now, zone), f"meeting:{meeting.id}"
    )
    await audit.record(
        session, now, actor_id, "meeting.check_in", f"meeting:{meeting.id}", seat=acting.seat.id
    )
    return True


# -- motions and votes (art. 20, 12, 38) ---------------------------------------------------------


async def open_motion(
    session: AsyncSession, motion_id: int, actor_id: int, now: datetime
) -> tuple[Motion, Board]:
    """Puts a motion to the vote; only while the quorum stands, and one motion at a time."""
    found = await stored.motion(session, motion_id)
    if found is None:
        raise StaleButton()
    meeting = await _meeting(session, found.meeting_id, MeetingStatus.IN_PROGRESS, NOT_IN_PROGRESS)
    motion = await stored.motion(session, motion_id, lock="update")
    assert motion is not None
    if motion.status is not MotionStatus.PENDING:
        raise DomainError(ALREADY_OPENED)
    if await stored.open_motion_of(session, meeting.id) is not None:
        raise DomainError(ANOTHER_OPEN)
    board_ = await _board(session, meeting)
    if not board_.quorum.stands:
        q = board_.quorum
        raise DomainError(NO_QUORUM, present=q.present_units, total=q.all_units)
    motion.status, motion.opened_at = MotionStatus.OPEN, now
    if motion.ballot is BallotKind.SECRET:
        await stored.open_ballot_box(session, motion.id)
    await audit.record(session, now, actor_id, "motion.open", f"motion:{motion.id}")
    return motion, board_


async def cast_vote(
    session: AsyncSession,
    motion_id: int,
    person: Person,
    choice: Choice,
    now: datetime,
    zone: tzinfo,
    in_group: bool = False,
) -> Cast:
    """Art. 20: one vote per seat present, recorded with its time; the database refuses a
    second. An open-ballot vote may change until the motion closes; a secret one is final."""
    motion = await _open_for_voting(session, motion_id, in_group)
    meeting = await stored.meeting(session, motion.meeting_id)
    assert meeting is not None
    acting = await _acting_at(session, meeting, person)
    if not acting.present:
        raise DomainError(NOT_CHECKED_IN)
    existing = await stored.vote_of(session, motion.id, acting.seat.id)
    if existing is not None:
        return await _change_vote(session, motion, acting, existing, choice, now)
    cast = await _record_vote(session, motion, acting, person, choice, now)
    today = local_date(now, zone)
    await record_participation(session, acting.unit.id, "vote", today, f"motion:{motion.id}")
    return cast


async def _open_for_voting(session: AsyncSession, motion_id: int, in_group: bool) -> Motion:
    motion = await stored.motion(session, motion_id, lock="share")
    if motion is None:
        raise StaleButton()
    if motion.status is not MotionStatus.OPEN:
        closed = motion.status is MotionStatus.CLOSED
        raise DomainError(VOTING_CLOSED if closed else VOTING_NOT_OPEN)
    if in_group and motion.ballot is BallotKind.SECRET:
        raise DomainError(SECRET_IN_PRIVATE)
    return motion


async def _record_vote(
    session: AsyncSession,
    motion: Motion,
    acting: Acting,
    person: Person,
    choice: Choice,
    now: datetime,
) -> Cast:
    secret = motion.ballot is BallotKind.SECRET
    nonce = secrets.token_hex(16) if secret else None
    receipt = rules.ballot_receipt(motion.id, choice, nonce) if nonce else None
    vote = Vote(
        motion_id=motion.id,
        seat_id=acting.seat.id,
        person_id=person.id,
        choice=None if secret else choice,
        cast_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(vote)
            if receipt is not None:  # in the motion's box, which names no voter
                await stored.drop_ballot(session, motion.id, receipt, choice)
    except IntegrityError as error:  # a double press, or the representative and holder at once
        raise DomainError(ALREADY_VOTED) from error
    details = {"seat": acting.seat.id} if secret else {"seat": acting.seat.id, "choice": choice}
    await audit.record(session, now, person.id, "vote.cast", f"motion:{motion.id}", **details)
    return Cast(motion, acting, choice, receipt=receipt, nonce=nonce)


async def _change_vote(
    session: AsyncSession,
    motion: Motion,
    acting: Acting,
    vote: Vote,
    choice: Choice,
    now: datetime,
) -> Cast:
    if motion.ballot is BallotKind.SECRET:
        raise DomainError(SECRET_FINAL)
    if vote.choice is choice:
        return Cast(motion, acting, choice, unchanged=True)
    if not rules.VOTES_CHANGEABLE:
        raise DomainError(ALREADY_VOTED)
    vote.choice, vote.changed_at = choice, now
    await audit.record(
        session,
        now,
        acting.person.id,
        "vote.change",
        f"motion:{motion.id}",
        seat=acting.seat.id,
        choice=choice,
    )
    return Cast(motion, acting, choice, changed=True)


async def live_tally(session: AsyncSession, motion: Motion) -> tuple[dict[Choice, int], int]:
    """Votes so far: counts by choice (open ballots only — a secret ballot shows none until
    it closes), and how many have voted."""
    voted = await stored.count_votes(session, motion.id)
    if motion.ballot is BallotKind.SECRET:
        return {}, voted
    return await stored.open_tally(session, motion.id), voted


async def close_motion(
    session: AsyncSession, motion_id: int, actor_id: int, now: datetime
) -> Closing:
    """Art. 20: counts the votes and decides — passed with half or more of those present."""
    motion = await stored.motion(session, motion_id, lock="update")
    if motion is None:
        raise StaleButton()
    if motion.status is not MotionStatus.OPEN:
        raise DomainError(VOTING_NOT_OPEN)
    secret = motion.ballot is BallotKind.SECRET
    counts = await (stored.secret_tally if secret else stored.open_tally)(session, motion.id)
    board_ = await board(session, motion.meeting_id)
    voted = {v.seat_id for v in await stored.votes_of(session, motion.id)}
    present = len({a.seat.id for a in board_.seats if a.present} | voted)
    _decide(motion, counts, present, now)
    published = await stored.receipts(session, motion.id) if secret else []
    if secret:
        motion.receipts_digest = rules.tally_digest(published)
    await audit.record(
        session, now, actor_id, "motion.close", f"motion:{motion.id}", **_result(motion)
    )
    return Closing(motion, board_, published)


def _decide(motion: Motion, counts: dict[Choice, int], present: int, now: datetime) -> None:
    motion.votes_for = counts.get(Choice.FOR, 0)
    motion.votes_against = counts.get(Choice.AGAINST, 0)
    motion.abstentions = counts.get(Choice.ABSTAIN, 0)
    motion.present = present
    motion.passed = rules.motion_passes(motion.votes_for, present)
    motion.status, motion.closed_at = MotionStatus.CLOSED, now


def _result(motion: Motion) -> dict[str, object]:
    return {
        "for": motion.votes_for,
        "against": motion.votes_against,
        "abstain": motion.abstentions,
        "present": motion.present,
        "passed": motion.passed,
        "receipts_digest": motion.receipts_digest,
    }


# -- after the meeting: absences and minutes (art. 17, 19) ---------------------------------------


async def end(session: AsyncSession, meeting_id: int, actor_id: int, now: datetime) -> Ending:
    """Records each seat's presence, applies art. 19's absences rule, keeps the minutes."""
    meeting = await _meeting(session, meeting_id, MeetingStatus.IN_PROGRESS, NOT_IN_PROGRESS)
    if await stored.open_motion_of(session, meeting.id) is not None:
        raise DomainError(MOTIONS_OPEN)
    live = await _board(session, meeting)
    counted = [a for a in live.seats if a.seat.since <= (meeting.started_at or now)]
    for acting in counted:
        row = await _attendance_row(session, acting, meeting.id)
        row.presence = _presence(acting)
    meeting.status, meeting.ended_at = MeetingStatus.ENDED, now
    meeting.units_total, meeting.units_present = live.quorum.all_units, live.quorum.present_units
    await session.flush()
    lost = await seat_service.lose_seats_after_absences(session, [a.seat.id for a in counted], now)
    record = await minutes_record(session, meeting.id)
    await audit.record(
        session,
        now,
        actor_id,
        "meeting.minutes",
        f"meeting:{meeting.id}",
        **minutes.as_details(record),
    )
    return Ending(await _board(session, meeting), lost, record)


def _presence(acting: Acting) -> Presence:
    if acting.present:
        return Presence.PRESENT
    return Presence.EXCUSED if acting.on_leave else Presence.ABSENT


async def approve_minutes(
    session: AsyncSession, meeting_id: int, actor_id: int, now: datetime
) -> Board:
    """The meeting approved its minutes: the results may now go to the members."""
    meeting = await _meeting(session, meeting_id, MeetingStatus.ENDED, NOT_ENDED)
    if meeting.minutes_approved_at is not None:
        raise DomainError(ALREADY_APPROVED)
    meeting.minutes_approved_at = now
    await audit.record(session, now, actor_id, "meeting.minutes_approved", f"meeting:{meeting.id}")
    return await _board(session, meeting)


async def minutes_record(session: AsyncSession, meeting_id: int) -> minutes.MinutesRecord:
    """The meeting's record as plain data: attendance, motions, counts, results, receipts."""
    board_ = await board(session, meeting_id)
    meeting = board_.meeting
    return minutes.MinutesRecord(
        meeting_id=meeting.id,
        starts_at=meeting.starts_at,
        place=meeting.place,
        ended_at=meeting.ended_at,
        units_total=board_.quorum.all_units,
        units_present=board_.quorum.present_units,
        seats=[_seat_line(a) for a in board_.seats],
        motions=[await _motion_line(session, m, board_) for m in board_.motions],
    )


def _seat_line(acting: Acting) -> minutes.SeatLine:
    row = acting.attendance
    return minutes.SeatLine(
        unit=acting.unit.name,
        holder=acting.seat.name,
        representative=row.representative_name if row and row.representative_id else None,
        presence=row.presence if row and row.presence else _presence(acting),
        checked_in_at=row.checked_in_at if row else None,
        leave_reason=row.leave_reason if row else None,
    )


async def _motion_line(session: AsyncSession, motion: Motion, board_: Board) -> minutes.MotionLine:
    by_seat = {a.seat.id: a for a in board_.seats}
    votes = []
    for vote in await stored.votes_of(session, motion.id):
        acting = by_seat.get(vote.seat_id)
        if vote.choice is not None and acting is not None:
            votes.append(
                minutes.VoteLine(acting.unit.name, acting.seat.name, vote.choice, vote.cast_at)
            )
    closed_secret = motion.ballot is BallotKind.SECRET and motion.status is MotionStatus.CLOSED
    return minutes.MotionLine(
        position=motion.position,
        title=motion.title,
        kind=motion.kind,
        ballot=motion.ballot,
        status=motion.status,
        votes_for=motion.votes_for,
        votes_against=motion.votes_against,
        abstentions=motion.abstentions,
        present=motion.present,
        passed=motion.passed,
        votes=votes,
        receipts=await stored.receipts(session, motion.id) if closed_secret else [],
        receipts_digest=motion.receipts_digest,
    )


# -- the leadership's group chat -----------------------------------------------------------------


async def link_group(session: AsyncSession, chat_id: int, actor_id: int, now: datetime) -> None:
    """Makes this group the leadership's voting chat, replacing any linked before."""
    previous = await stored.leadership_chat(session)
    if previous is not None:
        await session.delete(previous)
        await session.flush()
    session.add(LeadershipChat(chat_id=chat_id, linked_at=now, linked_by=actor_id))
    await audit.record(session, now, actor_id, "leadership_chat.link", f"chat:{chat_id}")


async def unlink_group(session: AsyncSession, actor_id: int, now: datetime) -> bool:
    previous = await stored.leadership_chat(session)
    if previous is None:
        return False
    await session.delete(previous)
    await audit.record(
        session, now, actor_id, "leadership_chat.unlink", f"chat:{previous.chat_id}"
    )
    return True


async def group_chat_id(session: AsyncSession) -> int | None:
    chat = await stored.leadership_chat(session)
    return chat.chat_id if chat else None


# -- reminders (art. 20, 27) ---------------------------------------------------------------------


async def quarter_needs_meeting(session: AsyncSession, now: datetime, zone: tzinfo) -> bool:
    """Art. 27: True when this quarter (in the center's time zone) has no meeting held or
    scheduled — the hook for the quarterly reminder to the secretariat."""
    first, last = rules.quarter_of(local_date(now, zone))
    start = datetime.combine(first, datetime.min.time(), zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone)
    found = await stored.meetings_between(session, start, end)
    return rules.quarter_needs_meeting(first, [local_date(m.starts_at, zone) for m in found])


async def render_reminder(firing: Firing) -> Reply | None:
    """The reminder before a meeting, or None when it was cancelled or has begun."""
    meeting = await stored.meeting(firing.session, firing.reminder.payload["meeting_id"])
    if meeting is None or meeting.status is not MeetingStatus.SCHEDULED:
        return None
    when = firing.t.datetime(meeting.starts_at)
    return Reply(firing.t(REMINDER_TEXT).format(when=when, place=meeting.place))


def reminder_kinds() -> list[ReminderKind]:
    """This feature's reminder kinds, for bot.reminders.kinds.reminder_kinds()."""
    return [
        ReminderKind(MEETING_REMINDER, REMINDER_LABEL, render_reminder),
        seat_service.term_reminder_kind(),
    ]
