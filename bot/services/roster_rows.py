"""A roster spreadsheet (XLSX or CSV) read and checked row by row, with no database.

Each row is checked by the validators of the application form (bot/validation.py), so an
imported unit meets the same bar as one that applied with /join (art. 11).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from bot import validation
from bot.charter.meetings import seats_allowed
from bot.charter.roster import seat_holders_allowed
from bot.errors import DomainError
from bot.i18n import N_
from bot.labels import SUB_SECTORS, TIERS, UNIT_TYPES
from storage.models import UnitTier

# Column key -> its header in the template, then other spellings accepted.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("单位名称 (unit name)", "单位名称", "unit name", "unit", "name"),
    "credit_code": ("统一社会信用代码 (credit code)", "统一社会信用代码", "credit code", "code"),
    "unit_type": ("单位类型 (type)", "单位类型", "type", "unit type"),
    "sub_sectors": ("细分领域 (sub-sectors)", "细分领域", "sub-sectors", "sub sectors", "sectors"),
    "region": ("所在地区 (region)", "所在地区", "地区", "region"),
    "tier": ("成员级别 (tier)", "成员级别", "级别", "tier"),
    "contact_name": ("联系人 (contact name)", "联系人", "contact name", "contact"),
    "phone": ("联系电话 (phone)", "联系电话", "电话", "phone"),
    "email": ("电子邮箱 (e-mail)", "电子邮箱", "邮箱", "e-mail", "email"),
    "seat_holders": ("主任联席会人选 (seat holders)", "主任联席会人选", "seat holders", "seats"),
    "experts": ("专家委员会委员 (experts)", "专家委员会委员", "专家", "experts"),
}
REQUIRED = ("name", "credit_code", "unit_type", "sub_sectors", "region", "contact_name")
REQUIRED += ("phone", "email")
FIELD_LABELS = {
    "name": N_("Unit"),
    "credit_code": N_("Credit code"),
    "unit_type": N_("Type"),
    "sub_sectors": N_("Sub-sectors"),
    "region": N_("Region"),
    "tier": N_("Tier"),
    "contact_name": N_("Contact person"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "seat_holders": N_("Seat holders"),
    "experts": N_("Experts"),
    "file": N_("File"),
}
# Chinese names as people type them, beside the keys and the English labels.
TYPE_WORDS = {
    "企业": "enterprise",
    "协会": "association",
    "社团组织": "association",
    "高等院校": "university",
    "高校": "university",
    "大学": "university",
    "科研院所": "institute",
    "研究院": "institute",
    "服务商": "provider",
    "服务机构": "provider",
    "其他": "other",
}
SECTOR_WORDS = {
    "采选": "mining",
    "采矿": "mining",
    "选矿": "mining",
    "冶炼": "smelting",
    "加工": "processing",
    "其他": "other",
}
TIER_WORDS = {
    "成员单位": UnitTier.MEMBER,
    "副主任单位": UnitTier.DEPUTY_DIRECTOR,
    "主任单位": UnitTier.DIRECTOR,
}
LIST_SEPARATORS = re.compile(r"[,，、;；/|\n]+")
ENTRY_SEPARATORS = re.compile(r"[;；\n]+")
PART_SEPARATORS = re.compile(r"[,，/|]+")
Table = list[tuple[int, dict[str, str]]]  # (row number, column key -> cell)
NOT_A_ROSTER = N_("Please send the roster as an XLSX or CSV file; /import gives the template.")


@dataclass(frozen=True)
class RosterPerson:
    name: str
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class RosterRow:
    """One unit of the roster, as checked; `line` is its row number in the file."""

    line: int
    name: str
    credit_code: str
    unit_type: str
    sub_sectors: tuple[str, ...]
    region: str
    tier: UnitTier
    contact: RosterPerson
    seat_holders: tuple[RosterPerson, ...] = ()
    experts: tuple[RosterPerson, ...] = ()


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field: a msgid and its parameters."""

    field: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefusedRow:
    line: int
    label: str  # the unit's name or code as written, so the reader finds the row
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Limits:
    """What /import reads of a file, whatever the file declares (DESIGN.md "Trust rules"):
    units per file, columns, and the bytes an XLSX may unpack to."""

    rows: int = 5000
    columns: int = 50
    unzipped_bytes: int = 20 * 1024 * 1024


