"""Typed input from a Chinese input method: full-width digits, letters and punctuation are
read as their ASCII forms (NFKC) by every validator of codes, numbers, dates and phones."""

from __future__ import annotations

from datetime import date

import pytest

from bot import validation
from bot.errors import DomainError
from bot.services import projects, roles
from bot.services.documents import normalise_trace_code
from storage.models import Role
from tests.support.factories import credit_code


def full_width(text: str) -> str:
    """What a Chinese input method in full-width mode types for `text`."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_typed_normalises_full_width_and_the_ideographic_space() -> None:
    assert validation.typed("\u3000１２３４５６\u3000") == "123456"
    assert validation.typed("２０２７－０３－０１　０９：３０") == "2027-03-01 09:30"
    assert validation.typed(None) == ""


def test_full_width_credit_code() -> None:
    """python-stdnum already cleans full width; kept so that a change of library cannot
    bring the failure back."""
    code = credit_code(7)
    assert validation.credit_code(full_width(code.lower())) == code


def test_full_width_phone_is_stored_in_ascii() -> None:
    assert validation.phone("１３８　００１３－８０００") == "13800138000"
    assert validation.phone("０１０－１２３４５６７８") == "01012345678"


def test_digits_of_other_scripts_are_not_a_phone() -> None:
    with pytest.raises(DomainError):
        validation.phone("13٨٠٠١٣٨٠٠٠")  # Arabic-Indic digits: NFKC keeps them


def test_full_width_email() -> None:
    assert validation.email(full_width("name@company.cn")) == "name@company.cn"


def test_full_width_date_and_telegram_id() -> None:
    assert projects.starts_on("２０２７－０３－０１", date(2027, 1, 1)) == date(2027, 3, 1)
    assert roles.parse_telegram_id("１２３４５６７８９") == 123456789
    assert roles.parse_role(full_width("expert")) is Role.EXPERT


@pytest.mark.parametrize("typed", ["9" * 25, "1_000", "+5", "-5", "0", "٣", "2" * 17])
def test_telegram_ids_out_of_range_or_shape_are_refused(typed: str) -> None:
    with pytest.raises(DomainError):
        roles.parse_telegram_id(typed)  # 25 digits overflowed SQLite's integer


def test_full_width_trace_code() -> None:
    assert normalise_trace_code("ａｂ１２－ｃｄ") == normalise_trace_code("AB12-CD")


def test_free_text_keeps_its_full_width_punctuation() -> None:
    name = "有色金属（北京）研究院，第一分院"
    assert validation.short_text(name) == name
