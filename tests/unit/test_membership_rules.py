"""The charter's membership rules, tested as plain functions (art. 11, 14(8), 15, 16)."""

from __future__ import annotations

from datetime import date

import pytest

from bot import validation
from bot.charter import membership as rules
from bot.charter.membership import Discipline, DoorRefusal
from bot.errors import DomainError
from storage.models import UnitStatus
from tests.support.factories import credit_code


@pytest.mark.parametrize(
    ("status", "pending", "expected"),
    [
        (None, False, None),
        (None, True, DoorRefusal.PENDING),
        (UnitStatus.MEMBER, False, DoorRefusal.ALREADY_MEMBER),
        (UnitStatus.SUSPENDED, False, DoorRefusal.ALREADY_MEMBER),
        (UnitStatus.WITHDRAWING, False, DoorRefusal.ALREADY_MEMBER),
        (UnitStatus.WITHDRAWN, False, DoorRefusal.MAY_NOT_REJOIN),  # art. 16(6)
        (UnitStatus.EXPELLED, True, DoorRefusal.MAY_NOT_REJOIN),
    ],
)
def test_door_refusal_art_11_16_6(
    status: UnitStatus | None, pending: bool, expected: DoorRefusal | None
) -> None:
    assert rules.door_refusal(status, pending) == expected


@pytest.mark.parametrize(
    ("status", "rights"),
    [
        (UnitStatus.MEMBER, True),
        (UnitStatus.WITHDRAWING, True),  # still a member during the 30 days
        (UnitStatus.SUSPENDED, False),
        (UnitStatus.WITHDRAWN, False),
        (UnitStatus.EXPELLED, False),
        (UnitStatus.APPLICANT, False),
    ],
)
def test_member_rights_art_13_15_16_5(status: UnitStatus, rights: bool) -> None:
    assert rules.has_member_rights(status) is rights


def test_discipline_art_15() -> None:
    member = UnitStatus.MEMBER
    assert rules.status_after_discipline(Discipline.WARNING, member) is member
    assert rules.status_after_discipline(Discipline.CRITICISM, member) is member
    assert rules.status_after_discipline(Discipline.SUSPENSION, member) is UnitStatus.SUSPENDED
    assert rules.status_after_discipline(Discipline.EXPULSION, UnitStatus.SUSPENDED) is (
        UnitStatus.EXPELLED
    )
    with pytest.raises(ValueError):
        rules.status_after_discipline(Discipline.WARNING, UnitStatus.WITHDRAWN)


def test_withdrawal_thirty_days_art_16_1() -> None:
    assert rules.withdrawal_effective_on(date(2026, 11, 25)) == date(2026, 12, 25)
    assert rules.withdrawal_effective_on(date(2027, 2, 1)) == date(2027, 3, 3)


def test_inactivity_two_years_art_16_2() -> None:
    assert rules.inactivity_deadline(date(2026, 11, 25)) == date(2028, 11, 25)
    assert rules.inactivity_deadline(date(2028, 2, 29)) == date(2030, 2, 28)
    assert rules.inactivity_warning_on(date(2026, 11, 25)) == date(2028, 9, 26)
    joined = date(2026, 1, 1)
    assert rules.last_participation(joined, []) == joined
    assert rules.last_participation(joined, [date(2027, 5, 1), date(2026, 3, 1)]) == date(
        2027, 5, 1
    )


def test_a_unit_keeps_a_contact_art_14_8() -> None:
    assert rules.may_remove_contact(1) and not rules.may_remove_contact(0)


@pytest.mark.parametrize("serial", [1, 2, 77, 123456789])
def test_valid_credit_codes(serial: int) -> None:
    code = credit_code(serial)
    assert validation.credit_code(code.lower()) == code
    assert validation.credit_code(f" {code[:6]} {code[6:]} ") == code


def test_a_real_credit_code() -> None:
    assert validation.credit_code("91110000600037341L") == "91110000600037341L"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("91110000600037341", "has 18 characters; this one has 17"),
        ("91110000600037341LX", "this one has 19"),
        ("91110000600037341M", "check digit"),
        ("9111000060003734OL", "other than I, O, S, V and Z"),
        ("9111000060003734SL", "other than I, O, S, V and Z"),
        ("9111000060003734VL", "other than I, O, S, V and Z"),
        ("9111000060003734ZL", "other than I, O, S, V and Z"),
        ("9111000060003734IL", "other than I, O, S, V and Z"),
        ("A1110000600037341L", "first eight characters"),
    ],
)
def test_bad_credit_codes(text: str, says: str) -> None:
    with pytest.raises(DomainError) as refused:
        validation.credit_code(text)
    assert says in refused.value.message.format(**refused.value.params)


@pytest.mark.parametrize(
    "good", ["13800138000", "+86 138-0013-8000", "010-12345678", "+4915112345678"]
)
def test_good_phones(good: str) -> None:
    assert validation.phone(good)


@pytest.mark.parametrize("bad", ["12345", "23800138000", "phone", "+0123"])
def test_bad_phones(bad: str) -> None:
    with pytest.raises(DomainError):
        validation.phone(bad)


@pytest.mark.parametrize(
    "bad", ["a@b", "no at sign", "x@-bad.cn", "two@@x.cn", "a" * 250 + "@x.cn"]
)
def test_bad_emails(bad: str) -> None:
    with pytest.raises(DomainError):
        validation.email(bad)


def test_good_email() -> None:
    assert validation.email(" zhang.san@chinalco.com.cn ") == "zhang.san@chinalco.com.cn"
