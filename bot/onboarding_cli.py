"""The command line's `import` and `demo`: the same services as in chat, in English."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import demo
from bot.app import build_app
from bot.services import imports
from bot.settings import Settings


async def import_file(settings: Settings, args: argparse.Namespace) -> int:
    """Reports on the file; with --apply writes it in one transaction (refused rows stop it
    unless --skip-refused)."""
    app = await build_app(settings)
    try:
        t = app.catalogs.translator("en")
        path = Path(args.file)
        content = await asyncio.to_thread(path.read_bytes)
        async with app.sessions() as session, session.begin():
            limits = imports.limits(settings)
            plan = await imports.plan_file(session, path.name, content, limits)
            print("\n".join(imports.report(t, plan)))
            if not plan.has_changes:
                print("Nothing to change.")
                return 0
            if not args.apply:
                print("Nothing written: run again with --apply to import.")
                return 0
            if plan.refused and not args.skip_refused:
                print("Nothing written: correct the refused rows, or add --skip-refused.")
                return 1
            now, valid = app.clock.now(), timedelta(days=settings.invitation_valid_days)
            done = await imports.apply(
                session, plan, None, now, valid, ZoneInfo(settings.timezone)
            )
    finally:
        await app.close()
    print(
        f"Imported: {done.added} new units, {done.updated} updated; {done.invited} invitation "
        "links made. The secretariat sends them with /invites."
    )
    return 0


async def fill_demo(settings: Settings) -> bool:
    """Writes the demo center (refused on a database with real units); True to go on."""
    app = await build_app(settings)
    try:
        async with app.sessions() as session, session.begin():
            center = await demo.fill(session, app.catalogs, settings, app.clock.now())
    finally:
        await app.close()
    state = "created" if center.created else "already there"
    print(
        f"Demo center {state}: {center.units} fictional units, marked {demo.DEMO_MARK}.\n"
        "Try each role: python -m bot console --as contact|leadership|expert|secretariat|guest"
    )
    return True
