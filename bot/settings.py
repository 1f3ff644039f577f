"""Settings from the environment or a `.env` file (DESIGN.md, Configuration)."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{Path.cwd() / 'dtpc_bot.sqlite3'}"
TELEGRAM_API_URL = "https://api.telegram.org"
# What Telegram accepts as a webhook's secret token (setWebhook's `secret_token`).
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
GENERATED_SECRET_BYTES = 32  # 43 characters of token_urlsafe: 256 bits


class Settings(BaseSettings):
    """Every knob of the bot; the charter's numbers live beside the rules that use them."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")
    _secret_generated: bool = PrivateAttr(default=False)

    bot_token: SecretStr | None = None
    bot_engine: Literal["aiogram", "ptb"] = "aiogram"
    # For t.me links: the console's; a Telegram engine learns its own from getMe at start.
    bot_username: str | None = None
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
    telegram_timeout: float = Field(default=20.0, gt=0)  # seconds to wait for a Bot API answer
    # A person's updates beyond a burst of FLOOD_BURST, then FLOOD_RATE a second, are dropped
    # with one warning (bot/throttle.py).
    flood_rate: float = Field(default=2.0, gt=0)
    flood_burst: int = Field(default=20, ge=1)
    # A polled update written down but not handled (a crash) is replayed on start within this.
    inbox_replay_seconds: int = Field(default=600, ge=0)
    receive_retry_seconds: float = Field(default=1.0, gt=0)  # the database refused an update
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0)
    max_upload_bytes: int = 10 * 1024 * 1024  # sealed application forms
    document_max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)  # bots download ≤ 20 MB

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

    @model_validator(mode="after")
    def _webhook_secret(self) -> Settings:
        """A webhook never runs without a secret token (DESIGN.md, Trust rules): without
        WEBHOOK_SECRET a strong one is made for this run, and the engine registers it."""
        if self.webhook_url and self.webhook_secret is None:
            self.webhook_secret = SecretStr(secrets.token_urlsafe(GENERATED_SECRET_BYTES))
            self._secret_generated = True
        secret = self.webhook_secret
        if secret is not None and not SECRET_TOKEN.fullmatch(secret.get_secret_value()):
            raise ValueError("WEBHOOK_SECRET must be 1-256 characters among A-Z a-z 0-9 _ -")
        return self

    @property
    def webhook_secret_generated(self) -> bool:
        """Whether the webhook's secret token was made at start rather than configured."""
        return self._secret_generated

    # -- delivery and reminders (issue 3) --------------------------------------------------------
    # Telegram allows ~30 messages/s overall and 1/s per chat. The pace is kept per process:
    # with several instances on one bot token, divide SEND_RATE among them.
    send_rate: float = Field(default=30.0, gt=0)  # messages per second, overall
    per_chat_interval: float = Field(default=1.0, ge=0)  # seconds between sends to one chat
    # Rows a worker holds at once (claimed, not yet recorded): after a kill -9 at most these
    # may be sent twice, and they are reported as "unknown".
    delivery_max_in_flight: int = Field(default=20, ge=1)
    delivery_max_attempts: int = Field(default=5, ge=1)  # network errors and 5xx, then failed
    delivery_backoff: float = 2.0  # seconds before the first retry, doubled each time
    delivery_backoff_max: float = 300.0
    delivery_poll_interval: float = 1.0  # seconds between looks at an idle outbox
    delivery_heartbeat: float = 5.0
    delivery_worker_timeout: float = 30.0  # a worker silent this long is dead
    delivery_release_after: float = 3.0  # a row whose chat is held longer goes back
    delivery_drain_timeout: float = 20.0  # on stop, how long sends under way may take
    progress_interval: float = 5.0  # seconds between two edits of a progress message
    reminder_poll_interval: float = 1.0  # seconds between sweeps for due reminders
    reminder_batch_size: int = Field(default=100, ge=1)  # per transaction: short write locks

    # -- onboarding (issue 11) -------------------------------------------------------------------
    invitation_valid_days: int = Field(default=30, ge=1)  # roster invitation links expire after
    # An /import file is refused beyond these, whatever size the sheet declares (issue 17).
    import_max_rows: int = Field(default=5000, ge=1)  # units in one file
    import_max_columns: int = Field(default=50, ge=1)
    import_max_unzipped_bytes: int = Field(default=20 * 1024 * 1024, ge=1)  # an XLSX unpacked
    # The sealed form of a rejected or withdrawn application is deleted after this many days;
    # the application's row and its audit stay (issue 17).
    application_retention_days: int = Field(default=180, ge=1)
