#!/usr/bin/env bash
# Runs the whole test suite on SQLite and PostgreSQL (started if it is not running), and ruff.
# Extra arguments go to pytest (e.g. `-k dispatch`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
source scripts/postgres.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/pytest "$@"
