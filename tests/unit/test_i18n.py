"""Every message in the code has a translation in both catalogs, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, SUPPORTED, Catalogs, resolve_locale

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"t": None, "nt": (1, 2), "N_": None}
METHOD = [("**.py", "python")]


def code_messages() -> set[str]:
    found = set()
    for package in ("bot", "handlers", "storage"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, METHOD, keywords=KEYWORDS
        ):
            found.update([message] if isinstance(message, str) else message)
    return found


def catalog(locale: str) -> dict[str, str]:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        entries = read_po(po)
    table = {}
    for m in entries:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        text = "" if m.fuzzy or not all(strings) else strings[0]
        table.update(dict.fromkeys(ids, text))
    return table


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("locale", SUPPORTED)
def test_every_message_is_translated(locale: str) -> None:
    translations = catalog(locale)
    missing = sorted(m for m in code_messages() if not translations.get(m))
    assert missing == [], f"untranslated in {locale}; run scripts/update-catalogs.sh: {missing}"


@pytest.mark.parametrize("locale", SUPPORTED)
def test_translations_keep_placeholders(locale: str) -> None:
    wrong = {
        msgid: text
        for msgid, text in catalog(locale).items()
        if text and placeholders(msgid) != placeholders(text)
    }
    assert wrong == {}


def test_extraction_sees_the_code() -> None:
    # Guards the two tests above against an extractor that finds nothing.
    assert "This button is no longer valid. Send /start to begin again." in code_messages()


def test_chinese_is_really_chinese() -> None:
    translator = Catalogs("zh_CN", "Asia/Shanghai").translator("zh_CN")
    assert re.search(r"[\u4e00-\u9fff]", translator("Choose your language:"))


@pytest.mark.parametrize(
    ("stored", "telegram", "expected"),
    [
        ("en", "zh-hans", "en"),  # the person's choice wins
        (None, "zh-hans", "zh_CN"),
        (None, "zh", "zh_CN"),
        (None, "zh-CN", "zh_CN"),
        (None, "en-GB", "en"),
        (None, "de", "zh_CN"),  # the default
        (None, None, "zh_CN"),
        ("xx", "en", "en"),  # an unknown stored value is ignored
    ],
)
def test_resolve_locale(stored: str | None, telegram: str | None, expected: str) -> None:
    assert resolve_locale(stored, telegram, "zh_CN") == expected


def test_dates_in_the_users_time_zone() -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    zh = Catalogs("zh_CN", "Asia/Shanghai").translator("zh_CN")
    en = Catalogs("zh_CN", "Asia/Shanghai").translator("en", "Europe/London")
    assert "10:00" in zh.datetime(moment)
    assert "2:00" in en.datetime(moment)
