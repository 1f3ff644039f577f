"""Every enumerated label — roles, tiers, statuses, levels, choices, audiences, kinds, columns —
reads in Chinese in a Chinese message, and the code never puts a label's msgid into a message
without translating it (issue 20: "成为上海…有限公司的contact person")."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.i18n import Catalogs
from bot.reminders.kinds import reminder_kinds
from handlers import features
from tests.unit.test_i18n import catalog

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "storage")
CATALOGS = Catalogs("zh_CN", "Asia/Shanghai")

# Latin words a Chinese message may keep: formats, products, the center's own abbreviation,
# what the person types (date patterns, the credit code's excluded letters).
ALLOWED_WORDS = frozenset(
    {
        *("PDF", "XLSX", "CSV", "JPG", "PNG", "DOCX", "JSON", "MB", "SHA-256"),
        *("Word", "Excel", "PowerPoint", "OpenDocument", "Telegram", "ID", "URL"),
        *("DTPC-NMI", "YYYY-MM-DD", "HH", "MM", "DATABASE_URL", "dtpc-ballot"),
        *("I", "O", "S", "V", "Z"),
    }
)
# Placeholders, commands, addresses, and the roster's search syntax (its keys are typed as is).
NOT_WORDS = re.compile(r"\{\w*\}|/[a-z_]+|https?://\S*|\S+@\S+\.\w+|\b(?:status|tier|sector):\w+")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")


def foreign_words(text: str) -> list[str]:
    """The Latin words in a Chinese text that are not among the allowed ones."""
    return [w for w in LATIN_WORD.findall(NOT_WORDS.sub(" ", text)) if w not in ALLOWED_WORDS]


# -- finding the label tables in the code --------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A module-level container holding N_() msgids: a label table (or a table of messages)."""

    where: str  # "handlers/roles.py:ROLE_NAMES"
    msgids: tuple[str, ...]


def source_files() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _is_n(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "N_"


def _msgids(value: ast.AST) -> tuple[str, ...]:
    return tuple(
        node.args[0].value
        for node in ast.walk(value)
        if _is_n(node) and node.args and isinstance(node.args[0], ast.Constant)
    )


def _assigned(statement: ast.stmt) -> tuple[str, ast.AST] | None:
    if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
        return statement.targets[0].id, statement.value
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return (statement.target.id, statement.value) if statement.value else None
    return None


CONTAINERS = (ast.Dict, ast.Tuple, ast.List, ast.Set)


def label_tables() -> list[Table]:
    """Every module-level dict, tuple, list or set whose entries hold N_() msgids."""
    found = []
    for path in source_files():
        for statement in ast.parse(path.read_text()).body:
            assigned = _assigned(statement)
            if assigned and isinstance(assigned[1], CONTAINERS) and _msgids(assigned[1]):
                where = f"{path.relative_to(ROOT)}:{assigned[0]}"
                found.append(Table(where, _msgids(assigned[1])))
    return found


def single_labels() -> list[str]:
    """Labels kept one by one: reminder kinds (named to the secretariat) and command
    descriptions (the menu and /help)."""
    kinds = [kind.label for kind in reminder_kinds().values()]
    commands = [c.description for feature in features() for c in feature.commands]
    return kinds + commands


TABLES = label_tables()
LABELS = sorted({m for table in TABLES for m in table.msgids} | set(single_labels()))


def test_the_label_tables_are_found() -> None:
    """Guards the tests below against a search that finds nothing."""
    where = {table.where for table in TABLES}
    expected = {
        "bot/labels.py:TIERS",
        "bot/labels.py:STATUSES",
        "bot/labels.py:MEASURES",
        "bot/labels.py:UNIT_TYPES",
        "bot/labels.py:SUB_SECTORS",
        "bot/labels.py:FIELDS",
        "handlers/onboarding.py:KINDS",
        "handlers/onboarding.py:STATES",
        "handlers/roles.py:ROLE_NAMES",
        "handlers/documents.py:LEVELS",
        "handlers/notices.py:AUDIENCES",
        "bot/minutes.py:CHOICES",
        "bot/minutes.py:KINDS",
    }
    assert expected <= where, sorted(expected - where)
    assert "reminder that a withdrawal takes effect" in LABELS
    assert "contact person" in LABELS and "seat holder" in LABELS


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_label_has_a_translation(locale: str) -> None:
    translations = catalog(locale)
    assert [label for label in LABELS if not translations.get(label)] == []


def test_every_label_reads_in_chinese() -> None:
    t = CATALOGS.translator("zh_CN")
    english = {label: t(label) for label in LABELS if foreign_words(t(label))}
    assert english == {}


def test_no_chinese_message_keeps_english_words() -> None:
    """The whole zh_CN catalog, not only the labels: no untranslated English is left inside a
    Chinese sentence, beyond formats, product names and what the person types."""
    english = {
        msgid: text for msgid, text in catalog("zh_CN").items() if text and foreign_words(text)
    }
    assert english == {}


def test_the_check_sees_english() -> None:
    assert foreign_words("何平已接受邀请，成为上海有限公司的contact person。") == [
        "contact",
        "person",
    ]
    assert foreign_words("请以 XLSX 或 CSV 文件发送；发送 /cancel 退出。{unit}") == []


# -- labels put into messages untranslated ---------------------------------------------------


def _table_name(node: ast.AST, names: set[str]) -> str | None:
    """The table a lookup reads: `TIERS[x]`, `events.STATUS_NAMES[x]`, `TIERS.get(x, x)`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr != "get":
            return None
        node = node.func.value
    elif isinstance(node, ast.Subscript):
        node = node.value
    else:
        return None
    if isinstance(node, ast.Name):
        return node.id if node.id in names else None
    if isinstance(node, ast.Attribute):
        return node.attr if node.attr in names else None
    return None


def raw_label_uses(tree: ast.AST, names: set[str]) -> list[tuple[int, str]]:
    """A label looked up and handed on as it is — a keyword argument (`.format(role=...)`,
    `notify.note(..., role=...)`, `DomainError(..., tier=...)`) or an f-string part — where
    it must first be translated (`t(...)`) or wrapped for each recipient (`notify.Msg(...)`)."""
    found = []
    for node in ast.walk(tree):
        parts: list[ast.AST] = []
        if isinstance(node, ast.Call):
            parts = [keyword.value for keyword in node.keywords]
        elif isinstance(node, ast.FormattedValue):
            parts = [node.value]
        for part in parts:
            table = _table_name(part, names)
            if table is not None:
                found.append((part.lineno, table))
    return found


def test_labels_are_translated_before_they_go_into_a_message() -> None:
    names = {table.where.split(":")[1] for table in TABLES}
    raw = [
        f"{path.relative_to(ROOT)}:{line} {table}"
        for path in source_files()
        for line, table in raw_label_uses(ast.parse(path.read_text()), names)
    ]
    assert raw == []


def test_the_raw_use_check_sees_one() -> None:
    raw = "notify.note(N_('{name} accepted as {role}'), role=KINDS[invitation.kind])"
    good = "notify.note(N_('…'), role=notify.Msg(KINDS[k]), tier=t(TIERS.get(k, k)))"
    assert raw_label_uses(ast.parse(raw), {"KINDS"}) == [(1, "KINDS")]
    assert raw_label_uses(ast.parse(good), {"KINDS", "TIERS"}) == []
    assert raw_label_uses(ast.parse("f'{x} ({STATUSES[s]})'"), {"STATUSES"}) == [(1, "STATUSES")]
    assert raw_label_uses(ast.parse("text.format(tier=TIERS.get(k, k))"), {"TIERS"}) == [
        (1, "TIERS")
    ]