DEFAULT_LIMITS = Limits()
EMPTY_RUN = 50  # this many empty rows in a row end the table: a sheet may declare a million
ZIP_RATIO = 100  # an XLSX part unpacking to more than this many times its size is a zip bomb
ZIP_RATIO_FROM = 1024 * 1024  # ... once it is this large: tiny parts compress oddly


def read_table(content: bytes, limits: Limits = DEFAULT_LIMITS) -> Table:
    """The rows of an XLSX or CSV file (told apart by content, not by name), keyed by column,
    with their row numbers; empty rows are skipped, and reading stops after `EMPTY_RUN` of
    them. A file beyond `limits` is refused with the numbers, before it is read in full."""
    if _is_xlsx(content):
        _check_archive(content, limits)
        lines = list(_bounded(_xlsx_lines(content, limits.columns), limits))
    else:
        lines = list(_bounded(_csv_lines(content), limits))
    header_at = next((i for i, (_, cells) in enumerate(lines) if any(cells)), None)
    if header_at is None:
        raise DomainError(N_("The file has no rows."))
    keys = [_column_key(cell) for cell in lines[header_at][1]]
    missing = [k for k in REQUIRED if k not in keys]
    if missing:
        raise DomainError(
            N_("The file lacks these columns: {columns}. Start from the template in /import."),
            columns=", ".join(COLUMNS[k][0] for k in missing),
        )
    table = []
    for number, cells in lines[header_at + 1 :]:
        row = {key: cell for key, cell in zip(keys, cells, strict=False) if key}
        if any(row.values()):
            table.append((number, row))
    return table


def _bounded(
    lines: Iterator[tuple[int, list[str]]], limits: Limits
) -> Iterator[tuple[int, list[str]]]:
    """The non-empty rows up to the first `EMPTY_RUN` empty ones; a row with data beyond the
    last column, or more rows than a header and `limits.rows` units, refuses the file."""
    empty, filled = 0, 0
    for number, cells in lines:
        if not any(cells):
            empty += 1
            if empty >= EMPTY_RUN:
                return
            continue
        empty, filled = 0, filled + 1
        if any(cells[limits.columns :]):
            raise DomainError(
                N_("Row {row} has data beyond column {limit}; a roster has at most {limit}."),
                row=number,
                limit=limits.columns,
            )
        if filled > limits.rows + 1:  # the header, then the units
            raise DomainError(
                N_("The file has more than {limit} rows; import at most {limit} at a time."),
                limit=limits.rows,
            )
        yield number, cells


def check_rows(
    table: list[tuple[int, dict[str, str]]],
) -> tuple[list[RosterRow], list[RefusedRow]]:
    """Every row checked; a credit code seen in an earlier row refuses the later one."""
    accepted: list[RosterRow] = []
    refused: list[RefusedRow] = []
    seen: dict[str, int] = {}
    for number, raw in table:
        row = check_row(number, raw)
        if isinstance(row, RefusedRow):
            refused.append(row)
        elif row.credit_code in seen:
            problem = Problem(
                "credit_code",
                N_("This credit code already appears in row {row}."),
                {"row": seen[row.credit_code]},
            )
            refused.append(RefusedRow(number, row.name, (problem,)))
        else:
            seen[row.credit_code] = number
            accepted.append(row)
    return accepted, refused


