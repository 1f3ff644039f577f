"""Command line: run the bot, the console, migrations, role grants, roster import, demo."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from bot import logs
from bot.app import App, StartupError, build_app, prepare_database
from bot.errors import DomainError
from bot.services import privacy, roles
from bot.settings import Settings
from storage import least_privilege
from storage.db import create_engine
from storage.models import Role

NO_TOKEN = """No BOT_TOKEN is set, so the bot starts in the console, on the local SQLite database.
To run it on Telegram: open @BotFather, send /newbot, copy the token it gives you,
and put BOT_TOKEN=<token> in the environment or in a .env file, then run again.
Try other roles in the console with: python -m bot console --as secretariat
"""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    secrets = [s.get_secret_value() for s in (settings.bot_token, settings.webhook_secret) if s]
    logs.configure(
        logging.WARNING if args.command in (None, "console", "demo") else logging.INFO, *secrets
    )
    try:
        return asyncio.run(_COMMANDS[args.command or "run"](settings, args))
    except StartupError as error:
        print(error, file=sys.stderr)
        return 2
    except DomainError as error:  # the command line speaks English
        print(error.message.format(**error.params), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def run(settings: Settings, _args: argparse.Namespace) -> int:
    """Runs the Telegram engine named by BOT_ENGINE, or the console without a token."""
    if settings.bot_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return await console(settings, argparse.Namespace(role="guest", lang=None))
    app = await build_app(settings)
    try:
        engine = _telegram_engine(app)
        try:
            await engine.run()
        finally:
            await engine.close()
    finally:
        await app.close()
    return 0


async def console(settings: Settings, args: argparse.Namespace) -> int:
    from bot.engines.console import ConsoleEngine

    app = await build_app(settings)
    try:
        await ConsoleEngine(app, Role(args.role), language_code=args.lang).run()
    finally:
        await app.close()
    return 0


async def migrate_cmd(settings: Settings, _args: argparse.Namespace) -> int:
    engine = create_engine(settings.database_url)
    await prepare_database(engine)
    await engine.dispose()
    print("database is up to date")
    return 0


async def grant(settings: Settings, args: argparse.Namespace) -> int:
    return await _change_role(settings, args, revoke=False)


async def revoke(settings: Settings, args: argparse.Namespace) -> int:
    return await _change_role(settings, args, revoke=True)


async def _change_role(settings: Settings, args: argparse.Namespace, revoke: bool) -> int:
    app = await build_app(settings)
    try:
        role = roles.parse_role(args.role)
        async with app.sessions() as session, session.begin():
            change = roles.revoke_role if revoke else roles.grant_role
            _, changed = await change(session, None, args.telegram_id, role, app.clock.now())
    finally:
        await app.close()
    verb = "revoked from" if revoke else "granted to"
    print(f"{role.value} {verb} {args.telegram_id}" if changed else "nothing to change")
    return 0


async def export_person(settings: Settings, args: argparse.Namespace) -> int:
    """Prints everything the bot holds about one person as JSON (PIPL art. 45)."""
    app = await build_app(settings)
    try:
        async with app.sessions() as session:
            person = await privacy.find_person(session, args.telegram_id, args.person)
            document = await privacy.export_person(session, person)
    finally:
        await app.close()
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if args.out:
        await asyncio.to_thread(Path(args.out).write_text, text + "\n", encoding="utf-8")
        print(f"personal data of person {person.id} written to {args.out}")
    else:
        print(text)
    return 0


async def erase_person(settings: Settings, args: argparse.Namespace) -> int:
    """Erases one person's personal data (PIPL art. 47), after confirmation or with --yes."""
    app = await build_app(settings)
    try:
        async with app.sessions() as session, session.begin():
            person = await privacy.find_person(session, args.telegram_id, args.person)
            who = f"person {person.id} (Telegram id {person.telegram_id})"
            if not args.yes and not _confirmed(who):
                print("nothing erased")
                return 1
            done = await privacy.erase_person(session, person, None, app.clock.now(), app.catalogs)
    finally:
        await app.close()
    name = privacy.PSEUDONYM.format(id=done.person_id)
    print(f"erased the personal data of {who}; now known as {name}")
    print(f"rows rewritten: {json.dumps(done.summary, sort_keys=True)}")
    for unit in done.units_without_contact:
        print(f"unit {unit.id} ({unit.name}) has no contact now; the secretariat was told")
    for seat in done.active_seats:
        print(f"seat {seat} is still held by the erased person: end it on /seats")
    return 0


