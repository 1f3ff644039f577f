"""The roster (art. 17): filters from a search line, and exports as CSV and XLSX (the writers,
shared by every export, are in bot/services/export_cells.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charter.privacy import Viewer, contact_details
from bot.i18n import N_, Translator
from bot.labels import STATUSES, SUB_SECTORS, TIERS, UNIT_TYPES
from bot.services.export_cells import to_csv, to_xlsx  # noqa: F401 (the exports' writers)
from storage import units
from storage.models import Contact, Unit, UnitStatus, UnitTier

COLUMNS = (
    ("name", N_("Unit")),
    ("credit_code", N_("Credit code")),
    ("unit_type", N_("Type")),
    ("sub_sectors", N_("Sub-sectors")),
    ("region", N_("Region")),
    ("status", N_("Status")),
    ("tier", N_("Tier")),
    ("joined_on", N_("Member since")),
    ("left_on", N_("Left on")),
    ("main_contact", N_("Contact person")),
)


@dataclass(frozen=True)
class RosterQuery:
    """`/roster 铝 status:member tier:director sector:smelting` as data."""

    text: str = ""
    status: UnitStatus | None = None
    tier: UnitTier | None = None
    sub_sector: str | None = None


def parse_query(line: str) -> RosterQuery:
    """Splits `key:value` filters from the free text; unknown values are searched as text."""
    words, filters = [], {}
    for word in line.split():
        key, _, value = word.partition(":")
        if key in ("status", "tier", "sector") and value:
            filters[key] = value
        else:
            words.append(word)
    status = filters.get("status")
    tier = filters.get("tier")
    return RosterQuery(
        text=" ".join(words),
        status=UnitStatus(status) if status in set(UnitStatus) else None,
        tier=UnitTier(tier) if tier in set(UnitTier) else None,
        sub_sector=filters.get("sector"),
    )


async def find(session: AsyncSession, query: RosterQuery) -> Sequence[Unit]:
    return await units.search(
        session, query.text, query.status, query.tier, query.sub_sector, limit=10_000
    )


async def rows(
    session: AsyncSession, found: Sequence[Unit], t: Translator, viewer: Viewer
) -> list[list[str]]:
    """One row per unit, in the reader's language, for export; contact details only as
    `viewer` may see them (bot.charter.privacy)."""
    table = []
    for unit in found:
        contacts = await units.contacts_of(session, unit.id)
        main = next((c for c in contacts if c.is_main), None)
        table.append(
            [
                unit.name,
                unit.credit_code,
                t(UNIT_TYPES.get(unit.unit_type, unit.unit_type)),
                ", ".join(t(SUB_SECTORS.get(s, s)) for s in unit.sub_sectors),
                unit.region,
                t(STATUSES[unit.status]),
                t(TIERS[unit.tier]),
                unit.joined_on.isoformat() if unit.joined_on else "",
                unit.left_on.isoformat() if unit.left_on else "",
                _contact(viewer, unit, main),
            ]
        )
    return table


def _contact(viewer: Viewer, unit: Unit, main: Contact | None) -> str:
    if main is None:
        return ""
    return f"{main.name} {contact_details(viewer, main.phone, main.email, unit.id)}".rstrip()


def headers(t: Translator) -> list[str]:
    return [t(label) for _, label in COLUMNS]
