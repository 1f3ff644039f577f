"""Shared fixtures: databases (SQLite and PostgreSQL), a controlled clock, apps, no network."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App, build_app
from bot.settings import Settings
from tests.support import databases
from tests.support.clock import FakeClock

ADMIN_ID = 900_001

MakeApp = Callable[..., Awaitable[App]]


# -- no network beyond this machine ------------------------------------------------------------


def _is_local(host: object) -> bool:
    if host in ("localhost", None, ""):
        return True
    try:
        return ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach beyond 127.0.0.0/8 fails the test."""
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            raise AssertionError(f"test tried to reach the network: {address}")
        return real_connect(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(host):
            raise AssertionError(f"test tried to resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


# -- databases -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.make_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    try:
        url = databases.create_postgres_database()
    except OSError as error:  # never skip silently: CI must have PostgreSQL
        pytest.fail(f"PostgreSQL at {databases.POSTGRES_ADMIN_URL} unreachable: {error}")
    yield url
    databases.drop_postgres_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        return databases.copy_sqlite(sqlite_template, tmp_path)
    url = request.getfixturevalue("postgres_database")
    asyncio.run(databases.truncate_all(url))
    return url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def make_app(database_url: str, clock: FakeClock) -> AsyncIterator[MakeApp]:
    """Builds apps on the test database (several = restarts); all closed at teardown."""
    apps: list[App] = []

    async def make(**overrides: Any) -> App:
        values: dict[str, Any] = {
            "database_url": database_url,
            "admin_ids": (ADMIN_ID,),
            "bot_token": None,
            # Tests run whole conversations within one instant of a fake clock, which the
            # flood guard would take for a flood; test_faults.py sets it low to test it.
            "flood_burst": 10_000,
            **overrides,
        }
        app = await build_app(Settings(_env_file=None, **values), clock)
        apps.append(app)
        return app

    yield make
    for app in apps:
        await app.close()
