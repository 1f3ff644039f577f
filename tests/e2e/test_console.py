"""The console engine as a newcomer runs it: `python -m bot console`, lines in, replies out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from handlers.welcome import CHARTER
from tests.e2e.conftest import bot_env

TIMEOUT = 60  # seconds for a whole session, start-up and migrations included


def run_bot(
    tmp_path: Path, lines: list[str], *args: str, **settings: str
) -> subprocess.CompletedProcess:
    """Runs `python -m bot ARGS` on a fresh SQLite file, typing `lines`; returns the result."""
    env = bot_env(DATABASE_URL=f"sqlite:///{tmp_path / 'console.sqlite3'}", **settings)
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=tmp_path,  # no stray .env is read
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result


def assert_in_order(output: str, expected: list[str]) -> None:
    """Each expected line appears in the output, after the one before it."""
    lines, position = output.splitlines(), 0
    for wanted in expected:
        found = [i for i, line in enumerate(lines) if i >= position and wanted in line]
        assert found, f"{wanted!r} not found after line {position} in:\n{output}"
        position = found[0] + 1


def test_secretariat_session(tmp_path: Path) -> None:
    """As the secretariat: Chinese by default, English on request, a grant, a cancelled form."""
    lines = ["/start", "/help", "/language", "2", "/grant", "777", "3", "/grant", "/cancel"]
    output = run_bot(tmp_path, lines, "console", "--as", "secretariat").stdout
    # the grantee's message goes through the outbox, which prints it when its turn comes
    assert "→ chat 777: 您已被授予角色“主任联席会成员”。" in output
    assert_in_order(
        output,
        [
            "you are secretariat (user 1002)",
            "您以秘书处身份登录。",
            "[1] 📄 推进中心章程",
            "您可以使用：",
            "/grant — 为某人授予角色",
            "请选择语言：",
            "[2] English",
            "(edited) Language set to English.",
            "Send the Telegram ID of the person (a number).",
            "[3] joint meeting seat",
            "Role “joint meeting seat” granted to 777.",
            "[menu of 777: /start /help /language",
            "Send the Telegram ID of the person (a number).",
            "Cancelled. Nothing was saved.",
        ],
    )
    grantee_menu = next(line for line in output.splitlines() if "[menu of 777:" in line)
    assert "/grant" not in grantee_menu


def test_guest_session_in_english(tmp_path: Path) -> None:
    """As a guest in English: the welcome, the charter file, a refused command, no form."""
    lines = ["/start", "1", "/grant 5 expert", "/cancel", "/nonsense"]
    output = run_bot(tmp_path, lines, "console", "--lang", "en").stdout
    assert_in_order(
        output,
        [
            "you are guest (user 1000)",
            "Welcome to the DTPC-NMI member bot",
            "Read the charter below to learn about the center.",
            "[1] 📄 The charter",
            "The charter of DTPC-NMI (draft, in Chinese).",
            f"[file: charter-zh.txt, {len(CHARTER.read_bytes())} bytes]",
            "The command /grant is not available to you.",
            "There is nothing to cancel.",
            "I don't know the command /nonsense.",
        ],
    )


def test_without_a_token_the_bot_opens_the_console(tmp_path: Path) -> None:
    """`python -m bot` with no BOT_TOKEN says how to get one, then chats in the console."""
    result = run_bot(tmp_path, ["/help"])
    assert "No BOT_TOKEN is set" in result.stderr
    assert "@BotFather" in result.stderr
    assert_in_order(result.stdout, ["you are guest", "您可以使用：", "/start — "])
