"""/import reads a bounded file (issue 17): a 5 KB sheet declaring A1:XFD1048576 once took
4 GB. Rows, columns and the unpacked size are bounded whatever the sheet declares, the
refusal names the numbers, and a normal roster still imports."""

from __future__ import annotations

import csv
import io
import threading
import tracemalloc
import zipfile
from xml.sax.saxutils import escape

import openpyxl
import pytest

from bot.errors import DomainError
from bot.services import imports
from bot.services.roster_rows import NOT_A_ROSTER, Limits, read_table
from tests.conftest import ADMIN_ID, MakeApp
from tests.integration.test_onboarding import GOOD, HEADER, OTHER, import_file, roster
from tests.support.chat import ChatClient
from tests.support.factories import credit_code

PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Roster" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>'
    ),
}


def inline_row(number: int, values: list[str], first_column: int = 1) -> str:
    cells = "".join(
        f'<c r="{openpyxl.utils.get_column_letter(first_column + i)}{number}" t="inlineStr">'
        f"<is><t>{escape(value)}</t></is></c>"
        for i, value in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def xlsx_by_hand(rows: str, dimension: str = "A1:XFD1048576") -> bytes:
    """A minimal workbook written part by part, so that the sheet may declare any size."""
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in {**PARTS, "xl/worksheets/sheet1.xml": sheet}.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def peak_megabytes(read: object) -> tuple[object, float]:
    """What `read()` returned or raised, and the most memory it held at once."""
    tracemalloc.start()
    try:
        try:
            outcome: object = read()  # type: ignore[operator]
        except DomainError as error:
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_a_declared_million_rows_and_columns_read_in_bounded_memory() -> None:
    """The issue's file: A1:XFD1048576 declared, a header, a unit and a cell at the far end."""
    rows = inline_row(1, HEADER) + inline_row(2, GOOD) + inline_row(1048576, ["x"], 16384)
    bomb = xlsx_by_hand(rows)
    assert len(bomb) < 5000
    table, peak = peak_megabytes(lambda: read_table(bomb))
    assert [number for number, _ in table] == [2]  # the far cell lies past the empty rows
    assert peak < 30, f"{peak:.0f} MB"


def test_data_far_to_the_right_is_refused_with_the_numbers() -> None:
    rows = inline_row(1, HEADER) + inline_row(2, GOOD) + inline_row(3, ["x"], 16384)
    wide = xlsx_by_hand(rows)
    error, peak = peak_megabytes(lambda: read_table(wide))
    assert isinstance(error, DomainError)
    assert error.params == {"row": 3, "limit": 50}
    assert peak < 30, f"{peak:.0f} MB"


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    bomb = xlsx_by_hand(inline_row(1, HEADER) + f"<!-- {' ' * (21 * 2**20)} -->")
    assert len(bomb) < 50_000
    error, peak = peak_megabytes(lambda: read_table(bomb))
    assert isinstance(error, DomainError) and error.params == {"size": "21", "limit": "20"}
    assert peak < 30, f"{peak:.0f} MB"
    small = xlsx_by_hand(inline_row(1, HEADER) + f"<!-- {' ' * (3 * 2**20)} -->")
    with pytest.raises(DomainError) as refused:  # under 20 MB, but 3 MB from a few KB
        read_table(small)
    assert refused.value.params["ratio"] > 100


def test_a_broken_sheet_is_not_a_roster() -> None:
    with pytest.raises(DomainError) as refused:
        read_table(xlsx_by_hand(inline_row(1, HEADER) + "<row r="))
    assert refused.value.message == NOT_A_ROSTER


def test_rows_and_columns_beyond_the_limits_are_refused() -> None:
    wide = [*GOOD, *[""] * 39, "x"]  # column 51
    with pytest.raises(DomainError) as refused:
        read_table(roster(GOOD, wide))
    assert refused.value.params == {"row": 3, "limit": 50}
    assert read_table(roster(GOOD, [*GOOD[:1], *[""] * 60]), Limits(columns=50))  # blanks
    with pytest.raises(DomainError) as refused:
        read_table(roster(GOOD, OTHER), Limits(rows=1))
    assert refused.value.params == {"limit": 1}
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *(unit_row(serial) for serial in range(1, 5001))])
    assert len(read_table(buffer.getvalue().encode())) == 5000  # the limit itself is allowed


def sheet(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def unit_row(serial: int) -> list[str]:
    return [f"单位{serial}", credit_code(serial), *GOOD[2:5], "", *GOOD[6:9], "", ""]


async def test_in_chat_a_sheet_over_5000_rows_is_refused_and_a_roster_still_imports(
    make_app: MakeApp,
) -> None:
    app = await make_app()
    admin = ChatClient(app, ADMIN_ID)
    large = sheet([HEADER, *(unit_row(serial) for serial in range(1, 5002))])
    await import_file(admin, large, "roster.xlsx")
    assert admin.text == "The file has more than 5000 rows; import at most 5000 at a time."
    wide = sheet([HEADER, [*GOOD, *[""] * 39, "x"]])
    await admin.send_file("roster.xlsx", wide)
    assert admin.text == "Row 2 has data beyond column 50; a roster has at most 50."
    await admin.send_file("roster.xlsx", sheet([HEADER, GOOD, OTHER]))
    assert "2 rows accepted (2 new units" in admin.text


async def test_in_chat_the_refusal_is_translated(make_app: MakeApp) -> None:
    app = await make_app()
    admin = ChatClient(app, ADMIN_ID, language_code="zh-hans")
    rows = inline_row(1, HEADER) + inline_row(2, ["x"], 16384)
    await import_file(admin, xlsx_by_hand(rows), "roster.xlsx")
    assert "2" in admin.text and "50" in admin.text and "Row" not in admin.text


async def test_the_file_is_read_off_the_event_loop(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file is parsed in a worker thread, so the loop keeps serving everyone else."""
    threads = []

    def read(content: bytes, limits: Limits) -> object:
        threads.append(threading.current_thread())
        return read_table(content, limits)

    monkeypatch.setattr(imports, "read_table", read)
    app = await make_app()
    async with app.sessions() as session:
        plan = await imports.plan_file(session, "roster.csv", roster(GOOD))
    assert len(plan.new) == 1 and threads and threading.main_thread() not in threads
