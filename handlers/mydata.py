"""/mydata: a person's own data as a JSON file (PIPL art. 45), and their request for its
erasure (art. 47), which the secretariat confirms or declines.

Open to everyone: every person who has written to the bot has data here (at least their
Telegram id and display name), whether a guest, an applicant, a contact or staff. The file
is sent only in a private chat, whatever else guards group chats: a group would show it to
all its members."""

from __future__ import annotations

import json

from bot.context import Context
from bot.i18n import N_
from bot.protocol import Button, OutgoingFile, Reply
from bot.routing import ButtonAction, Command, Feature, Id, button_data, one_of
from bot.services import notify, privacy
from storage import units
from storage.models import Role

OWN = "my"  # the person's own buttons
STAFF = "pe"  # the secretariat's decision on a request
SECRETARIAT = frozenset({Role.SECRETARIAT})
# The secretariat's message names no one: it must not keep the name once erased.
ASKS = N_(
    "Person {id} asks for their personal data to be erased (PIPL art. 47). Erasure cannot be "
    "undone; what the charter requires to be kept stays under a pseudonym."
)
ASKS_CONTACT = N_(
    "Person {id}, a contact person of {unit}, asks for their personal data to be erased (PIPL "
    "art. 47). Erasure cannot be undone; what the charter requires to be kept stays under a "
    "pseudonym. The unit will need a new contact person if this is its only one (art. 14(8))."
)
DONE = N_(
    "Your personal data was erased, as you asked. What the charter requires to be kept "
    "(votes, attendance, the audit log) stays under a pseudonym. Send /start to begin anew."
)
DECLINED = N_(
    "The secretariat did not carry out your request for erasure. Please contact them for "
    "the reason."
)


async def show(ctx: Context) -> Reply:
    """The export as a file, with the button to ask for erasure."""
    if ctx.incoming.sender.in_group:
        return Reply(ctx.t("Your data is sent only in a private chat: send /mydata to me there."))
    document = await privacy.export_person(ctx.session, ctx.person)
    content = json.dumps(document, ensure_ascii=False, indent=2).encode()
    caption = ctx.t(
        "Everything the center's bot holds about you, as JSON (PIPL art. 45). You may also ask "
        "for it to be erased."
    )
    ask = Button(ctx.t("Request erasure…"), button_data(OWN, "erase"))
    file = OutgoingFile(f"mydata-{ctx.person.id}.json", content)
    return Reply(caption, buttons=((ask,),), file=file, protect=True, durable=True)


async def press(ctx: Context, action: str) -> Reply | list[Reply]:
    """The person's own buttons: ask to erase, then send the request or keep the data."""
    if action == "erase":
        text = ctx.t(
            "Erasure replaces your name, phone, e-mail and Telegram id everywhere with a "
            "pseudonym and ends your roles; it cannot be undone. Send the request to the "
            "secretariat?"
        )
        buttons = (
            (Button(ctx.t("Send the request"), button_data(OWN, "send")),),
            (Button(ctx.t("Keep my data"), button_data(OWN, "keep")),),
        )
        return Reply(text, buttons=buttons)
    if action == "keep":
        return Reply(ctx.t("Nothing was changed."), edit=True)
    return await _send(ctx)  # "send": the declared args admit no other word


async def _send(ctx: Context) -> list[Reply]:
    request = await privacy.request_erasure(ctx.session, ctx.person, ctx.clock.now())
    found = await units.of_person(ctx.session, ctx.person.id)
    buttons = [
        (N_("Erase the data"), button_data(STAFF, "yes", request.id)),
        (N_("Decline the request"), button_data(STAFF, "no", request.id)),
    ]
    if found:
        what = notify.note(ASKS_CONTACT, buttons, id=ctx.person.id, unit=found[0].name)
    else:
        what = notify.note(ASKS, buttons, id=ctx.person.id)
    staff = await notify.secretariat(ctx.session)
    done = ctx.t("Sent. The secretariat will confirm the erasure, and you will be told here.")
    return [Reply(done, edit=True), *notify.to_people(ctx.catalogs, staff, what)]


async def decide(ctx: Context, action: str, request_id: int) -> list[Reply]:
    """A secretariat account confirms (the erasure runs and is audited) or declines."""
    decision = await privacy.decide_request(
        ctx.session, request_id, ctx.person.id, action == "yes", ctx.clock.now(), ctx.catalogs
    )
    # Told in their language at their chat, both as they were before the erasure.
    t = ctx.catalogs.for_person(decision.locale, decision.language_code)
    if decision.erased is None:
        mine = ctx.t("Declined; the person was told.")
        return [Reply(mine, edit=True), Reply(t(DECLINED), chat_id=decision.chat_id)]
    mine = ctx.t("Erased: person {id} is now {pseudonym}.").format(
        id=decision.request.person_id, pseudonym=decision.pseudonym
    )
    return [Reply(mine, edit=True), Reply(t(DONE), chat_id=decision.chat_id)]


def setup() -> Feature:
    return Feature(
        commands=[Command("mydata", show, N_("Your personal data: a copy, or its erasure"))],
        buttons=[
            ButtonAction(OWN, press, args=(one_of("erase", "keep", "send"),)),
            ButtonAction(STAFF, decide, roles=SECRETARIAT, args=(one_of("yes", "no"), Id)),
        ],
    )
