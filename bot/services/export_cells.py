"""Spreadsheet exports (CSV and XLSX), every one of them: roster, event signups, notice
acknowledgements, a document's access log, invitation links.

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is written as text,
never as a formula: a display name such as `=HYPERLINK(...)` would otherwise run when the
secretariat opens the file (CSV injection, DESIGN.md "Trust rules").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None


def formula_like(value: object) -> bool:
    """Whether a spreadsheet would read this text as a formula; numbers never are."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def safe_cell(value: Cell) -> Cell:
    """The cell as CSV writes it: formula-like text behind an apostrophe, which spreadsheets
    read as "this is text" and do not show."""
    return f"'{value}" if formula_like(value) else value


def to_csv(header: Sequence[Cell], table: Sequence[Sequence[Cell]]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in (header, *table):
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(header: Sequence[Cell], table: Sequence[Sequence[Cell]]) -> bytes:
    """One sheet; formula-like text is a string cell with Excel's quote prefix, so that
    editing the cell does not turn it into a formula either."""
    from openpyxl import Workbook  # loaded when used: it costs 10 MB resident

    book = Workbook()
    sheet = book.active
    for row in (header, *table):
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if formula_like(cell.value):
                cell.data_type = "s"  # openpyxl makes "=..." a formula on assignment
                cell.quotePrefix = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