def _confirmed(who: str) -> bool:
    print(f"This erases the personal data of {who}. It cannot be undone.")
    try:
        return input("Type ERASE to confirm: ").strip() == "ERASE"
    except EOFError:
        return False


async def db_role(settings: Settings, args: argparse.Namespace) -> int:
    """Prints (or, with --apply, runs as the owner) the grants of the bot's least-privilege
    PostgreSQL role: rows read and written, the append-only logs never deleted or truncated."""
    if not settings.database_url.startswith("postgresql"):
        print("db-role is for PostgreSQL; SQLite has no roles", file=sys.stderr)
        return 2
    engine = create_engine(settings.database_url)
    try:
        if args.apply:
            await least_privilege.apply(engine, args.role)
            print(f"role {args.role} granted; run the bot with it in DATABASE_URL")
        else:
            for statement in least_privilege.grants(args.role, engine.url.database or ""):
                print(statement + ";")
    finally:
        await engine.dispose()
    return 0


async def import_cmd(settings: Settings, args: argparse.Namespace) -> int:
    """Prints what importing the roster file would do; writes it only with --apply."""
    from bot import onboarding_cli

    return await onboarding_cli.import_file(settings, args)


async def demo(settings: Settings, args: argparse.Namespace) -> int:
    """Fills an empty database with the fictional demo center, then opens the console."""
    from bot import onboarding_cli

    if await onboarding_cli.fill_demo(settings):
        return await console(settings, args)
    return 1


def _telegram_engine(app: App) -> object:
    if app.settings.bot_engine == "ptb":
        from bot.engines.ptb_engine import PtbEngine

        return PtbEngine(app)
    from bot.engines.aiogram_engine import AiogramEngine

    return AiogramEngine(app)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run on Telegram (polling, or webhook with WEBHOOK_URL)")
    console_parser = sub.add_parser("console", help="chat with the bot in this terminal")
    console_parser.add_argument(
        "--as", dest="role", default="guest", choices=[r.value for r in Role]
    )
    console_parser.add_argument(
        "--lang", default=None, help="Telegram-style language code, e.g. en"
    )
    sub.add_parser("migrate", help="apply database migrations")
    db_role_parser = sub.add_parser("db-role", help="the bot's least-privilege PostgreSQL role")
    db_role_parser.add_argument("role", help="its name, e.g. dtpc_bot")
    db_role_parser.add_argument("--apply", action="store_true", help="run it (as the owner)")
    importing = sub.add_parser("import", help="import the roster from an XLSX or CSV file")
    importing.add_argument("file")
    importing.add_argument("--apply", action="store_true", help="write it (default: report only)")
    importing.add_argument(
        "--skip-refused", action="store_true", help="with --apply: import the accepted rows"
    )
    demo_parser = sub.add_parser("demo", help="a fictional demo center, then the console")
    demo_parser.add_argument(
        "--as", dest="role", default="secretariat", choices=[r.value for r in Role]
    )
    demo_parser.add_argument("--lang", default=None, help="Telegram-style language code")
    for name in ("grant", "revoke"):
        command = sub.add_parser(name, help=f"{name} a role")
        command.add_argument("telegram_id", type=int)
        command.add_argument("role", choices=[r.value for r in roles.GRANTABLE])
    for name, purpose in (("export-person", "print"), ("erase-person", "erase")):
        command = sub.add_parser(name, help=f"{purpose} one person's personal data (PIPL)")
        who = command.add_mutually_exclusive_group(required=True)
        who.add_argument("telegram_id", type=int, nargs="?", help="their Telegram user id")
        who.add_argument("--person", type=int, help="the bot's own id of the person instead")
    sub.choices["export-person"].add_argument("--out", help="write the JSON to this file")
    sub.choices["erase-person"].add_argument("--yes", action="store_true", help="do not ask")
    return parser


_COMMANDS = {
    "run": run,
    "console": console,
    "migrate": migrate_cmd,
    "db-role": db_role,
    "grant": grant,
    "revoke": revoke,
    "export-person": export_person,
    "erase-person": erase_person,
    "import": import_cmd,
    "demo": demo,
}

if __name__ == "__main__":
    sys.exit(main())
