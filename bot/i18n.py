"""Message catalogs (Babel), locale resolution and locale-aware formatting."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, Translations

from bot.clock import local_date

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
SUPPORTED = ("zh_CN", "en")

# Telegram's language_code values that mean Simplified Chinese.
_ALIASES = {"zh": "zh_CN", "zh-hans": "zh_CN", "zh-cn": "zh_CN", "zh-sg": "zh_CN"}


class Reader(Protocol):
    """Whoever a message is for: a person with their language choices."""

    @property
    def id(self) -> int: ...
    @property
    def locale(self) -> str | None: ...
    @property
    def language_code(self) -> str | None: ...


R = TypeVar("R", bound=Reader)


def resolve_locale(stored: str | None, language_code: str | None, default: str) -> str:
    """The person's own choice first, then their Telegram language, then the default."""
    if stored in SUPPORTED:
        return stored
    code = (language_code or "").lower().replace("_", "-")
    if code in _ALIASES:
        return _ALIASES[code]
    if code.split("-")[0] == "en":
        return "en"
    return default


def load_catalog(locale: str, locales_dir: Path = LOCALES_DIR) -> Translations:
    """Compiles a `.po` file in memory, so no build step is needed before running."""
    with (locales_dir / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


class Catalogs:
    """All catalogs, loaded once at start-up by the composition root."""

    def __init__(self, default_locale: str, timezone: str) -> None:
        self.default_locale = default_locale
        self.timezone = timezone
        self._translations = {locale: load_catalog(locale) for locale in SUPPORTED}

    def for_person(self, chosen: str | None, language_code: str | None) -> Translator:
        """The translator for a person, from their stored choice or their Telegram language."""
        return self.translator(resolve_locale(chosen, language_code, self.default_locale))

    def readers(self, people: Iterable[R]) -> Iterator[tuple[R, Translator]]:
        """Each person once (by id), with their translator: one copy of a message each."""
        seen: set[int] = set()
        for person in people:
            if person.id not in seen:
                seen.add(person.id)
                yield person, self.for_person(person.locale, person.language_code)

    def translator(self, locale: str, timezone: str | None = None) -> Translator:
        locale = locale if locale in self._translations else self.default_locale
        return Translator(locale, self._translations[locale], ZoneInfo(timezone or self.timezone))


@dataclass(frozen=True)
class Translator:
    """Translates and formats for one person."""

    locale: str
    translations: Translations
    zone: ZoneInfo

    def __call__(self, message: str | LazyProxy) -> str:
        return self.translations.gettext(str(message))

    def nt(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)

    def datetime(self, moment: datetime) -> str:
        """A moment to the minute, in the center's 24-hour time, with its weekday:
        "Thu, Dec 17, 2026, 23:00", "2026年12月17日周四 23:00" (Babel's medium order)."""
        local = moment.astimezone(self.zone)
        pattern = get_datetime_format("medium", locale=self.locale)
        return pattern.replace("{1}", self.date(local)).replace("{0}", self.time(local))

    def date(self, day: date | datetime) -> str:
        """A calendar day with its weekday: "Thu, Dec 17, 2026", "2026年12月17日周四"; a moment
        is taken on the center's calendar."""
        if isinstance(day, datetime):
            day = self.today(day)
        return format_skeleton("yMMMEd", day, locale=self.locale)

    def shown(self, value: object) -> object:
        """A message parameter as the person reads it: a day or a moment formatted, the rest
        as it is (the parameters of a refusal or of a note rendered per recipient)."""
        if isinstance(value, datetime):
            return self.datetime(value)
        if isinstance(value, date):
            return self.date(value)
        return value

    def time(self, moment: datetime) -> str:
        """The time of day in the center's zone, 24-hour, to the minute: "08:03"."""
        return format_skeleton("Hm", moment, tzinfo=self.zone, locale=self.locale)

    def today(self, moment: datetime) -> date:
        """The calendar day of `moment` where the person is."""
        return local_date(moment, self.zone)

    @property
    def language_name(self) -> str:
        return Locale.parse(self.locale).get_display_name(self.locale) or self.locale


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; translated where it is shown."""
    return message
