"""Rules for a roster brought in from a spreadsheet (art. 12, 19, 21)."""

from __future__ import annotations

from bot.charter.meetings import seats_allowed
from storage.models import UnitTier

MAX_DIRECTOR_UNITS = 2  # art. 19: 主任联席会设主任1或2名


def seat_holders_allowed(tier: UnitTier, named: int) -> bool:
    """Art. 19: a director unit names up to 2 persons to the joint meeting, a deputy-director
    unit 1, a member unit none."""
    return named <= seats_allowed(tier)


def directors_allowed(director_units: int) -> bool:
    """Art. 19: the joint meeting has one or two directors (主任1或2名); the first term's
    directors may be held jointly (art. 12), but never by more than two units."""
    return director_units <= MAX_DIRECTOR_UNITS
