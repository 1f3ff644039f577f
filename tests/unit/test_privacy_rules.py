"""Who sees a contact's phone and e-mail; what an erasure leaves; scrubbing texts (PIPL)."""

from __future__ import annotations

import pytest

from bot.charter.privacy import (
    ContactFate,
    Viewer,
    contact_after_erasure,
    contact_details,
    may_see_contact_details,
)
from bot.services.privacy import personal_strings, scrub
from storage.models import Role

OWN_UNIT, OTHER_UNIT = 1, 2
ME, SOMEONE = 10, 11


@pytest.mark.parametrize(
    ("roles", "viewer_unit", "unit", "sees"),
    [
        ({Role.SECRETARIAT}, None, OWN_UNIT, True),
        ({Role.SECRETARIAT}, OTHER_UNIT, OWN_UNIT, True),
        ({Role.CONTACT}, OWN_UNIT, OWN_UNIT, True),
        ({Role.CONTACT}, OTHER_UNIT, OWN_UNIT, False),
        ({Role.LEADERSHIP}, None, OWN_UNIT, False),
        ({Role.LEADERSHIP, Role.CONTACT}, OWN_UNIT, OWN_UNIT, True),
        ({Role.LEADERSHIP, Role.CONTACT}, OTHER_UNIT, OWN_UNIT, False),
        ({Role.EXPERT}, None, OWN_UNIT, False),
        ({Role.GUEST}, None, OWN_UNIT, False),
        ({Role.GUEST}, None, None, False),  # no unit at all is nobody's own unit
    ],
)
def test_who_sees_a_units_contact_details(
    roles: set[Role], viewer_unit: int | None, unit: int | None, sees: bool
) -> None:
    viewer = Viewer(ME, frozenset(roles | {Role.GUEST}), viewer_unit)
    assert may_see_contact_details(viewer, unit) is sees
    shown = contact_details(viewer, "13800138000", "a@example.cn", unit)
    assert shown == ("13800138000 a@example.cn" if sees else "")


@pytest.mark.parametrize(
    ("roles", "subject", "sees"),
    [
        ({Role.GUEST}, ME, True),  # an applicant sees their own answers
        ({Role.GUEST}, SOMEONE, False),
        ({Role.CONTACT}, SOMEONE, False),
        ({Role.LEADERSHIP}, SOMEONE, False),
        ({Role.SECRETARIAT}, SOMEONE, True),
    ],
)
def test_who_sees_a_persons_own_details(roles: set[Role], subject: int, sees: bool) -> None:
    viewer = Viewer(ME, frozenset(roles), OTHER_UNIT)
    assert may_see_contact_details(viewer, person_id=subject) is sees


def test_details_show_what_there_is() -> None:
    viewer = Viewer(ME, frozenset({Role.SECRETARIAT}))
    assert contact_details(viewer, "", "a@example.cn", OWN_UNIT) == "a@example.cn"
    assert contact_details(viewer, "", "", OWN_UNIT) == ""


def test_a_units_only_contact_is_blanked_not_removed() -> None:
    """Art. 14(8): the unit keeps a contact record; any other contact lets it go."""
    assert contact_after_erasure(0) is ContactFate.BLANK
    assert contact_after_erasure(1) is ContactFate.REMOVE
    assert contact_after_erasure(3) is ContactFate.REMOVE


def test_scrub_replaces_texts_and_keeps_keys_ids_and_choices() -> None:
    details = {
        "seats": [{"holder": "王伟", "seat": 3, "leave_reason": "王伟 出差 13800138000"}],
        "choice": "for",
        "王伟": 1,
    }
    strings = personal_strings(["王伟", "13800138000", "", " ", "x", None])
    assert strings == ["13800138000", "王伟"]
    assert scrub(details, strings, "erased#5") == {
        "seats": [{"holder": "erased#5", "seat": 3, "leave_reason": "erased#5 出差 erased#5"}],
        "choice": "for",
        "王伟": 1,
    }


def test_longer_strings_go_whole() -> None:
    """A name inside an e-mail address must not leave the rest of the address behind."""
    strings = personal_strings(["zhang", "zhang@example.cn"])
    assert scrub("write to zhang@example.cn", strings, "#") == "write to #"
