"""The notices' rules (art. 13(1), 15, 16(2), 17), without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.charter import notices as rules
from bot.charter.notices import Audience, AudienceKind
from storage.models import UnitStatus, UnitTier

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
MEMBER_AUDIENCES = [
    Audience(AudienceKind.MEMBERS),
    Audience(AudienceKind.DIRECTORS),
    Audience(AudienceKind.SUB_SECTOR, "smelting"),
    Audience(AudienceKind.REGION, "内蒙古"),
]


def reaches(audience: Audience, status: UnitStatus, tier: UnitTier = UnitTier.DIRECTOR) -> bool:
    return rules.unit_in_audience(audience, 7, status, tier, ["smelting"], "内蒙古")


@pytest.mark.parametrize("audience", MEMBER_AUDIENCES)
def test_member_audiences_take_units_with_rights_only_art_13_15(audience: Audience) -> None:
    assert reaches(audience, UnitStatus.MEMBER)
    assert reaches(audience, UnitStatus.WITHDRAWING)  # rights last until the notice ends
    for status in (
        UnitStatus.SUSPENDED,
        UnitStatus.WITHDRAWN,
        UnitStatus.EXPELLED,
        UnitStatus.APPLICANT,
    ):
        assert not reaches(audience, status), status


def test_director_audience_is_director_and_deputy_units() -> None:
    audience = Audience(AudienceKind.DIRECTORS)
    assert reaches(audience, UnitStatus.MEMBER, UnitTier.DEPUTY_DIRECTOR)
    assert not reaches(audience, UnitStatus.MEMBER, UnitTier.MEMBER)


def test_sub_sector_and_region_match_exactly() -> None:
    assert not reaches(Audience(AudienceKind.SUB_SECTOR, "mining"), UnitStatus.MEMBER)
    assert not reaches(Audience(AudienceKind.REGION, "北京"), UnitStatus.MEMBER)


def test_chosen_units_include_a_suspended_one_but_not_a_departed_one() -> None:
    chosen = Audience(AudienceKind.UNITS, unit_ids=frozenset({7}))
    assert reaches(chosen, UnitStatus.SUSPENDED)
    assert not reaches(chosen, UnitStatus.WITHDRAWN)
    assert not rules.unit_in_audience(
        Audience(AudienceKind.UNITS, unit_ids=frozenset({8})),
        7,
        UnitStatus.MEMBER,
        UnitTier.MEMBER,
        [],
        "",
    )


def test_role_audiences_reach_no_unit_as_such() -> None:
    for kind in (AudienceKind.LEADERSHIP, AudienceKind.EXPERTS, AudienceKind.EVERYONE):
        assert not reaches(Audience(kind), UnitStatus.MEMBER)
        assert not rules.is_unit_audience(kind)
    assert rules.is_unit_audience(AudienceKind.MEMBERS)


def test_deadline_must_come_after_sending() -> None:
    assert rules.deadline_problem(NOW, NOW) == "deadline_before_sending"
    assert rules.deadline_problem(NOW + timedelta(minutes=1), NOW) is None


def test_reminders_fall_between_sending_and_deadline() -> None:
    deadline = NOW + timedelta(days=5)
    inside = [NOW + timedelta(days=1), deadline]
    assert rules.reminder_problem(inside, NOW, deadline) is None
    assert rules.reminder_problem([NOW], NOW, deadline) == "outside_window"
    late = [deadline + timedelta(seconds=1)]
    assert rules.reminder_problem(late, NOW, deadline) == "outside_window"
    many = [NOW + timedelta(hours=h) for h in range(1, rules.MAX_REMINDERS + 2)]
    assert rules.reminder_problem(many, NOW, deadline) == "too_many"


def test_only_those_who_have_not_acknowledged_are_reminded_art_16_2() -> None:
    assert rules.to_remind([(1, NOW), (2, None), (3, None)]) == [2, 3]
    assert rules.to_remind([(1, NOW)]) == []


def test_a_notice_is_current_until_its_deadline_or_for_a_window() -> None:
    assert rules.is_current(NOW, NOW + timedelta(days=60), NOW + timedelta(days=59))
    assert not rules.is_current(NOW, NOW + timedelta(days=1), NOW + timedelta(days=1))
    assert rules.is_current(NOW, None, NOW + rules.CURRENT_FOR - timedelta(seconds=1))
    assert not rules.is_current(NOW, None, NOW + rules.CURRENT_FOR)


def test_a_units_first_acknowledgement_is_participation_art_16_2() -> None:
    assert rules.counts_as_participation(5, first=True)
    assert not rules.counts_as_participation(5, first=False)
    assert not rules.counts_as_participation(None, first=True)  # a person of no unit
