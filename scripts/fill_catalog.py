"""Fills msgstr entries of a catalog from a Python dict file (a translator's helper).

Usage: python scripts/fill_catalog.py LOCALE TRANSLATIONS.py  — the file defines ZH2 (singular
msgid -> text) and ZH2_PLURAL (singular msgid -> the one Chinese form); an entry given there
replaces the catalog's text, so a wording is corrected the same way it is first written. For
`en`, no file is needed: the English catalog repeats the msgid, since the code's messages are
English.
"""

from __future__ import annotations

import runpy
import sys

from babel.messages.pofile import read_po, write_po


def main(locale: str, source: str | None) -> None:
    path = f"locales/{locale}/LC_MESSAGES/messages.po"
    with open(path, "rb") as po:
        catalog = read_po(po, locale=locale)
    table = runpy.run_path(source) if source else {}
    singular, plural = table.get("ZH2", {}), table.get("ZH2_PLURAL", {})
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if message.id[0] in plural:
                message.string = (plural[message.id[0]],)
            elif not any(message.string) and locale == "en":
                message.string = message.id
        elif message.id in singular:
            message.string = singular[message.id]
        elif not message.string and locale == "en":
            message.string = message.id
    with open(path, "wb") as po:
        write_po(po, catalog, width=99)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
