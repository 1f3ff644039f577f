"""Whether a notice is for a reader now (art. 13(1), 15(3), 16(5)): asked at every read."""

from __future__ import annotations

import pytest

from bot.charter.notices import Audience, AudienceKind, UnitFacts, reaches
from storage.models import Role, UnitStatus, UnitTier

MEMBERS, LEADERSHIP = Audience(AudienceKind.MEMBERS), Audience(AudienceKind.LEADERSHIP)
EVERYONE = Audience(AudienceKind.EVERYONE)
CONTACT = frozenset({Role.GUEST, Role.CONTACT})
SEAT = frozenset({Role.GUEST, Role.LEADERSHIP})


def unit(status: UnitStatus) -> UnitFacts:
    return (7, status, UnitTier.MEMBER, ["smelting"], "内蒙古")


@pytest.mark.parametrize("status", list(UnitStatus))
def test_a_member_notice_follows_the_contacts_unit(status: UnitStatus) -> None:
    allowed = status in (UnitStatus.MEMBER, UnitStatus.WITHDRAWING)
    assert reaches(MEMBERS, CONTACT, [unit(status)], None) is allowed
    assert reaches(EVERYONE, CONTACT, [unit(status)], None)


@pytest.mark.parametrize("status", list(UnitStatus))
def test_a_leadership_notice_follows_the_seats_unit(status: UnitStatus) -> None:
    allowed = status in (UnitStatus.MEMBER, UnitStatus.WITHDRAWING)
    assert reaches(LEADERSHIP, SEAT, [], status) is allowed


def test_a_leadership_role_without_a_seat_is_personal_and_a_contact_is_no_seat() -> None:
    assert reaches(LEADERSHIP, SEAT, [], None)
    assert not reaches(LEADERSHIP, CONTACT, [unit(UnitStatus.MEMBER)], None)
    assert not reaches(MEMBERS, SEAT, [], UnitStatus.MEMBER)  # members are units' contacts
