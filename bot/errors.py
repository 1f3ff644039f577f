"""Domain errors: raised by rules and services, answered by the dispatch in the user's language."""

from __future__ import annotations

from typing import Any

from bot.i18n import N_, Translator


class DomainError(Exception):
    """A refusal the user should read: `message` is a catalog msgid, `params` fill it."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def text(self, t: Translator) -> str:
        """The refusal in `t`'s language; a date or moment parameter reads as people read it."""
        return t(self.message).format(**{k: t.shown(v) for k, v in self.params.items()})


class NotAllowed(DomainError):
    """The person's current roles do not permit the action."""


class Toast(DomainError):
    """Nothing to do, and nothing worth a message: a press repeating what is already recorded
    is answered on the button with a line that fades by itself."""


class StaleButton(DomainError):
    """A button whose action no longer applies (old message, finished form, forged data)."""

    def __init__(self) -> None:
        super().__init__(STALE)


STALE = N_("This button is no longer valid. Send /start to begin again.")
