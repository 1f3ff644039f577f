"""Validators for form answers; each bad answer raises a DomainError that says what is wrong."""

from __future__ import annotations

import re
import unicodedata

from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength

from bot.errors import DomainError
from bot.i18n import N_

# ASCII digits only: what NFKC leaves in other scripts is not stored as a phone number.
MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$", re.ASCII)
LANDLINE = re.compile(r"^(?:\+?86)?0\d{2,3}\d{7,8}$", re.ASCII)
INTERNATIONAL = re.compile(r"^\+[1-9]\d{7,14}$", re.ASCII)
EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$"
)
FORBIDDEN_CODE_LETTERS = set("IOSVZ")


def typed(text: str | None) -> str:
    """Typed input as the validators read it: NFKC turns what a Chinese input method types
    in full width (“１２３”, “Ａ”, “－”, “：”, the ideographic space) into ASCII. For codes,
    numbers, dates, phones and ids only: free text keeps its full-width punctuation."""
    return unicodedata.normalize("NFKC", text or "").strip()


def credit_code(text: str) -> str:
    """A Unified Social Credit Code (统一社会信用代码), checked with its GB 32100 check digit."""
    compact = uscc.compact(typed(text))
    if len(compact) != 18:
        raise DomainError(
            N_("A Unified Social Credit Code has 18 characters; this one has {count}."),
            count=len(compact),
        )
    if FORBIDDEN_CODE_LETTERS & set(compact):
        raise DomainError(
            N_("The code uses only digits and capital letters other than I, O, S, V and Z.")
        )
    try:
        return uscc.validate(compact)
    except InvalidChecksum as error:
        raise DomainError(
            N_("The last character (the check digit) does not match; please check the code.")
        ) from error
    except (InvalidLength, ValueError) as error:
        raise DomainError(
            N_("The first eight characters of the code are digits; please check the code.")
        ) from error


def phone(text: str) -> str:
    """A mainland mobile or landline number (with or without +86), or an international one."""
    compact = re.sub(r"[\s\-()]", "", typed(text))
    if MOBILE.match(compact) or LANDLINE.match(compact) or INTERNATIONAL.match(compact):
        return compact
    raise DomainError(
        N_("That does not look like a phone number. Example: 13800138000 or 010-12345678.")
    )


def email(text: str) -> str:
    value = typed(text)
    if len(value) <= 254 and EMAIL.match(value):
        return value
    raise DomainError(N_("That does not look like an e-mail address. Example: name@company.cn"))


def short_text(text: str | None, limit: int = 200) -> str:
    """A one-line answer such as a name or a region."""
    value = " ".join((text or "").split())
    if not value:
        raise DomainError(N_("Please answer with text."))
    if len(value) > limit:
        raise DomainError(N_("Please keep this under {limit} characters."), limit=limit)
    return value
