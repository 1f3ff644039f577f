"""/docs, /upload, /trace, and the ways to fetch a document (art. 13(1), 14(4)).

A document is sent only when asked for, and every way of asking — a /docs button, the
button other features put on notices and agendas (`bot.services.documents.fetch_button`),
a t.me link `doc_<id>` — ends in `_send`, which checks access at that moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot import validation
from bot.charter.documents import Audience, Level, Reason
from bot.context import Context
from bot.errors import DomainError, StaleButton
from bot.i18n import N_, Translator
from bot.links import start_link
from bot.protocol import Button, OutgoingFile, Reply
from bot.routing import ButtonAction, Command, DeepLink, Feature, Form, Id, button_data, one_of
from bot.services import documents
from bot.services.documents import CATEGORIES, FETCH, VIAS
from storage import documents as stored
from storage.documents_models import Document, DocumentDelivery
from storage.models import Role

SECRETARIAT = frozenset({Role.SECRETARIAT})
UPLOAD, VERSION = "upload", "docversion"
LISTED = 30  # documents shown by /docs; more are found with /docs WORDS
LOG_LINES = 30
LINK_PREFIX = "doc"
Rows = tuple[tuple[Button, ...], ...]

LEVELS = {
    Level.PUBLIC: N_("Public"),
    Level.MEMBERS: N_("Member units"),
    Level.LEADERSHIP: N_("Joint directors' meeting"),
    Level.EXPERTS: N_("Expert committee"),
    Level.UNITS: N_("Named units…"),
}
REVIEWERS = (Level.LEADERSHIP, Level.EXPERTS, Level.MEMBERS)
DRAFT_READERS = (Reason.REVIEWER, Reason.SECRETARIAT)
# Whom a document is for, named in a refusal (art. 13(1); 19 and 21 for the two bodies).
AUDIENCES = {
    Level.PUBLIC: N_("everyone"),
    Level.MEMBERS: N_("the center's member units"),
    Level.LEADERSHIP: N_("the members of the joint directors' meeting"),
    Level.EXPERTS: N_("the members of the expert committee"),
    Level.UNITS: N_("the member units named by the secretariat"),
}
NOT_PUBLISHED = N_("You may not receive this document: it has not been published yet.")
SUSPENDED = N_(
    "You may not receive this document: it is only for {audience}, and your unit's rights as "
    "a member unit are suspended (charter art. 15(3))."
)
NOT_A_CONTACT = N_(
    "You may not receive this document: it is only for {audience}, and you are not the "
    "contact person of a member unit."
)
NOT_AMONG = N_(
    "You may not receive this document: it is only for {audience}, and you are not among them."
)
CORRUPTED = N_(
    "This document cannot be sent now: its stored copy failed the integrity check. "
    "The secretariat has been told."
)
TRACED = N_(
    "Trace code {code}: {title}, version {number}, sent on {when} to {name} of {unit}. "
    "How it was obtained: {how}."
)
TRACED_NO_UNIT = N_(
    "Trace code {code}: {title}, version {number}, sent on {when} to {name}. "
    "How it was obtained: {how}."
)
INVALID_LINK = N_("This link is not valid. Send /start to begin.")
ASK_FILE = N_(
    "Send the document as a file: PDF, Word, Excel, PowerPoint or an image, at most {limit} MB. "
    "/cancel stops."
)


# -- getting documents ----------------------------------------------------------------------


async def show_documents(ctx: Context) -> Reply:
    """Lists the documents the person may have now, by category, newest first, with buttons."""
    now = ctx.clock.now()
    who = await documents.recipient(ctx.session, ctx.person, ctx.roles)
    found = await documents.documents_for(ctx.session, who, now, ctx.incoming.args.strip())
    if not found:
        return Reply(ctx.t("There are no documents for you here yet."))
    shown = sorted(found[:LISTED], key=lambda pair: list(CATEGORIES).index(pair[0].category))
    lines = _listing(ctx, [document for document, _ in shown], now)
    if len(found) > LISTED:
        hidden = len(found) - LISTED
        more = ctx.t.nt(
            "{count} older document is not shown; search with /docs WORDS.",
            "{count} older documents are not shown; search with /docs WORDS.",
            hidden,
        )
        lines.append("\n" + more.format(count=hidden))
    rows = tuple((Button(d.title[:60], button_data("dls", d.id)),) for d, _ in shown)
    protect = any(documents.confidential(d, now) for d, _ in shown)
    return Reply("\n".join(lines).strip(), buttons=rows, protect=protect)


def _listing(ctx: Context, shown: list[Document], now: datetime) -> list[str]:
    lines, heading = [], None
    for document in shown:
        if document.category != heading:
            heading = document.category
            lines.append(f"\n{ctx.t(CATEGORIES[heading])}")
        lines.append(_list_line(ctx, document, now))
    return lines


def _list_line(ctx: Context, document: Document, now: datetime) -> str:
    day = ctx.t.date(document.updated_at)
    line = f"• {document.id}. {document.title[:80]} — {day}"
    if document.embargo_until is not None and now < document.embargo_until:
        until = ctx.t("draft until {when}").format(when=ctx.t.datetime(document.embargo_until))
        line += f" ({until})"
    return line


async def fetch_from_list(ctx: Context, document_id: int) -> list[Reply]:
    """Sends the document chosen in /docs, if the person may have it now."""
    return await _send(ctx, await _document(ctx, document_id), "list")


async def fetch_from_button(ctx: Context, document_id: int, via: str) -> list[Reply]:
    """Sends the document a notice's or an agenda's button names, if the person may have it now."""
    return await _send(ctx, await _document(ctx, document_id), f"button:{via}")


async def fetch_from_link(ctx: Context, document_id: int) -> list[Reply]:
    """Sends the document a t.me link (`?start=doc_<id>`) points to, if the person may have it."""
    document = await stored.get(ctx.session, document_id)
    if document is None:
        raise DomainError(INVALID_LINK)
    return await _send(ctx, document, "link")


async def _document(ctx: Context, document_id: int) -> Document:
    """The document a button names, re-loaded; a forged or stale button is refused."""
    document = await stored.get(ctx.session, document_id)
    if document is None:
        raise StaleButton()
    return document


async def _send(ctx: Context, document: Document, path: str) -> list[Reply]:
    who = await documents.recipient(ctx.session, ctx.person, ctx.roles)
    bot = documents.bot_identity(ctx.settings)
    sending = await documents.send_document(
        ctx.session, who, document, path, ctx.t, bot, ctx.clock.now()
    )
    if sending.corrupt:
        told = await documents.tell_corruption(ctx.session, ctx.catalogs, sending)
        return [Reply(ctx.t(CORRUPTED)), *told]
    if sending.file is None:
        return [Reply(refusal(ctx.t, sending.decision.reason, sending.level))]
    buttons = _manage_buttons(ctx, document) if Role.SECRETARIAT in ctx.roles else ()
    caption = _caption(ctx, sending)
    return [
        Reply(
            caption,
            buttons=buttons,
            file=sending.file,
            protect=sending.protect,
            durable=True,  # logged as delivered once Telegram confirms it (art. 14(4))
            on_sent=sending.on_sent,
        )
    ]


def refusal(t: Translator, reason: Reason, level: Level) -> str:
    """Why the person may not have the document, naming whom it is for (the level it was
    judged at: a draft's review audience until its publication)."""
    if reason is Reason.NOT_PUBLISHED:
        return t(NOT_PUBLISHED)
    if reason is Reason.SUSPENDED:
        message = SUSPENDED
    else:
        message = NOT_A_CONTACT if level is Level.MEMBERS else NOT_AMONG
    return t(message).format(audience=t(AUDIENCES[level]))


def _caption(ctx: Context, sending: documents.Sending) -> str:
    document, t = sending.document, ctx.t
    lines = [document.title, document.description]
    lines.append(
        t("Version {number} of {day}").format(
            number=sending.version.number, day=t.date(sending.version.uploaded_at)
        )
    )
    if document.embargo_until is not None and sending.decision.reason in DRAFT_READERS:
        lines.append(
            t("Draft for review, confidential until its publication ({when}).").format(
                when=t.datetime(document.embargo_until)
            )
        )
    if sending.protect:
        lines.append(t("Confidential (charter art. 14(4)): do not pass it on."))
    return "\n".join(line for line in lines if line)


# -- the secretariat: the log, versions, trace codes ----------------------------------------


def _manage_buttons(ctx: Context, document: Document) -> Rows:
    return (
        (Button(ctx.t("Who received it"), button_data("dm", "log", document.id)),),
        (Button(ctx.t("Export the access log"), button_data("dm", "csv", document.id)),),
        (Button(ctx.t("Upload a new version"), button_data("dm", "ver", document.id)),),
    )


async def manage(ctx: Context, action: str, document_id: int) -> Reply:
    """The secretariat's buttons on a document: its access log, an export, a new version."""
    if action == "ver":
        return await _start_version(ctx, await _document(ctx, document_id))
    found = await documents.access_log(ctx.session, document_id)
    if found is None:
        raise StaleButton()
    return _log_view(ctx, found) if action == "log" else _log_export(ctx, found)


async def _start_version(ctx: Context, document: Document) -> Reply:
    await ctx.start_form(VERSION, "file", document=document.id)
    return Reply(_ask_file(ctx))


def _log_view(ctx: Context, found: documents.AccessLog) -> Reply:
    t, entries = ctx.t, found.entries
    delivered = sum(e.allowed for e in entries)
    head = t("{title} — sent: {sent}; refused: {refused}.").format(
        title=found.document.title, sent=delivered, refused=len(entries) - delivered
    )
    lines = [head, *(_log_line(ctx, found, e) for e in entries[:LOG_LINES])]
    return Reply("\n".join(lines), protect=True)


def _log_line(ctx: Context, found: documents.AccessLog, entry: DocumentDelivery) -> str:
    """When, which version, who (and for which unit), how it was obtained, and its trace code
    or the reason it was refused."""
    t = ctx.t
    outcome = entry.trace_code if entry.allowed else f"✗ {documents.reason_label(t, entry.reason)}"
    version = found.versions.get(entry.version_id, "?")
    how = documents.path_label(t, entry.path)
    parts = [t.datetime(entry.at), f"v{version}", entry.person_name, entry.unit_name, how, outcome]
    return " · ".join(part for part in parts if part)


def _log_export(ctx: Context, found: documents.AccessLog) -> Reply:
    content = documents.log_csv(found, ctx.t)
    name = f"document-{found.document.id}-access-log.csv"
    caption = ctx.t("The access log of {title}.").format(title=found.document.title)
    return Reply(caption, file=OutgoingFile(name, content=content), protect=True, durable=True)


async def trace(ctx: Context) -> Reply:
    """/trace CODE: names the delivery a trace code printed on a copy belongs to."""
    if not ctx.incoming.args.strip():
        return Reply(ctx.t("Send /trace and the trace code printed on the copy."))
    entry, document, version = await documents.trace(ctx.session, ctx.incoming.args)
    text = ctx.t(TRACED if entry.unit_name else TRACED_NO_UNIT).format(
        code=entry.trace_code,
        title=document.title,
        number=version.number,
        name=entry.person_name,
        unit=entry.unit_name,
        when=ctx.t.datetime(entry.at),
        how=documents.path_label(ctx.t, entry.path),
    )
    return Reply(text, protect=True)


# -- /upload and new versions ---------------------------------------------------------------


async def start_upload(ctx: Context) -> Reply:
    """Starts the upload form and asks for the file."""
    await ctx.start_form(UPLOAD, "file")
    return Reply(_ask_file(ctx))


def _ask_file(ctx: Context) -> str:
    return ctx.t(ASK_FILE).format(limit=_limit_mb(ctx))


def _limit_mb(ctx: Context) -> float:
    return round(ctx.settings.document_max_bytes / 2**20, 1)


async def _receive(ctx: Context) -> int:
    """Checks the file's size before fetching it, then its type; keeps it for the form."""
    file = ctx.incoming.file
    if file is None or file.fetch is None:
        raise DomainError(ASK_FILE, limit=_limit_mb(ctx))
    documents.check_size(file.size, ctx.settings.document_max_bytes)
    upload = (file.name, file.file_id, await file.fetch())
    bot = documents.bot_identity(ctx.settings)
    limit, now = ctx.settings.document_max_bytes, ctx.clock.now()
    version = await documents.receive_upload(ctx.session, ctx.person, upload, bot, now, limit)
    return version.id


async def answer_file(ctx: Context) -> Reply:
    """Keeps the file and asks for the title."""
    await ctx.next_step("title", upload=await _receive(ctx))
    return Reply(ctx.t("The document's title?"))


async def answer_title(ctx: Context) -> Reply:
    """Stores the title and asks for a description."""
    await ctx.next_step("description", title=validation.short_text(ctx.incoming.text, 200))
    return Reply(ctx.t("A short description for the recipients (or - for none)?"))


async def answer_description(ctx: Context) -> Reply:
    """Stores the description and asks for the category."""
    text = validation.short_text(ctx.incoming.text, 600)
    await ctx.next_step("category", description="" if text == "-" else text)
    return _ask(ctx, "category")


async def answer_units(ctx: Context) -> Reply:
    """Stores the units named by their credit codes and asks about an embargo."""
    found = await documents.units_by_codes(ctx.session, ctx.incoming.text or "")
    await ctx.next_step("embargo", unit_ids=sorted({u.id for u in found}))
    return _ask(ctx, "embargo")


async def answer_when(ctx: Context) -> Reply:
    """Stores the publication time (in the secretariat's time zone) and shows the summary."""
    text = " ".join(validation.typed(ctx.incoming.text).split())
    try:
        moment = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ctx.t.zone)
    except ValueError:
        raise DomainError(
            N_("Please send the time as YYYY-MM-DD HH:MM, for example 2026-12-01 09:00.")
        ) from None
    if moment <= ctx.clock.now():
        raise DomainError(N_("The publication time must be in the future."))
    await ctx.next_step("confirm", embargo_until=moment.isoformat())
    return _summary(ctx)


