"""Start-up: migrations applied, a clear refusal when the database is unreachable, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import StartupError, build_app
from bot.settings import Settings
from storage import migrate
from tests.support.clock import FakeClock

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, database_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": database_url, "BOT_TOKEN": "", **env}
    environment.pop("BOT_TOKEN")
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_start_applies_pending_migrations(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.sqlite3'}"
    app = await build_app(Settings(_env_file=None, database_url=url), FakeClock())
    try:
        assert not await migrate.pending(app.engine)
    finally:
        await app.close()


async def test_start_refuses_clearly_when_the_database_is_unreachable() -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/none"
    with pytest.raises(StartupError, match="Cannot prepare the database"):
        await build_app(Settings(_env_file=None, database_url=url), FakeClock())


def test_cli_refuses_without_a_traceback() -> None:
    result = run_cli("migrate", database_url="postgresql://postgres@127.0.0.1:1/none")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


def test_cli_migrate_grant_revoke(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert run_cli("migrate", database_url=url).stdout.strip() == "database is up to date"
    granted = run_cli("grant", "31337", "secretariat", database_url=url)
    assert granted.stdout.strip() == "secretariat granted to 31337", granted.stderr
    again = run_cli("grant", "31337", "secretariat", database_url=url)
    assert again.stdout.strip() == "nothing to change"
    revoked = run_cli("revoke", "31337", "secretariat", database_url=url)
    assert revoked.returncode == 1 and "last secretariat" in revoked.stderr
    run_cli("grant", "31338", "secretariat", database_url=url)
    revoked = run_cli("revoke", "31337", "secretariat", database_url=url)
    assert revoked.stdout.strip() == "secretariat revoked from 31337"
