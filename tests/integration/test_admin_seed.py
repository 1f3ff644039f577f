"""ADMIN_IDS seeds the first secretariat; a revocation recorded in the database wins over it."""

from __future__ import annotations

import logging

import pytest

from bot.services import roles
from storage import people
from storage.models import Role
from tests.conftest import ADMIN_ID, MakeApp
from tests.support.clock import FakeClock

SECOND = 900_002


async def _roles(make_app: MakeApp, telegram_id: int) -> frozenset[Role]:
    app = await make_app()
    async with app.sessions() as session:
        person = await people.by_telegram_id(session, telegram_id)
        assert person is not None
        return await people.roles_of(session, person.id)


async def test_a_revoked_admin_stays_revoked_after_a_restart(
    make_app: MakeApp, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    app = await make_app()
    async with app.sessions() as session, session.begin():
        await roles.grant_role(session, None, SECOND, Role.SECRETARIAT, clock.now())
        await roles.revoke_role(session, None, ADMIN_ID, Role.SECRETARIAT, clock.now())
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        assert Role.SECRETARIAT not in await _roles(make_app, ADMIN_ID)  # built again: a restart
    assert f"ADMIN_IDS: {ADMIN_ID} not made secretariat" in caplog.text


async def test_a_grant_after_the_revocation_restores_the_admin(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    async with app.sessions() as session, session.begin():
        await roles.grant_role(session, None, SECOND, Role.SECRETARIAT, clock.now())
        await roles.revoke_role(session, None, ADMIN_ID, Role.SECRETARIAT, clock.now())
        await roles.grant_role(session, None, ADMIN_ID, Role.SECRETARIAT, clock.now())
    assert Role.SECRETARIAT in await _roles(make_app, ADMIN_ID)


async def test_a_new_admin_id_is_seeded(make_app: MakeApp) -> None:
    await make_app()
    app = await make_app(admin_ids=(ADMIN_ID, SECOND))
    async with app.sessions() as session:
        person = await people.by_telegram_id(session, SECOND)
        assert person is not None
        assert Role.SECRETARIAT in await people.roles_of(session, person.id)
