"""Queries over seats, meetings, motions, attendance and votes (art. 19, 20). No commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.meetings_models import (
    Attendance,
    BallotBox,
    Choice,
    LeadershipChat,
    Meeting,
    MeetingStatus,
    Motion,
    MotionStatus,
    Presence,
    Seat,
    Vote,
)
from storage.models import Person, Unit, UnitStatus, UnitTier

# -- seats ---------------------------------------------------------------------------------------


async def seat(session: AsyncSession, seat_id: int) -> Seat | None:
    return await session.get(Seat, seat_id)


async def active_seat_of(session: AsyncSession, person_id: int) -> Seat | None:
    query = select(Seat).where(Seat.person_id == person_id, Seat.ended_at.is_(None))
    return await session.scalar(query)


async def active_seats(session: AsyncSession, unit_id: int | None = None) -> Sequence[Seat]:
    query = select(Seat).where(Seat.ended_at.is_(None)).order_by(Seat.unit_id, Seat.id)
    if unit_id is not None:
        query = query.where(Seat.unit_id == unit_id)
    return (await session.scalars(query)).all()


async def seated_units(
    session: AsyncSession, tiers: Sequence[UnitTier], statuses: Sequence[UnitStatus]
) -> Sequence[Unit]:
    """Units of the tiers that have seats, in the statuses that keep them: the quorum's base."""
    query = select(Unit).where(Unit.tier.in_(list(tiers)), Unit.status.in_(list(statuses)))
    return (await session.scalars(query.order_by(Unit.name, Unit.id))).all()


async def voting_seats(
    session: AsyncSession, tiers: Sequence[UnitTier], statuses: Sequence[UnitStatus]
) -> Sequence[tuple[Seat, Unit, Person]]:
    """Active seats of those units, with their unit and holder."""
    query = (
        select(Seat, Unit, Person)
        .join(Unit, Unit.id == Seat.unit_id)
        .join(Person, Person.id == Seat.person_id)
        .where(
            Seat.ended_at.is_(None),
            Unit.tier.in_(list(tiers)),
            Unit.status.in_(list(statuses)),
        )
        .order_by(Unit.name, Seat.id)
    )
    return [(s, u, p) for s, u, p in (await session.execute(query)).all()]


async def presence_history(session: AsyncSession, seat_id: int) -> list[Presence]:
    """The seat's record at the meetings that have ended, oldest first (art. 19)."""
    query = (
        select(Attendance.presence)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Attendance.seat_id == seat_id, Attendance.presence.is_not(None))
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return list((await session.scalars(query)).all())


# -- meetings and motions ------------------------------------------------------------------------


async def meeting(session: AsyncSession, meeting_id: int, lock: bool = False) -> Meeting | None:
    """The meeting; `lock` takes its row for the transaction, re-read as it is now."""
    if not lock:
        return await session.get(Meeting, meeting_id)
    return await session.get(Meeting, meeting_id, with_for_update=True, populate_existing=True)


async def current_meetings(session: AsyncSession, ended: int = 3) -> list[Meeting]:
    """Meetings scheduled or in progress, soonest first, then the latest `ended` ones."""
    live = select(Meeting).where(
        Meeting.status.in_([MeetingStatus.SCHEDULED, MeetingStatus.IN_PROGRESS])
    )
    done = (
        select(Meeting)
        .where(Meeting.status == MeetingStatus.ENDED)
        .order_by(Meeting.starts_at.desc())
        .limit(ended)
    )
    upcoming = (await session.scalars(live.order_by(Meeting.starts_at))).all()
    return [*upcoming, *(await session.scalars(done)).all()]


async def meetings_between(
    session: AsyncSession, start: datetime, end: datetime
) -> Sequence[Meeting]:
    """Meetings held or scheduled (not cancelled) starting in [start, end)."""
    query = select(Meeting).where(
        Meeting.starts_at >= start,
        Meeting.starts_at < end,
        Meeting.status != MeetingStatus.CANCELLED,
    )
    return (await session.scalars(query)).all()


async def motions_of(session: AsyncSession, meeting_id: int) -> Sequence[Motion]:
    query = select(Motion).where(Motion.meeting_id == meeting_id).order_by(Motion.position)
    return (await session.scalars(query)).all()


async def motion(session: AsyncSession, motion_id: int, lock: str | None = None) -> Motion | None:
    """The motion; `lock="share"` while a vote is cast, `"update"` while it opens or closes,
    so that a vote and the closing of its motion never interleave (PostgreSQL)."""
    if lock is None:
        return await session.get(Motion, motion_id)
    query = select(Motion).where(Motion.id == motion_id).execution_options(populate_existing=True)
    return await session.scalar(query.with_for_update(read=lock == "share"))


