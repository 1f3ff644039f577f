"""Calendar files (RFC 5545, built with `icalendar`) that land right in any calendar app.

Times carry the event's own time zone (a TZID with its VTIMEZONE), so Outlook, Google,
Apple and the rest show the event at the right moment wherever the reader is. The UID is
stable and SEQUENCE grows with each change, so a newer file updates the entry, and a
cancellation (METHOD:CANCEL) removes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

PRODID = "-//DTPC-NMI//member bot//EN"
UID_DOMAIN = "dtpc-nmi.bot"
LINK = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class CalendarEntry:
    """What a calendar needs to know about an event."""

    event_id: int
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str
    sequence: int = 0


def event_uid(event_id: int) -> str:
    return f"event-{event_id}@{UID_DOMAIN}"


def ics(entry: CalendarEntry, stamp: datetime, *, cancelled: bool = False) -> bytes:
    """The .ics file of one event; `cancelled` makes it remove the entry instead."""
    calendar = Calendar.new(prodid=PRODID, method="CANCEL" if cancelled else "PUBLISH")
    calendar.add_component(_vevent(entry, stamp, cancelled))
    zone = ZoneInfo(entry.timezone)
    first = entry.starts_at.astimezone(zone).year - 1
    last = entry.ends_at.astimezone(zone).year + 1
    calendar.subcomponents.insert(0, _timezone(entry.timezone, first, last))
    return calendar.to_ical()


@cache
def _timezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """The zone's VTIMEZONE over whole years around the event, made once: building it walks
    the zone's offsets (~50 ms), which every signup's file would otherwise pay again. The
    component is only read when a file is written."""
    first, last = date(first_year, 1, 1), date(last_year, 12, 31)
    return Timezone.from_tzid(tzid, first_date=first, last_date=last)


def file_name(entry: CalendarEntry) -> str:
    return f"event-{entry.event_id}.ics"


def _vevent(entry: CalendarEntry, stamp: datetime, cancelled: bool) -> Event:
    zone = ZoneInfo(entry.timezone)
    link = LINK.search(entry.place)
    event = Event.new(
        uid=event_uid(entry.event_id),
        summary=entry.title,
        description=entry.description or None,
        start=entry.starts_at.astimezone(zone),
        end=entry.ends_at.astimezone(zone),
        location=entry.place,
        url=link.group(0) if link else None,
        sequence=entry.sequence,
        stamp=stamp,
    )
    event.add("STATUS", "CANCELLED" if cancelled else "CONFIRMED")
    return event
