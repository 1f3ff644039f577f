"""Logging set-up; the bot token is redacted from every record, whoever logs it."""

from __future__ import annotations

import logging
from typing import TextIO
from urllib.parse import quote


class RedactSecrets(logging.Filter):
    """Replaces each secret, as written or URL-encoded (a token in a request URL), in the
    message and in the traceback of every record."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        forms = {form for s in secrets if s for form in (s, quote(s, safe=""), quote(s))}
        self.secrets = sorted(forms, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._found(message):
            record.msg, record.args = self._redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self._found(record.exc_text):
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info and self._found(record.stack_info):
            record.stack_info = self._redact(record.stack_info)
        return True

    def _found(self, text: str) -> bool:
        return any(secret in text for secret in self.secrets)

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def handler(stream: TextIO | None, *secrets: str) -> logging.Handler:
    """The bot's log handler (stderr when `stream` is None), redacting `secrets`."""
    result = logging.StreamHandler(stream)
    result.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    result.addFilter(RedactSecrets(*secrets))
    return result


def configure(level: int, *secrets: str) -> None:
    logging.basicConfig(level=level, handlers=[handler(None, *secrets)], force=True)
