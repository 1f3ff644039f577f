#!/usr/bin/env bash
# Runs the bot: on Telegram when BOT_TOKEN is set, otherwise the console on local SQLite.
# Extra arguments go to `python -m bot` (e.g. `console --as secretariat`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
exec .venv/bin/python -m bot "$@"
