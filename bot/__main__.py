"""Command line: run the bot, the console, migrations, and role grants."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot import logs
from bot.app import App, StartupError, build_app, prepare_database
from bot.errors import DomainError
from bot.services import roles
from bot.settings import Settings
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
    token = settings.bot_token.get_secret_value() if settings.bot_token else ""
    logs.configure(logging.WARNING if args.command in (None, "console") else logging.INFO, token)
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
    for name in ("grant", "revoke"):
        command = sub.add_parser(name, help=f"{name} a role")
        command.add_argument("telegram_id", type=int)
        command.add_argument("role", choices=[r.value for r in roles.GRANTABLE])
    return parser


_COMMANDS = {
    "run": run,
    "console": console,
    "migrate": migrate_cmd,
    "grant": grant,
    "revoke": revoke,
}

if __name__ == "__main__":
    sys.exit(main())