async def expect_button(ctx: Context) -> Reply:
    """Text where a button was expected: asks the question again."""
    assert ctx.conversation is not None
    return _ask(ctx, ctx.conversation.step, ctx.t("Please use the buttons."))


async def press_upload(ctx: Context, action: str, value: str) -> Reply | list[Reply]:
    """The upload form's buttons: category, level, embargo, review audience, publish."""
    if action == "cat":
        ctx.require_step(UPLOAD, "category")
        return await _next(ctx, "level", category=value)
    if action == "lvl":
        ctx.require_step(UPLOAD, "level")
        return await _next(ctx, "units" if value == Level.UNITS else "embargo", level=value)
    if action == "emb":
        ctx.require_step(UPLOAD, "embargo")
        return await _next(ctx, "confirm" if value == "now" else "review")
    if action == "rev":
        ctx.require_step(UPLOAD, "review")
        await ctx.next_step("when", review_level=value)
        return Reply(ctx.t("When is it published? Send YYYY-MM-DD HH:MM."))
    ctx.require_step(UPLOAD, "confirm")  # "pub"
    return await _publish(ctx, announce=value == "announce")


UPLOAD_BUTTONS = {
    "cat": (one_of(*CATEGORIES),),
    "lvl": (one_of(*Level),),
    "emb": (one_of("now", "review"),),
    "rev": (one_of(*REVIEWERS),),
    "pub": (one_of("announce", "quiet"),),
}


