"""/language: the person picks Chinese or English; the choice is remembered."""

from __future__ import annotations

from bot.context import Context
from bot.i18n import N_, SUPPORTED
from bot.protocol import Button, Reply
from bot.routing import ButtonAction, Command, Feature, button_data, one_of

LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}


async def choose(ctx: Context) -> Reply:
    """Shows the languages as buttons."""
    buttons = tuple(
        (Button(LANGUAGE_NAMES[locale], data=button_data("lang", locale)),) for locale in SUPPORTED
    )
    return Reply(ctx.t("Choose your language:"), buttons=buttons)


async def set_language(ctx: Context, locale: str) -> Reply:
    """Stores the chosen language and confirms in it; the menu follows the new language."""
    ctx.person.locale = locale
    ctx.t = ctx.translator_for(ctx.person)
    ctx.menus_to_refresh.add(ctx.person.id)
    return Reply(ctx.t("Language set to English."), edit=True)


def setup() -> Feature:
    return Feature(
        commands=[Command("language", choose, N_("Change the language"))],
        buttons=[ButtonAction("lang", set_language, args=(one_of(*SUPPORTED),))],
    )