async def open_motion_of(session: AsyncSession, meeting_id: int) -> Motion | None:
    query = select(Motion).where(
        Motion.meeting_id == meeting_id, Motion.status == MotionStatus.OPEN
    )
    return await session.scalar(query)


# -- attendance ----------------------------------------------------------------------------------


async def attendance_of(session: AsyncSession, meeting_id: int) -> dict[int, Attendance]:
    """The meeting's attendance rows, by seat id."""
    query = select(Attendance).where(Attendance.meeting_id == meeting_id)
    return {a.seat_id: a for a in (await session.scalars(query)).all()}


async def attendance(session: AsyncSession, meeting_id: int, seat_id: int) -> Attendance | None:
    query = select(Attendance).where(
        Attendance.meeting_id == meeting_id, Attendance.seat_id == seat_id
    )
    return await session.scalar(query)


async def represented_by(
    session: AsyncSession, meeting_id: int, person_id: int
) -> Attendance | None:
    query = select(Attendance).where(
        Attendance.meeting_id == meeting_id, Attendance.representative_id == person_id
    )
    return await session.scalar(query)


async def by_representative_token(session: AsyncSession, token: str) -> Attendance | None:
    query = select(Attendance).where(Attendance.representative_token == token)
    return await session.scalar(query.with_for_update())


async def representations(session: AsyncSession, person_id: int) -> Sequence[Attendance]:
    query = select(Attendance).where(Attendance.representative_id == person_id)
    return (await session.scalars(query)).all()


# -- votes ---------------------------------------------------------------------------------------


async def vote_of(session: AsyncSession, motion_id: int, seat_id: int) -> Vote | None:
    query = select(Vote).where(Vote.motion_id == motion_id, Vote.seat_id == seat_id)
    return await session.scalar(query)


async def votes_of(session: AsyncSession, motion_id: int) -> Sequence[Vote]:
    query = select(Vote).where(Vote.motion_id == motion_id).order_by(Vote.cast_at, Vote.id)
    return (await session.scalars(query)).all()


async def count_votes(session: AsyncSession, motion_id: int) -> int:
    query = select(func.count()).select_from(Vote).where(Vote.motion_id == motion_id)
    return await session.scalar(query) or 0


async def open_tally(session: AsyncSession, motion_id: int) -> dict[Choice, int]:
    """Counts of an open ballot, by choice, from the votes themselves."""
    query = (
        select(Vote.choice, func.count())
        .where(Vote.motion_id == motion_id, Vote.choice.is_not(None))
        .group_by(Vote.choice)
    )
    return {choice: n for choice, n in (await session.execute(query)).all()}


async def open_ballot_box(session: AsyncSession, motion_id: int) -> None:
    """An empty ballot box for a secret motion put to the vote (kept if it has one)."""
    if await session.get(BallotBox, motion_id) is None:
        session.add(BallotBox(motion_id=motion_id, ballots=[]))
        await session.flush()


async def drop_ballot(session: AsyncSession, motion_id: int, receipt: str, choice: Choice) -> None:
    """Adds a secret ballot to its motion's box, under the row's lock, in receipt order."""
    query = select(BallotBox).where(BallotBox.motion_id == motion_id).with_for_update()
    box = await session.scalar(query.execution_options(populate_existing=True))
    if box is None:  # a motion opened before ballot boxes existed
        await open_ballot_box(session, motion_id)
        box = await session.get(BallotBox, motion_id)
        assert box is not None
    box.ballots = sorted([*box.ballots, [receipt, choice.value]])  # a new list: an UPDATE


async def secret_tally(session: AsyncSession, motion_id: int) -> dict[Choice, int]:
    counts: dict[Choice, int] = {}
    for _, choice in await receipts(session, motion_id):
        counts[choice] = counts.get(choice, 0) + 1
    return counts


async def receipts(session: AsyncSession, motion_id: int) -> list[tuple[str, Choice]]:
    """The secret ballots of a motion as (receipt, choice), in receipt order (no cast order)."""
    box = await session.get(BallotBox, motion_id, populate_existing=True)
    return sorted((receipt, Choice(choice)) for receipt, choice in (box.ballots if box else []))


# -- the leadership's group chat -----------------------------------------------------------------


async def leadership_chat(session: AsyncSession) -> LeadershipChat | None:
    return await session.scalar(select(LeadershipChat).limit(1))
