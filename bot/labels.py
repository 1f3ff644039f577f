"""Display names (msgids) of the membership vocabulary, for replies and exports."""

from __future__ import annotations

from collections.abc import Sequence

from bot.charter.membership import Discipline
from bot.i18n import N_, Translator
from storage.models import UnitStatus, UnitTier

UNIT_TYPES = {
    "enterprise": N_("enterprise"),
    "association": N_("association"),
    "university": N_("university"),
    "institute": N_("research institute"),
    "provider": N_("solution provider"),
    "other": N_("other"),
}
SUB_SECTORS = {
    "mining": N_("mining and beneficiation"),
    "smelting": N_("smelting"),
    "processing": N_("processing"),
    "other": N_("other"),
}
TIERS = {
    UnitTier.MEMBER: N_("member unit"),
    UnitTier.DEPUTY_DIRECTOR: N_("deputy-director unit"),
    UnitTier.DIRECTOR: N_("director unit"),
}
STATUSES = {
    UnitStatus.APPLICANT: N_("applicant"),
    UnitStatus.MEMBER: N_("member"),
    UnitStatus.SUSPENDED: N_("rights suspended"),
    UnitStatus.WITHDRAWING: N_("withdrawing"),
    UnitStatus.WITHDRAWN: N_("withdrawn"),
    UnitStatus.EXPELLED: N_("expelled"),
}
MEASURES = {
    Discipline.WARNING: N_("warning"),
    Discipline.CRITICISM: N_("public criticism"),
    Discipline.SUSPENSION: N_("suspension of rights"),
    Discipline.EXPULSION: N_("expulsion"),
}

FIELDS = {
    "unit": N_("Unit"),
    "code": N_("Credit code"),
    "type": N_("Type"),
    "sectors": N_("Sub-sectors"),
    "region": N_("Region"),
    "contact": N_("Contact person"),
    "status": N_("Status"),
    "tier": N_("Tier"),
    "joined": N_("Member since"),
}
# Punctuation belongs to the language: "Unit: X" reads "单位：X", "a, b" reads "a、b".
FIELD = N_("{label}: {value}")
LIST = N_("{list}, {item}")
ASIDE = N_("{name} ({details})")


def unit_lines(
    t: Translator, name: str, code: str, unit_type: str, sub_sectors: list[str], region: str
) -> list[str]:
    """The lines that describe a unit, the same on a form summary, a review card and a roster."""
    sectors = listed(t, [t(SUB_SECTORS.get(s, s)) for s in sub_sectors])
    return [
        field(t, "unit", name),
        field(t, "code", code),
        field(t, "type", t(UNIT_TYPES.get(unit_type, unit_type))),
        field(t, "sectors", sectors),
        field(t, "region", region),
    ]


def field(t: Translator, key: str, value: object) -> str:
    return labelled(t, t(FIELDS[key]), value)


def labelled(t: Translator, label: str, value: object) -> str:
    """A label and its value, with the reader's colon."""
    return t(FIELD).format(label=label, value=value)


def listed(t: Translator, items: Sequence[str]) -> str:
    """Items in a run, with the reader's separator: "smelting, processing", "冶炼、加工"."""
    run = ""
    for item in items:
        run = t(LIST).format(list=run, item=item) if run else item
    return run


def aside(t: Translator, name: str, details: object) -> str:
    """A name with a remark after it in the reader's parentheses: "Zhang (main contact)"."""
    return t(ASIDE).format(name=name, details=details)
