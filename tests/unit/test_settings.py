"""Settings from the environment; the token is never shown."""

from __future__ import annotations

import logging

import pytest

from bot.logs import RedactSecrets
from bot.settings import Settings

TOKEN = "123456:ABC-secret-token"


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "11, 22 33")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    monkeypatch.setenv("BOT_ENGINE", "ptb")
    settings = Settings(_env_file=None)
    assert settings.admin_ids == (11, 22, 33)
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert settings.bot_engine == "ptb"
    assert settings.default_locale == "zh_CN" and settings.timezone == "Asia/Shanghai"


def test_env_file(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(f"BOT_TOKEN={TOKEN}\nWEBHOOK_URL=https://bot.example/webhook\n")
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.bot_token is not None and settings.bot_token.get_secret_value() == TOKEN
    assert settings.webhook_url == "https://bot.example/webhook"


def test_token_not_in_repr() -> None:
    settings = Settings(_env_file=None, bot_token=TOKEN)
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)


def test_token_redacted_from_log_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact")
    logger.addFilter(RedactSecrets(TOKEN))
    with caplog.at_level(logging.INFO, logger="test.redact"):
        logger.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    assert TOKEN not in caplog.text and "bot***/getMe" in caplog.text
