"""Writes templates/roster-template.xlsx and .csv, the files /import hands out.

Run after changing bot/services/roster_template.py:
    .venv/bin/python scripts/make_roster_template.py
"""

from __future__ import annotations

from bot.services import roster_template


def main() -> None:
    roster_template.DIRECTORY.mkdir(exist_ok=True)
    (roster_template.DIRECTORY / roster_template.XLSX_NAME).write_bytes(roster_template.to_xlsx())
    (roster_template.DIRECTORY / roster_template.CSV_NAME).write_bytes(roster_template.to_csv())


if __name__ == "__main__":
    main()