def check_row(line: int, raw: dict[str, str]) -> RosterRow | RefusedRow:
    """One row, checked field by field like the application form; every problem is named."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, check in CHECKS.items():
        if key in REQUIRED and not _cell(raw, key):
            problems.append(Problem(key, N_("This field is empty.")))
            continue
        try:
            values[key] = check(_cell(raw, key))
        except DomainError as error:
            problems.append(Problem(key, error.message, dict(error.params)))
    tier = values.get("tier")
    seat_holders = values.get("seat_holders", ())
    if tier is not None and not seat_holders_allowed(tier, len(seat_holders)):
        message = N_("A {tier} names at most {count} persons to the joint meeting (art. 19).")
        problems.append(
            Problem("seat_holders", message, {"tier": TIERS[tier], "count": seats_allowed(tier)})
        )
    if problems:
        label = _cell(raw, "name") or _cell(raw, "credit_code")
        return RefusedRow(line, label, tuple(problems))
    contact = RosterPerson(values["contact_name"], values["phone"], values["email"])
    return RosterRow(
        line=line,
        name=values["name"],
        credit_code=values["credit_code"],
        unit_type=values["unit_type"],
        sub_sectors=values["sub_sectors"],
        region=values["region"],
        tier=tier,
        contact=contact,
        seat_holders=seat_holders,
        experts=values["experts"],
    )


def row_to_data(row: RosterRow) -> dict[str, Any]:
    """A checked row as JSON, kept with the /import form until the secretariat confirms."""
    return {
        "line": row.line,
        "name": row.name,
        "credit_code": row.credit_code,
        "unit_type": row.unit_type,
        "sub_sectors": list(row.sub_sectors),
        "region": row.region,
        "tier": row.tier.value,
        "contact": _person_data(row.contact),
        "seat_holders": [_person_data(p) for p in row.seat_holders],
        "experts": [_person_data(p) for p in row.experts],
    }


def row_from_data(data: dict[str, Any]) -> RosterRow:
    return RosterRow(
        line=data["line"],
        name=data["name"],
        credit_code=data["credit_code"],
        unit_type=data["unit_type"],
        sub_sectors=tuple(data["sub_sectors"]),
        region=data["region"],
        tier=UnitTier(data["tier"]),
        contact=RosterPerson(**data["contact"]),
        seat_holders=tuple(RosterPerson(**p) for p in data["seat_holders"]),
        experts=tuple(RosterPerson(**p) for p in data["experts"]),
    )


# -- the fields ---------------------------------------------------------------------------------


def unit_type(text: str) -> str:
    found = _word(text, UNIT_TYPES, TYPE_WORDS)
    if found is None:
        raise DomainError(
            N_("Unknown unit type “{value}”. Use one of: {choices}."),
            value=text,
            choices=", ".join(TYPE_WORDS),
        )
    return found


def sub_sectors(text: str) -> tuple[str, ...]:
    chosen = []
    for part in filter(None, (p.strip() for p in LIST_SEPARATORS.split(text))):
        found = _word(part, SUB_SECTORS, SECTOR_WORDS)
        if found is None:
            raise DomainError(
                N_("Unknown sub-sector “{value}”. Use one or more of: {choices}."),
                value=part,
                choices=", ".join(SECTOR_WORDS),
            )
        chosen.append(found)
    if not chosen:
        raise DomainError(N_("Choose at least one sub-sector."))
    return tuple(sorted(set(chosen), key=list(SUB_SECTORS).index))


def tier(text: str) -> UnitTier:
    """Art. 12: member, deputy-director or director unit; empty means a member unit."""
    if not text.strip():
        return UnitTier.MEMBER
    labels = {tier.value: label for tier, label in TIERS.items()}
    found = _word(text, labels, {word: tier.value for word, tier in TIER_WORDS.items()})
    if found is None:
        raise DomainError(
            N_("Unknown tier “{value}”. Use one of: {choices}."),
            value=text,
            choices=", ".join(TIER_WORDS),
        )
    return UnitTier(found)


def people(text: str) -> tuple[RosterPerson, ...]:
    """`Name, phone, e-mail; Name, e-mail` — phone and e-mail optional, in either order."""
    found = []
    for entry in filter(None, (e.strip() for e in ENTRY_SEPARATORS.split(text))):
        name, *rest = [p.strip() for p in PART_SEPARATORS.split(entry)]
        phone = next((validation.phone(p) for p in rest if p and "@" not in p), "")
        email = next((validation.email(p) for p in rest if "@" in p), "")
        found.append(RosterPerson(validation.short_text(name, 64), phone, email))
    return tuple(found)


CHECKS = {
    "name": validation.short_text,
    "credit_code": validation.credit_code,
    "unit_type": unit_type,
    "sub_sectors": sub_sectors,
    "region": lambda text: validation.short_text(text, 64),
    "tier": tier,
    "contact_name": lambda text: validation.short_text(text, 64),
    "phone": validation.phone,
    "email": validation.email,
    "seat_holders": people,
    "experts": people,
}


# -- reading files -------------------------------------------------------------------------------


def _is_xlsx(content: bytes) -> bool:
    if not content.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _check_archive(content: bytes, limits: Limits) -> None:
    """Refuses an XLSX that would unpack beyond the limit, before anything is unpacked; the
    sizes are the archive's own, which zipfile holds each part to when reading it."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = archive.infolist()
    total = sum(part.file_size for part in parts)
    if total > limits.unzipped_bytes:
        raise DomainError(
            N_("The file unpacks to {size} MB, more than the {limit} MB a roster may have."),
            size=_megabytes(total),
            limit=_megabytes(limits.unzipped_bytes),
        )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > ZIP_RATIO_FROM and ratio > ZIP_RATIO:
            raise DomainError(
                N_("The file is compressed {ratio} times over, more than a spreadsheet can be."),
                ratio=int(ratio),
            )


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0")


