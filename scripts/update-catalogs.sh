#!/usr/bin/env bash
# Extracts messages from the code and merges them into the zh_CN and en catalogs.
# Then fill in the empty msgstr entries; the test suite fails while any is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
"$PY" -m babel.messages.frontend extract -F locales/babel.cfg -k t -k nt:1,2 -k N_ \
  --no-location --sort-output --omit-header -o locales/messages.pot .
for locale in zh_CN en; do
  po=locales/$locale/LC_MESSAGES/messages.po
  if [ -f "$po" ]; then
    "$PY" -m babel.messages.frontend update -i locales/messages.pot -d locales -l "$locale" \
      --no-fuzzy-matching --ignore-obsolete
  else
    "$PY" -m babel.messages.frontend init -i locales/messages.pot -d locales -l "$locale"
  fi
done
