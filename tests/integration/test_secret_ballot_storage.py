"""A secret ballot is unlinkable in storage (DESIGN.md, trust rules; issue 17): after ten
secret votes nothing in the database — no table, column, row order, time or transaction id —
pairs a voter with a choice."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import App
from storage import meetings as stored
from storage import migrate
from storage.db import create_engine, session_factory
from storage.meetings_models import BallotBox, BallotKind, Choice
from storage.models import UTCDateTime
from tests.conftest import ADMIN_ID, MakeApp
from tests.integration.test_meetings import (
    begin,
    check_in,
    holder_id,
    motion_ids,
    schedule,
    seat_units,
)
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock

F, A, X = Choice.FOR, Choice.AGAINST, Choice.ABSTAIN
CHOICES = (F, A, F, X, A, F, F, A, X, F)  # voted in this order by seats 1-0, 1-1, 2-0, ...
VOTERS = [holder_id(serial, k) for serial in range(1, 6) for k in range(2)]


async def _rows(conn: AsyncConnection) -> list[tuple[str, str, str]]:
    """Every row of every table as (table, position and transaction id, its values as text)."""
    tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    postgres = conn.dialect.name == "postgresql"
    found = []
    for table in tables:
        where = "xmin::text || ' ' || ctid::text" if postgres else "rowid"
        result = await conn.execute(text(f'SELECT {where} AS "_where_", * FROM "{table}"'))
        for row in result.mappings():
            values = {k: v for k, v in row.items() if k != "_where_"}
            found.append((table, str(row["_where_"]), repr(values)))
    return found


async def _ballots_are_unlinkable(app: App, cast: list[tuple[Choice, str, str]]) -> None:
    receipts = [receipt for _, receipt, _ in cast]
    nonces = [nonce for _, _, nonce in cast]
    async with app.engine.connect() as conn:
        rows = await _rows(conn)
    for table, _, values in rows:
        assert not any(nonce in values for nonce in nonces), f"{table} keeps a nonce"
    holding = [(t, values) for t, _, values in rows if any(r in values for r in receipts)]
    for table, values in holding:
        # A row that holds a ballot holds them all (the box; after the close, the published
        # list sent to each seat), in receipt order: no ballot has a row, a position, a time
        # or a transaction of its own to be matched with a voter's row.
        found = [r for r in re.findall(r"[0-9a-f]{64}", values) if r in receipts]
        assert found == sorted(receipts), table
    assert [t for t, _ in holding if t == "ballot_boxes"] == ["ballot_boxes"]
    for table, _, values in rows:  # and nowhere else is a choice kept
        assert not re.search(r"'choice': '|\"choice\": \"", values), (table, values)


async def test_ten_secret_votes_leave_no_link_between_voter_and_choice(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    await seat_units(app, clock, directors=5, deputies=0)
    meeting_id = await schedule(app, clock, BallotKind.SECRET)
    (motion_id,) = await motion_ids(app, meeting_id)
    admin = ChatClient(app, ADMIN_ID)
    await begin(admin, clock, meeting_id)
    await check_in(app, *VOTERS)
    await admin.press_data(f"ms:open:{motion_id}")
    cast = []
    for voter, choice in zip(VOTERS, CHOICES, strict=True):
        clock.advance(seconds=7)
        client = ChatClient(app, voter)
        await client.press_data(f"mv:{motion_id}:{choice.value}")
        receipt = re.search(r"Your receipt: ([0-9a-f]{64})", client.text)
        nonce = re.search(r"Your secret nonce: ([0-9a-f]{32})", client.text)
        assert receipt and nonce, client.text
        cast.append((choice, receipt.group(1), nonce.group(1)))
    await _ballots_are_unlinkable(app, cast)
    await admin.press_data(f"ms:close:{motion_id}")
    assert "Passed" in admin.text or "passed" in admin.text, admin.text
    await _ballots_are_unlinkable(app, cast)


async def test_the_migration_moves_ballots_into_their_motions_boxes(database_url: str) -> None:
    """0008s: each secret motion's ballot rows become its box, in receipt order; the rows go."""
    engine = create_engine(database_url)
    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    meetings = sa.table(
        "meetings",
        sa.column("id", sa.Integer),
        sa.column("starts_at", UTCDateTime()),
        sa.column("place", sa.Text),
        sa.column("status", sa.String),
        sa.column("created_at", UTCDateTime()),
    )
    motions = sa.table(
        "motions",
        *(sa.column(name, sa.Integer) for name in ("id", "meeting_id", "position")),
        *(sa.column(name, sa.String) for name in ("title", "text", "kind", "ballot", "status")),
        sa.column("document_ids", sa.JSON),
    )
    ballots = sa.table(
        "secret_ballots",
        *(sa.column(n, sa.String) for n in ("receipt", "choice")),
        sa.column("motion_id", sa.Integer),
    )
    rows = [("c" * 64, 1, "for"), ("a" * 64, 1, "against"), ("b" * 64, 1, "for")]
    try:
        await migrate.downgrade(engine, "0007")
        async with engine.begin() as conn:
            await conn.execute(
                sa.insert(meetings).values(
                    id=1, starts_at=now, place="301", status="in_progress", created_at=now
                )
            )
            for motion_id, ballot in ((1, "secret"), (2, "secret"), (3, "open")):
                await conn.execute(
                    sa.insert(motions).values(
                        id=motion_id,
                        meeting_id=1,
                        position=motion_id,
                        title="T",
                        text="T",
                        kind="resolution",
                        ballot=ballot,
                        status="open",
                        document_ids=[],
                    )
                )
            for receipt, motion_id, choice in rows:
                await conn.execute(
                    sa.insert(ballots).values(receipt=receipt, motion_id=motion_id, choice=choice)
                )
        await migrate.upgrade(engine)
        async with session_factory(engine)() as session:
            assert await stored.receipts(session, 1) == sorted(
                (receipt, Choice(choice)) for receipt, _, choice in rows
            )
            assert await stored.secret_tally(session, 1) == {Choice.FOR: 2, Choice.AGAINST: 1}
            boxes = (await session.scalars(select(BallotBox.motion_id))).all()
            assert sorted(boxes) == [1, 2]  # every secret motion has its box; open ones none
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert "secret_ballots" not in tables
    finally:
        await engine.dispose()