async def _publish(ctx: Context, announce: bool) -> list[Reply]:
    a, now = ctx.answers, ctx.clock.now()
    document = await documents.publish(ctx.session, _draft(a), ctx.person.id, now)
    await ctx.end_form()
    link = start_link(ctx.settings.bot_username, f"{LINK_PREFIX}_{document.id}")
    done = ctx.t("Published as document {number}: {title}. A link to it for messages: {link}")
    done = done.format(number=document.id, title=document.title, link=link)
    reply = Reply(done, buttons=_manage_buttons(ctx, document), edit=True)
    if not (announce or document.embargo_until):
        return [reply]
    return [reply, *await documents.announce_publication(ctx.session, ctx.catalogs, document, now)]


def _draft(a: dict[str, Any]) -> documents.DocumentDraft:
    review = Audience(Level(a["review_level"])) if a.get("review_level") else None
    until = datetime.fromisoformat(a["embargo_until"]) if a.get("embargo_until") else None
    return documents.DocumentDraft(
        upload_id=a["upload"],
        title=a["title"],
        description=a["description"],
        category=a["category"],
        audience=Audience(Level(a["level"]), frozenset(a.get("unit_ids", []))),
        embargo_until=until,
        review=review,
    )


async def _next(ctx: Context, step: str, **answers: object) -> Reply:
    await ctx.next_step(step, **answers)
    return _ask(ctx, step)


