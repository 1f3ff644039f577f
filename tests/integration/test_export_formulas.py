"""Every export writes formula-like text as text (DESIGN.md "Trust rules"): a display name or a
unit name `=HYPERLINK(...)` is a string cell in XLSX and behind an apostrophe in CSV — roster,
event signups, a notice's acknowledgements, a document's access log, invitation links."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import openpyxl
import pytest

from bot.app import App
from bot.charter.documents import Audience, Level
from bot.protocol import OutgoingFile
from bot.services import events
from bot.services.export_cells import formula_like, safe_cell, to_csv, to_xlsx
from storage import people
from tests.conftest import ADMIN_ID, MakeApp
from tests.integration.test_documents import add_document, fetch_by_link
from tests.integration.test_events import DEFAULTS
from tests.integration.test_notices import fill_form
from tests.integration.test_onboarding import GOOD, import_file, roster
from tests.support.chat import ChatClient
from tests.support.factories import make_unit

FORMULA = '=HYPERLINK("http://x","y")'
CONTACT = 7301


def cells(file: OutgoingFile | None) -> list[tuple[object, str | None]]:
    """Every cell of the exported file with its XLSX type (None for CSV)."""
    assert file is not None and file.content is not None
    if file.name.endswith(".xlsx"):
        sheet = openpyxl.load_workbook(io.BytesIO(file.content)).active
        return [(cell.value, cell.data_type) for row in sheet.iter_rows() for cell in row]
    rows = csv.reader(io.StringIO(file.content.decode("utf-8-sig")))
    return [(value, None) for row in rows for value in row]


def assert_neutral(file: OutgoingFile | None) -> None:
    """The formula is there, as text: no formula cell, and no CSV cell that starts with it."""
    found = cells(file)
    assert file is not None
    if file.name.endswith(".xlsx"):
        assert (FORMULA, "s") in found
        assert all(kind != "f" for _, kind in found)
    else:
        assert ("'" + FORMULA, None) in found
        assert all(not formula_like(value) for value, _ in found)


async def unit_named_formula(app: App) -> int:
    """A member unit named `FORMULA` whose contact (CONTACT) is also so named."""
    async with app.sessions() as session, session.begin():
        unit = await make_unit(session, app.clock.now(), 1, contact_telegram_id=CONTACT)
        unit.name = FORMULA
        person = await people.by_telegram_id(session, CONTACT)
        assert person is not None
        person.display_name, person.language_code = FORMULA, "en"
        return unit.id


def test_the_cell_rule() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    for value in ("a=1", "", "北方铝业", -5, 3.5, None):
        assert safe_cell(value) == value
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(["n", "t"], [[-5, "-5"]]))).active
    number, text = sheet["A2"], sheet["B2"]
    assert (number.value, number.data_type) == (-5, "n")  # a negative number stays a number
    assert (text.value, text.data_type, text.quotePrefix) == ("-5", "s", True)
    assert to_csv(["n"], [[-5], ["-5"]]).decode("utf-8-sig").splitlines() == ["n", "-5", "'-5"]


@pytest.mark.parametrize("kind", ["XLSX", "CSV"])
async def test_roster_export(make_app: MakeApp, kind: str) -> None:
    app = await make_app()
    await unit_named_formula(app)
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/roster")
    await admin.press(f"Export {kind}")
    assert_neutral(admin.replies[0].file)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
async def test_event_signups_export(make_app: MakeApp, kind: str) -> None:
    app = await make_app()
    await unit_named_formula(app)
    async with app.sessions() as session, session.begin():
        event = await events.create_event(
            session, replace(DEFAULTS), "Asia/Shanghai", None, app.clock.now()
        )
    await ChatClient(app, CONTACT, name=FORMULA).press_data(f"ev:in:{event.id}")
    admin = ChatClient(app, ADMIN_ID)
    await admin.press_data(f"evs:{kind}:{event.id}")
    assert_neutral(admin.replies[0].file)


@pytest.mark.parametrize("kind", ["XLSX", "CSV"])
async def test_notice_acknowledgements_export(make_app: MakeApp, kind: str) -> None:
    app = await make_app()
    await unit_named_formula(app)
    admin = ChatClient(app, ADMIN_ID)
    await fill_form(admin, ack=True)
    await admin.press("Confirm and send")
    await admin.press(f"Export {kind}")
    assert_neutral(admin.replies[0].file)


async def test_document_access_log_export(make_app: MakeApp) -> None:
    app = await make_app()
    await unit_named_formula(app)
    document_id = await add_document(app, app.clock.now(), "标准", Audience(Level.MEMBERS))
    await fetch_by_link(ChatClient(app, CONTACT, name=FORMULA), document_id)
    admin = ChatClient(app, ADMIN_ID)
    await fetch_by_link(admin, document_id)
    await admin.press("Who received it")
    await admin.press("Export the access log")
    assert_neutral(admin.replies[0].file)


@pytest.mark.parametrize("kind", ["XLSX", "CSV"])
async def test_invitations_export(make_app: MakeApp, kind: str) -> None:
    app = await make_app(bot_username="dtpc_bot")
    admin = ChatClient(app, ADMIN_ID)
    await import_file(admin, roster([FORMULA, *GOOD[1:]]))
    await admin.press("Import")
    await admin.send("/invites")
    await admin.press(f"Export {kind}")
    assert_neutral(admin.replies[0].file)
