"""Refusals that say why (issue 20): a suspended unit's contact is told that the suspension is
the reason (art. 15(3)); a refused document names the audience it was judged against, its
review audience until publication (art. 14(4))."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.charter import events as rules
from bot.charter.documents import NOBODY, Audience, Level, audience_now
from bot.charter.events import EventFields, SignupRefusal

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
EVENT = EventFields(
    title="数字化转型研讨会",
    description="",
    starts_at=NOW + timedelta(days=6),
    ends_at=NOW + timedelta(days=6, hours=3),
    place="北京",
    capacity=30,
    members_until=NOW + timedelta(days=3),
    guests_allowed=True,
    per_unit=2,
)
AFTER_WINDOW = NOW + timedelta(days=4)
MEMBERS_ONLY = replace(EVENT, guests_allowed=False)


def refusal(at: datetime, fields: EventFields, *, suspended: bool) -> SignupRefusal | None:
    return rules.signup_refusal(
        at,
        fields,
        open_=True,
        has_member_rights=False,
        unit_signups=0 if suspended else None,
        unit_suspended=suspended,
    )


@pytest.mark.parametrize(
    ("at", "fields", "guest", "suspended"),
    [
        (NOW, EVENT, SignupRefusal.MEMBERS_FIRST, SignupRefusal.SUSPENDED_UNTIL),
        (AFTER_WINDOW, EVENT, None, None),  # both may sign up as guests then
        (NOW, MEMBERS_ONLY, SignupRefusal.MEMBERS_ONLY, SignupRefusal.SUSPENDED),
        (AFTER_WINDOW, MEMBERS_ONLY, SignupRefusal.MEMBERS_ONLY, SignupRefusal.SUSPENDED),
    ],
)
def test_a_suspended_units_contact_is_told_the_suspension_art_15_3(
    at: datetime,
    fields: EventFields,
    guest: SignupRefusal | None,
    suspended: SignupRefusal | None,
) -> None:
    assert refusal(at, fields, suspended=False) is guest
    assert refusal(at, fields, suspended=True) is suspended


def test_a_members_only_event_never_says_try_again_later_art_13_2() -> None:
    """During the window of an event guests may never join, "wait for the window" is wrong."""
    assert refusal(NOW, MEMBERS_ONLY, suspended=False) is SignupRefusal.MEMBERS_ONLY


def test_the_unit_limit_still_counts_for_a_suspended_unit() -> None:
    full = rules.signup_refusal(
        AFTER_WINDOW, EVENT, open_=True, has_member_rights=False, unit_signups=2,
        unit_suspended=True,
    )  # fmt: skip
    assert full is SignupRefusal.UNIT_LIMIT


EXPERTS = Audience(Level.EXPERTS)
REVIEW = Audience(Level.LEADERSHIP)
PUBLICATION = NOW + timedelta(days=1)


@pytest.mark.parametrize(
    ("embargo", "review", "at", "judged"),
    [
        (None, None, NOW, EXPERTS),
        (PUBLICATION, REVIEW, NOW, REVIEW),  # a draft: its reviewers are its audience
        (PUBLICATION, None, NOW, NOBODY),  # a draft with no reviewers: nobody's
        (PUBLICATION, REVIEW, PUBLICATION, EXPERTS),  # published at the minute
    ],
)
def test_the_audience_a_refusal_names_art_14_4(
    embargo: datetime | None, review: Audience | None, at: datetime, judged: Audience
) -> None:
    assert audience_now(EXPERTS, embargo, review, at) == judged
