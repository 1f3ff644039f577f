"""Settings from the environment or a `.env` file (DESIGN.md, Configuration)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{Path.cwd() / 'dtpc_bot.sqlite3'}"
TELEGRAM_API_URL = "https://api.telegram.org"


class Settings(BaseSettings):
    """Every knob of the bot; the charter's numbers live beside the rules that use them."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    bot_token: SecretStr | None = None
    bot_engine: Literal["aiogram", "ptb"] = "aiogram"
    telegram_api_url: str = TELEGRAM_API_URL
    database_url: str = Field(default_factory=lambda: DEFAULT_DATABASE_URL)
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    port: int = 8080
    default_locale: str = "zh_CN"
    timezone: str = "Asia/Shanghai"
    max_text_length: int = 4096
    polling_timeout: int = 30

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.replace(",", " ").split())
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept the plain URLs platforms hand out and pick the async driver."""
        for plain, async_ in (
            ("postgres://", "postgresql+asyncpg://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("sqlite:///", "sqlite+aiosqlite:///"),
        ):
            if value.startswith(plain):
                return async_ + value[len(plain) :]
        return value