def _ask(ctx: Context, step: str, lead: str | None = None) -> Reply:
    if step == "confirm":
        return _summary(ctx)
    question, rows = _question(ctx, step)
    return Reply("\n".join(filter(None, [lead, question])), buttons=rows)


def _question(ctx: Context, step: str) -> tuple[str, Rows]:
    t = ctx.t
    if step == "category":
        return t("Which category?"), _choices(ctx, "cat", CATEGORIES.items())
    if step == "level":
        return t("Who may receive it?"), _choices(ctx, "lvl", LEVELS.items())
    if step == "units":
        return t("Send the credit codes of the units, separated by spaces or new lines."), ()
    if step == "embargo":
        return t("Publish it now, or first as a draft for review?"), _choices(
            ctx, "emb", [("now", N_("Publish now")), ("review", N_("Draft for review first…"))]
        )
    if step == "review":
        reviewers = [(level, LEVELS[level]) for level in REVIEWERS]
        return t("Who reviews the draft until its publication?"), _choices(ctx, "rev", reviewers)
    return t("When is it published? Send YYYY-MM-DD HH:MM."), ()


def _choices(ctx: Context, action: str, items: Iterable[tuple[str, str]]) -> Rows:
    return tuple((Button(ctx.t(label), button_data(UPLOAD, action, key)),) for key, label in items)


