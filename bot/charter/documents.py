"""Who may be sent which document, and when (charter art. 13(1), 14(4), 15, 16(5))."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from bot.charter.membership import has_member_rights
from storage.documents_models import DocumentLevel as Level
from storage.models import Role, UnitStatus


class Reason(enum.StrEnum):
    """Why a document may, or may not, be sent; the refusals are explained to the person."""

    PUBLIC = "public"
    SECRETARIAT = "secretariat"
    AUDIENCE = "audience"
    REVIEWER = "reviewer"
    NOT_MEMBER = "not_member"
    SUSPENDED = "suspended"
    NOT_PUBLISHED = "not_published"
    NOT_IN_AUDIENCE = "not_in_audience"


@dataclass(frozen=True)
class Audience:
    """An access level, and the units it names when the level is `UNITS`."""

    level: Level
    unit_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason


NOBODY = Audience(Level.UNITS)
_GUEST_ONLY = frozenset({Role.GUEST})
_SEATED_LEVELS = (Level.LEADERSHIP, Level.MEMBERS)


def may_receive_document(
    roles: frozenset[Role],
    unit_status: UnitStatus | None,
    unit_id: int | None,
    audience: Audience,
    embargo_until: datetime | None,
    review_audience: Audience | None,
    now: datetime,
    seat_status: UnitStatus | None = None,
) -> Decision:
    """Art. 13(1), 14(4), 15, 16(5): whether this person may be sent this document now.

    Called at the moment of sending with the person's current roles, the current status of
    the unit they are a contact of (`unit_status`, `unit_id`) and of the unit they hold a
    seat for (`seat_status`), so a suspension (art. 15) or a departure (art. 16(5)) takes
    effect at once. Until its publication time a draft goes only to its review audience
    (art. 14(4)). The secretariat, which publishes documents (art. 26), always may.
    """
    if Role.SECRETARIAT in roles:
        return Decision(True, Reason.SECRETARIAT)
    judged = audience_now(audience, embargo_until, review_audience, now)
    if embargo_until is not None and now < embargo_until:
        return _as_draft(in_audience(roles, unit_status, unit_id, judged, seat_status))
    return in_audience(roles, unit_status, unit_id, judged, seat_status)


def audience_now(
    audience: Audience,
    embargo_until: datetime | None,
    review_audience: Audience | None,
    now: datetime,
) -> Audience:
    """Art. 14(4): the audience a request is judged against — until its publication time a
    draft's review audience (nobody but the secretariat when it has none), then its own.
    A refusal names this audience, so a person learns whom the document is for."""
    if embargo_until is not None and now < embargo_until:
        return review_audience or NOBODY
    return audience


def in_audience(
    roles: frozenset[Role],
    unit_status: UnitStatus | None,
    unit_id: int | None,
    audience: Audience,
    seat_status: UnitStatus | None = None,
) -> Decision:
    """Art. 13(1), 15, 16(5): whether the person belongs to the audience, embargo aside.

    Each role is judged by its own unit's standing. Contacts are in through their unit, whose
    member rights must be active. A seat on the joint meeting is held for a director or
    deputy-director unit (art. 19, 24(6)), so a seat holder's standing is that unit's: its
    suspension or departure closes the seat's way in too. A leadership role with no seat on
    record is personal, as an expert's is (art. 21).
    """
    level = audience.level
    if level is Level.PUBLIC:
        return Decision(True, Reason.PUBLIC)
    if level is Level.EXPERTS and Role.EXPERT in roles:
        return Decision(True, Reason.AUDIENCE)
    ways = []
    if Role.LEADERSHIP in roles and level in _SEATED_LEVELS:
        personal = seat_status is None
        ways.append(Decision(True, Reason.AUDIENCE) if personal else unit_standing(seat_status))
    named = level is Level.UNITS and unit_id in audience.unit_ids
    if Role.CONTACT in roles and (level is Level.MEMBERS or named):
        ways.append(unit_standing(unit_status))
    if not ways:
        reason = Reason.NOT_MEMBER if roles <= _GUEST_ONLY else Reason.NOT_IN_AUDIENCE
        return Decision(False, reason)
    # Any way in is enough; a refusal says "suspended" when that is why a way is closed.
    allowed = [way for way in ways if way.allowed]
    suspended = [way for way in ways if way.reason is Reason.SUSPENDED]
    return (allowed or suspended or ways)[0]


def unit_standing(unit_status: UnitStatus | None) -> Decision:
    """Art. 15(3), 16(5): a unit's people have its rights while it is a member in good standing."""
    if unit_status is not None and has_member_rights(unit_status):
        return Decision(True, Reason.AUDIENCE)
    if unit_status is UnitStatus.SUSPENDED:
        return Decision(False, Reason.SUSPENDED)
    return Decision(False, Reason.NOT_MEMBER)


def _as_draft(review: Decision) -> Decision:
    """Art. 14(4): before publication only reviewers get the draft; the others are told it is
    not yet published, unless their own unit's suspension is the reason."""
    if review.allowed:
        return Decision(True, Reason.REVIEWER)
    if review.reason is Reason.SUSPENDED:
        return review
    return Decision(False, Reason.NOT_PUBLISHED)


def is_confidential(level: Level, embargo_until: datetime | None, now: datetime) -> bool:
    """Art. 14(4): everything but a published public document goes out protected."""
    return level is not Level.PUBLIC or (embargo_until is not None and now < embargo_until)
