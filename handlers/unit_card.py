"""A unit's card: its data, status, tier, contacts and record — for the roster and /profile."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.charter.privacy import Viewer, contact_details
from bot.i18n import Translator
from bot.labels import MEASURES, STATUSES, TIERS, aside, field, labelled, unit_lines
from storage import membership, units
from storage.models import Unit


async def unit_card(session: AsyncSession, t: Translator, unit: Unit, viewer: Viewer) -> list[str]:
    """Everything the secretariat and the unit itself may see about the unit (art. 17); the
    contacts' phone and e-mail only as `viewer` may see them (bot.charter.privacy)."""
    tier = t(TIERS[unit.tier])
    if unit.tier_since:
        tier = t("{tier} (since {day})").format(tier=tier, day=t.date(unit.tier_since))
    lines = [
        *unit_lines(t, unit.name, unit.credit_code, unit.unit_type, unit.sub_sectors, unit.region),
        field(t, "status", t(STATUSES[unit.status])),
        field(t, "tier", tier),
        field(t, "joined", t.date(unit.joined_on) if unit.joined_on else "—"),
    ]
    for contact in await units.contacts_of(session, unit.id):
        role = t("main contact") if contact.is_main else t("backup contact")
        details = contact_details(viewer, contact.phone, contact.email, unit.id)
        lines.append(f"• {aside(t, contact.name, role)} {details}".rstrip())
    for record in await membership.discipline_of(session, unit.id):
        measure = t(MEASURES[record.measure])
        if record.lifted_at:
            measure = t("{measure} (lifted)").format(measure=measure)
        lines.append(f"⚠ {t.date(record.decided_at)} {labelled(t, measure, record.reason)}")
    return lines