def _summary(ctx: Context) -> Reply:
    a, t = ctx.answers, ctx.t
    audience = t(LEVELS[Level(a["level"])]).rstrip("…")
    if a.get("unit_ids"):
        audience += f" ({len(a['unit_ids'])})"
    category = CATEGORIES[a["category"]]
    lines = [t("Please check:"), a["title"], a["description"], t(category)]
    lines.append(t("For: {audience}").format(audience=audience))
    if a.get("embargo_until"):
        when = t.datetime(datetime.fromisoformat(a["embargo_until"]))
        reviewers = t(LEVELS[Level(a["review_level"])])
        lines.append(
            t("Draft for {reviewers} until {when}.").format(reviewers=reviewers, when=when)
        )
        buttons = ((Button(t("Save the draft and tell the reviewers"), _pub("announce")),),)
    else:
        buttons = (
            (Button(t("Publish and announce"), _pub("announce")),),
            (Button(t("Publish without announcing"), _pub("quiet")),),
        )
    protect = a["level"] != Level.PUBLIC or bool(a.get("embargo_until"))
    return Reply("\n".join(filter(None, lines)), buttons=buttons, protect=protect)


def _pub(how: str) -> str:
    return button_data(UPLOAD, "pub", how)


async def answer_version_file(ctx: Context) -> Reply:
    """Keeps the new file and asks to confirm the new version."""
    document = await stored.get(ctx.session, ctx.answers["document"])
    if document is None:
        await ctx.end_form()
        raise StaleButton()
    await ctx.next_step("confirm", upload=await _receive(ctx))
    text = ctx.t("Replace the file of {title} with this one for all future requests?")
    rows = (
        (Button(ctx.t("Save and tell earlier recipients"), button_data(VERSION, "tell")),),
        (Button(ctx.t("Save quietly"), button_data(VERSION, "quiet")),),
    )
    return Reply(text.format(title=document.title), buttons=rows, protect=True)


async def expect_version_button(ctx: Context) -> Reply:
    """Text where a button was expected: points at the buttons."""
    return Reply(ctx.t("Please use the buttons."))


async def press_version(ctx: Context, how: str) -> list[Reply]:
    """Saves the new version; optionally tells those who received an earlier one."""
    ctx.require_step(VERSION, "confirm")
    a, now = ctx.answers, ctx.clock.now()
    document, version = await documents.add_version(
        ctx.session, a["document"], a["upload"], ctx.person.id, now
    )
    await ctx.end_form()
    done = ctx.t("Saved: version {number} of {title}.").format(
        number=version.number, title=document.title
    )
    if how == "quiet":
        return [Reply(done, edit=True)]
    told = await documents.announce_version(ctx.session, ctx.catalogs, document, now)
    return [Reply(done, edit=True), *told]


async def drop_upload(ctx: Context) -> None:
    """Drops the uploaded file when the form is cancelled."""
    await documents.discard_upload(ctx.session, ctx.person.id)


def setup() -> Feature:
    return Feature(
        commands=[
            Command("docs", show_documents, N_("Documents you may read")),
            Command("upload", start_upload, N_("Publish a document"), roles=SECRETARIAT),
            Command(
                "trace", trace, N_("Find who received a copy, by its trace code"), SECRETARIAT
            ),
        ],
        buttons=[
            ButtonAction("dls", fetch_from_list, args=(Id,)),
            ButtonAction(FETCH, fetch_from_button, args=(Id, one_of(*VIAS))),
            ButtonAction(
                "dm", manage, SECRETARIAT, args=dict.fromkeys(("log", "csv", "ver"), (Id,))
            ),
            ButtonAction(UPLOAD, press_upload, roles=SECRETARIAT, args=UPLOAD_BUTTONS),
            ButtonAction(VERSION, press_version, SECRETARIAT, args=(one_of("tell", "quiet"),)),
        ],
        forms=[
            Form(
                UPLOAD,
                {
                    "file": answer_file,
                    "title": answer_title,
                    "description": answer_description,
                    "category": expect_button,
                    "level": expect_button,
                    "units": answer_units,
                    "embargo": expect_button,
                    "review": expect_button,
                    "when": answer_when,
                    "confirm": expect_button,
                },
                roles=SECRETARIAT,
                on_cancel=drop_upload,
            ),
            Form(
                VERSION,
                {"file": answer_version_file, "confirm": expect_version_button},
                roles=SECRETARIAT,
                on_cancel=drop_upload,
            ),
        ],
        deep_links=[DeepLink(LINK_PREFIX, fetch_from_link, args=(Id,))],
    )
