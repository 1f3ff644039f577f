"""Files people send in a form: their bytes, within a size limit, checked twice."""

from __future__ import annotations

from bot.errors import DomainError
from bot.i18n import N_
from bot.protocol import IncomingFile

TOO_LARGE = N_("That file is larger than {megabytes} MB.")


async def read_within(file: IncomingFile, limit: int) -> bytes:
    """The file's bytes: refused before downloading when Telegram says it is too large, and
    after when it was larger than it said."""
    assert file.fetch is not None, "a received file can be fetched"
    if file.size is not None and file.size > limit:
        raise DomainError(TOO_LARGE, megabytes=limit // 2**20)
    content = await file.fetch()
    if len(content) > limit:
        raise DomainError(TOO_LARGE, megabytes=limit // 2**20)
    return content
