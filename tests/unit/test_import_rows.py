"""Roster rows checked like the application form; the art. 19 limits on seats and directors."""

from __future__ import annotations

import pytest

from bot.charter.roster import directors_allowed, seat_holders_allowed
from bot.errors import DomainError
from bot.services import roster_template
from bot.services.roster_rows import RefusedRow, RosterRow, check_row, check_rows, read_table
from storage.models import UnitTier
from tests.support.factories import credit_code

HEADER = "单位名称,统一社会信用代码,单位类型,细分领域,所在地区,成员级别," + (
    "联系人,联系电话,电子邮箱,主任联席会人选"
)


def row(**changes: str) -> dict[str, str]:
    values = {
        "name": "有色示范企业",
        "credit_code": credit_code(1),
        "unit_type": "企业",
        "sub_sectors": "冶炼、加工",
        "region": "内蒙古",
        "tier": "",
        "contact_name": "张三",
        "phone": "138 0013 8000",
        "email": "z@example.cn",
    }
    return {**values, **changes}


def test_a_good_row_is_normalised() -> None:
    checked = check_row(2, row(tier="主任单位", seat_holders="李四, 13900139000; 王五"))
    assert isinstance(checked, RosterRow)
    assert checked.unit_type == "enterprise"
    assert checked.sub_sectors == ("smelting", "processing")
    assert checked.tier is UnitTier.DIRECTOR
    assert checked.contact.phone == "13800138000"
    assert [p.name for p in checked.seat_holders] == ["李四", "王五"]


def test_every_bad_field_is_named() -> None:
    bad_code = credit_code(1)[:-1] + ("0" if credit_code(1)[-1] != "0" else "1")
    checked = check_row(7, row(credit_code=bad_code, email="nope", sub_sectors="钢铁", region=""))
    assert isinstance(checked, RefusedRow) and checked.line == 7
    assert {p.field for p in checked.problems} == {"credit_code", "email", "sub_sectors", "region"}


def test_art19_seat_holders_per_tier() -> None:
    assert seat_holders_allowed(UnitTier.DIRECTOR, 2)
    assert not seat_holders_allowed(UnitTier.DIRECTOR, 3)
    assert not seat_holders_allowed(UnitTier.DEPUTY_DIRECTOR, 2)
    assert not seat_holders_allowed(UnitTier.MEMBER, 1)
    checked = check_row(3, row(seat_holders="李四"))  # a member unit has no seat
    assert isinstance(checked, RefusedRow)
    assert checked.problems[0].field == "seat_holders"


def test_art19_at_most_two_director_units() -> None:
    assert directors_allowed(2) and not directors_allowed(3)


def test_a_credit_code_twice_refuses_the_later_row() -> None:
    accepted, refused = check_rows(
        [(2, row()), (3, row(name="另一个")), (4, row(credit_code=credit_code(2)))]
    )
    assert [r.line for r in accepted] == [2, 4]
    assert refused[0].line == 3 and refused[0].problems[0].params == {"row": 2}


def test_csv_in_gb18030_with_row_numbers() -> None:
    lines = [
        HEADER,
        ",".join(row().values()) + ",",
        "",
        ",".join(row(credit_code=credit_code(3)).values()) + ",",
    ]
    table = read_table("\n".join(lines).encode("gb18030"))
    assert [number for number, _ in table] == [2, 4]


def test_not_a_roster_is_refused_by_content() -> None:
    with pytest.raises(DomainError):
        read_table(b"%PDF-1.4 not a table\x00")
    with pytest.raises(DomainError, match="lacks these columns"):
        read_table("单位名称,地区\n某单位,北京\n".encode())


@pytest.mark.parametrize("name", [roster_template.XLSX_NAME, roster_template.CSV_NAME])
def test_the_shipped_template_checks_cleanly(name: str) -> None:
    accepted, refused = check_rows(read_table(roster_template.shipped(name)))
    assert refused == [] and len(accepted) == len(roster_template.EXAMPLES)
    assert accepted[0].tier is UnitTier.DIRECTOR and len(accepted[0].seat_holders) == 2


def test_the_shipped_template_is_what_the_code_makes() -> None:
    assert roster_template.shipped(roster_template.CSV_NAME) == roster_template.to_csv()