def _xlsx_lines(content: bytes, columns: int) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows, `columns` wide and then the first value beyond them if any;
    numbers and dates come back as the text they show. The sheet's declared size is ignored:
    it may claim a million rows of 16,384 columns."""
    try:
        from openpyxl import load_workbook  # loaded when used: 10 MB resident

        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise DomainError(NOT_A_ROSTER) from error
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            beyond = list(islice(filter(None, values[columns:]), 1))  # at C speed
            yield number, [_text(value) for value in (*values[:columns], *beyond)]
    except (zipfile.BadZipFile, SyntaxError) as error:  # a part that lied about its size, or
        raise DomainError(NOT_A_ROSTER) from error  # broken XML (parse errors are SyntaxErrors)
    finally:
        book.close()


def _csv_lines(content: bytes) -> Iterator[tuple[int, list[str]]]:
    """UTF-8 (with or without a byte-order mark), or GB 18030 as Excel saves it in China."""
    if b"\x00" in content:
        raise DomainError(NOT_A_ROSTER)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DomainError(NOT_A_ROSTER)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        for row in reader:
            yield reader.line_num, [cell.strip() for cell in row]
    except csv.Error as error:
        raise DomainError(NOT_A_ROSTER) from error


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _column_key(header: str) -> str | None:
    wanted = _normal(header)
    for key, names in COLUMNS.items():
        if wanted in {_normal(name) for name in names}:
            return key
    return None


def _normal(text: str) -> str:
    return re.sub(r"[\s\-_()（）*]", "", text.lower())


def _word(text: str, labels: dict[str, str], words: dict[str, str]) -> str | None:
    """A vocabulary key from its key, its English label or a Chinese word."""
    wanted = _normal(text)
    for key, label in labels.items():
        if wanted in (_normal(key), _normal(label)):
            return key
    return next((key for word, key in words.items() if _normal(word) == wanted), None)


def _cell(raw: dict[str, str], key: str) -> str:
    return (raw.get(key) or "").strip()


def _person_data(person: RosterPerson) -> dict[str, str]:
    return {"name": person.name, "phone": person.phone, "email": person.email}
