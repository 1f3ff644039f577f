"""/language: the person picks Chinese or English; the choice is remembered."""

from __future__ import annotations

from bot.context import Context
from bot.errors import StaleButton
from bot.i18n import N_, SUPPORTED
from bot.protocol import Button, Reply
from bot.routing import ButtonAction, Command, Feature, button_data

LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}


async def choose(ctx: Context) -> Reply:
    """Shows the languages as buttons."""
    buttons = tuple(
        (Button(LANGUAGE_NAMES[locale], data=button_data("lang", locale)),) for locale in SUPPORTED
    )
    return Reply(ctx.t("Choose your language:"), buttons=buttons)


async def set_language(ctx: Context, args: list[str]) -> Reply:
    """Stores the chosen language and confirms in it; the menu follows the new language."""
    if len(args) != 1 or args[0] not in SUPPORTED:
        raise StaleButton()
    ctx.person.locale = args[0]
    ctx.t = ctx.translator_for(ctx.person)
    ctx.menus_to_refresh.add(ctx.person.id)
    return Reply(ctx.t("Language set to English."), edit=True)


def setup() -> Feature:
    return Feature(
        commands=[Command("language", choose, N_("Change the language"))],
        buttons=[ButtonAction("lang", set_language)],
    )
