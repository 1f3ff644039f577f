"""/broadcast (secretariat): write a notice, choose its audience, acknowledgement and time,
see the preview exactly as recipients will, confirm; then watch, cancel, take back, report.
/notices: a contact's recent notices; the secretariat's notices to manage (art. 13(1), 17, 33).

The form is a table of steps; its answers live in the conversation row, so a half-written
notice survives a restart. After a "Change…" from the preview, the changed part is asked
again and the preview follows at once.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.charter.notices import Audience, AudienceKind
from bot.context import Context
from bot.errors import DomainError, StaleButton
from bot.i18n import N_
from bot.labels import SUB_SECTORS
from bot.protocol import Button, OutgoingFile, Reply
from bot.routing import (
    ButtonAction,
    Command,
    Feature,
    Form,
    Id,
    Opt,
    between,
    button_data,
    one_of,
)
from bot.services import documents, roster
from bot.services import notices as service
from bot.validation import typed
from storage import notices as stored
from storage.models import Role

SECRETARIAT = frozenset({Role.SECRETARIAT})
FORM = "broadcast"
STEPS = ("text", "file", "links", "audience", "value", "ack", "deadline", "reminders", "when")
FUND_STEPS = ("file", "text", "ack", "deadline", "reminders", "when")
SECTIONS = {"text": ("text",), "file": ("file",), "links": ("links",)}
SECTIONS |= {"audience": ("audience", "value"), "ack": ("ack", "deadline", "reminders")}
SECTIONS |= {"when": ("when",)}
MOMENT = "%Y-%m-%d %H:%M"
LINK = re.compile(r"^(.+?)\s*[|｜]\s*(https?://\S+)$")
AUDIENCES = {
    AudienceKind.MEMBERS: N_("All member units"),
    AudienceKind.DIRECTORS: N_("Director and deputy-director units"),
    AudienceKind.LEADERSHIP: N_("Joint directors' meeting"),
    AudienceKind.EXPERTS: N_("Expert committee"),
    AudienceKind.SUB_SECTOR: N_("A sub-sector…"),
    AudienceKind.REGION: N_("A region…"),
    AudienceKind.UNITS: N_("Chosen units…"),
    AudienceKind.EVERYONE: N_("Everyone who has started the bot"),
}
CHANGES = (
    ("text", N_("Text")),
    ("file", N_("File")),
    ("links", N_("Link buttons")),
    ("audience", N_("Audience")),
    ("ack", N_("Acknowledgement")),
    ("when", N_("Sending time")),
)
BAD_TIME = N_("Please send the time as YYYY-MM-DD HH:MM, for example 2026-12-01 09:00.")
Rows = tuple[tuple[Button, ...], ...]


# -- the form ----------------------------------------------------------------------------


async def start(ctx: Context) -> Reply:
    """Starts a new notice, or offers to continue the half-written one."""
    if ctx.in_form(FORM):
        return _resume(ctx)
    await ctx.start_form(FORM, "text")
    return _ask(ctx, "text")


def _resume(ctx: Context) -> Reply:
    assert ctx.conversation is not None
    text = ctx.t("You have a notice in progress. Continue where you left off, or start again?")
    rows = (
        (Button(ctx.t("Continue"), button_data("nb", "resume")),),
        (Button(ctx.t("Start again"), button_data("nb", "restart")),),
    )
    return Reply(text, buttons=rows)


async def start_fund_report(ctx: Context, year: int) -> Reply:
    """Art. 33: the reminder's button — the report to all members as a members' document."""
    await _drop(ctx)
    await ctx.start_form(FORM, "file", fund=year, audience=AudienceKind.MEMBERS.value)
    return _ask(ctx, "file")


async def answer_text(ctx: Context) -> Reply | list[Reply]:
    """Keeps the notice's text with its formatting (a file with a caption does for both)."""
    incoming = ctx.incoming
    if incoming.file is not None and not ctx.answers.get("fund"):
        await _keep_file(ctx)
    body = incoming.html if incoming.html is not None else _escape(incoming.text or "")
    if not body.strip():
        raise DomainError(N_("Please send the text of the notice."))
    return await _advance(ctx, "text", html=body)


async def answer_file(ctx: Context) -> Reply | list[Reply]:
    """Keeps the file (for the fund report: checks and keeps it as a members' document)."""
    if ctx.incoming.file is None:
        return _ask(ctx, "file", ctx.t("Please send a file, or press “No file”."))
    if ctx.answers.get("fund"):
        return await _keep_fund_report(ctx)
    await _keep_file(ctx)
    return await _advance(ctx, "file")


async def _keep_file(ctx: Context) -> None:
    file = ctx.incoming.file
    assert file is not None
    assert ctx.conversation is not None
    await ctx.next_step(ctx.conversation.step, file_name=file.name, file_id=file.file_id)


async def _keep_fund_report(ctx: Context) -> Reply | list[Reply]:
    file = ctx.incoming.file
    assert file is not None and file.fetch is not None
    documents.check_size(file.size, ctx.settings.document_max_bytes)
    content = await file.fetch()
    bot = documents.bot_identity(ctx.settings)
    limit = ctx.settings.document_max_bytes
    upload = (file.name, file.file_id, content)
    version = await documents.receive_upload(
        ctx.session, ctx.person, upload, bot, ctx.clock.now(), limit
    )
    return await _advance(ctx, "file", fund_upload=version.id, report_name=file.name)


async def answer_links(ctx: Context) -> Reply | list[Reply]:
    """Keeps the link buttons, one a line: `label | https://...`."""
    links = []
    for line in (ctx.incoming.text or "").splitlines():
        if not line.strip():
            continue
        match = LINK.match(line.strip())
        if match is None:
            raise DomainError(
                N_("Each line must read: label | https://address. This one does not: {line}"),
                line=line.strip()[:80],
            )
        links.append([match.group(1)[:60], match.group(2)])
    return await _advance(ctx, "links", links=links[:5])


async def answer_value(ctx: Context) -> Reply | list[Reply]:
    """Keeps the region or the chosen units (by credit code)."""
    kind = AudienceKind(ctx.answers["audience"])
    text = (ctx.incoming.text or "").strip()
    if kind is AudienceKind.UNITS:
        found = await documents.units_by_codes(ctx.session, text)
        return await _advance(ctx, "value", unit_ids=sorted({u.id for u in found}), value="")
    if not text:
        return _ask(ctx, "value")
    return await _advance(ctx, "value", value=text[:128])


async def answer_deadline(ctx: Context) -> Reply | list[Reply]:
    return await _advance(ctx, "deadline", deadline=_moment(ctx).isoformat())


async def answer_reminders(ctx: Context) -> Reply | list[Reply]:
    """Keeps the reminder times, separated by commas or lines."""
    parts = [p for p in re.split(r"[,，\n;；]", ctx.incoming.text or "") if p.strip()]
    times = [_parse_moment(ctx, part).isoformat() for part in parts]
    return await _advance(ctx, "reminders", remind=times)


async def answer_when(ctx: Context) -> Reply | list[Reply]:
    return await _advance(ctx, "when", send_at=_moment(ctx).isoformat())


async def expect_button(ctx: Context) -> Reply:
    """Text where a button was expected: asks the question again."""
    assert ctx.conversation is not None
    return _ask(ctx, ctx.conversation.step, ctx.t("Please use the buttons."))


def _moment(ctx: Context) -> datetime:
    return _parse_moment(ctx, ctx.incoming.text or "")


def _parse_moment(ctx: Context, text: str) -> datetime:
    try:
        moment = " ".join(typed(text).split())
        return datetime.strptime(moment, MOMENT).replace(tzinfo=ctx.t.zone)
    except ValueError:
        raise DomainError(BAD_TIME) from None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- moving through the steps -------------------------------------------------------------


def _order(answers: dict[str, Any]) -> tuple[str, ...]:
    return FUND_STEPS if answers.get("fund") else STEPS


def _applies(step: str, answers: dict[str, Any]) -> bool:
    kind = answers.get("audience")
    if step == "file" and not answers.get("fund"):
        return not answers.get("file_name")  # already sent with the text as its caption
    if step == "value":
        return kind in (AudienceKind.SUB_SECTOR, AudienceKind.REGION, AudienceKind.UNITS)
    if step == "deadline":
        return bool(answers.get("ack"))
    if step == "reminders":
        return bool(answers.get("ack")) and bool(answers.get("deadline"))
    return True


def _section(step: str) -> str:
    return next(name for name, steps in SECTIONS.items() if step in steps)


async def _advance(ctx: Context, current: str, **answers: Any) -> Reply | list[Reply]:
    """Keeps the answers and asks the next question, or shows the preview; an answer that
    makes the notice too long for Telegram sends the author back to the text instead."""
    data = {**ctx.answers, **answers}
    following = _following(current, data)
    problem = _length_problem(ctx, data)
    if problem is not None:
        return await _shorten(ctx, problem, current, following, answers)
    await ctx.next_step(following, resume=None, **answers)
    return await _preview(ctx) if following == "preview" else _ask(ctx, following)


def _following(current: str, data: dict[str, Any]) -> str:
    """The next step: the one the text was sent back from, else the next that applies, or
    the preview (at once after a change from the preview)."""
    if current == "text" and data.get("resume"):
        return str(data["resume"])
    order = _order(data)
    later = [s for s in order[order.index(current) + 1 :] if _applies(s, data)]
    if not later or (data.get("editing") and _section(later[0]) != _section(current)):
        return "preview"
    return later[0]


def _length_problem(ctx: Context, data: dict[str, Any]) -> DomainError | None:
    """Whether the notice, as the answers so far make it, is longer than Telegram takes."""
    if not data.get("html"):
        return None  # the art. 33 report's file comes before its text
    deadline = datetime.fromisoformat(data["deadline"]) if data.get("deadline") else None
    return service.length_problem(data["html"], bool(data.get("ack")), deadline, ctx.catalogs)


async def _shorten(
    ctx: Context, problem: DomainError, current: str, following: str, answers: dict[str, Any]
) -> Reply:
    """Says by how much the text is too long and asks for it again; a later choice (the
    acknowledgement, its deadline) is kept, and the form goes on from there."""
    if current != "text":
        await ctx.next_step("text", resume=following, **answers)
    excess = int(problem.params["excess"])
    cut = ctx.t.nt(
        "Please send the text again, at least {count} character shorter.",
        "Please send the text again, at least {count} characters shorter.",
        excess,
    ).format(count=excess)
    return Reply(f"{problem.text(ctx.t)}\n{cut}")


def _ask(ctx: Context, step: str, prefix: str = "") -> Reply:
    t = ctx.t
    text, rows = QUESTIONS[step](ctx)
    return Reply(f"{prefix}\n{t(text)}".strip() if prefix else t(text), buttons=rows)


def _b(ctx: Context, label: str, *args: object) -> tuple[Button, ...]:
    return (Button(ctx.t(label), button_data("nb", *args)),)


def _q_text(ctx: Context) -> tuple[str, Rows]:
    if ctx.answers.get("fund"):
        return N_("Write a short note to go with the report (formatting is kept)."), ()
    return (
        N_(
            "Write the notice. Bold, italics and links are kept as you write them. "
            "You may also send a file with the text as its caption. /cancel stops."
        ),
        (),
    )


def _q_file(ctx: Context) -> tuple[str, Rows]:
    if ctx.answers.get("fund"):
        return N_("Send the report on the use of funds (art. 33) as a file, PDF preferred."), ()
    return N_("Send a file to go with the notice, or press “No file”."), (
        _b(ctx, N_("No file"), "nofile"),
    )


def _q_links(ctx: Context) -> tuple[str, Rows]:
    return (
        N_(
            "Link buttons under the notice, one a line: label | https://address. "
            "Or press “No links”."
        ),
        (_b(ctx, N_("No links"), "nolinks"),),
    )


def _q_audience(ctx: Context) -> tuple[str, Rows]:
    rows = tuple(_b(ctx, label, "aud", kind.value) for kind, label in AUDIENCES.items())
    return N_("Who should receive it?"), rows


def _q_value(ctx: Context) -> tuple[str, Rows]:
    kind = AudienceKind(ctx.answers["audience"])
    if kind is AudienceKind.SUB_SECTOR:
        rows = tuple(_b(ctx, label, "sub", code) for code, label in SUB_SECTORS.items())
        return N_("Which sub-sector?"), rows
    if kind is AudienceKind.REGION:
        return N_("Which region? Send its name as on the roster (for example 内蒙古)."), ()
    return N_("Send the credit codes of the units, one a line or separated by commas."), ()


def _q_ack(ctx: Context) -> tuple[str, Rows]:
    rows = (_b(ctx, N_("Yes, ask for acknowledgement"), "ack", "1"), _b(ctx, N_("No"), "ack", "0"))
    return N_("Should recipients acknowledge it (已阅)?"), rows


def _q_deadline(ctx: Context) -> tuple[str, Rows]:
    return (
        N_("By when? Send the time as YYYY-MM-DD HH:MM, or press “No deadline”."),
        (_b(ctx, N_("No deadline"), "nodeadline"),),
    )


def _q_reminders(ctx: Context) -> tuple[str, Rows]:
    rows = (
        _b(ctx, N_("One day before the deadline"), "remind", "day"),
        _b(ctx, N_("No reminders"), "remind", "none"),
    )
    return (
        N_(
            "When should those who have not acknowledged be reminded? Send one or more times "
            "(YYYY-MM-DD HH:MM, separated by commas), or use a button."
        ),
        rows,
    )


def _q_when(ctx: Context) -> tuple[str, Rows]:
    return (
        N_("When should it go? Press “Send now”, or send a time as YYYY-MM-DD HH:MM."),
        (_b(ctx, N_("Send now"), "now"),),
    )


QUESTIONS = {
    "text": _q_text,
    "file": _q_file,
    "links": _q_links,
    "audience": _q_audience,
    "value": _q_value,
    "ack": _q_ack,
    "deadline": _q_deadline,
    "reminders": _q_reminders,
    "when": _q_when,
}


# -- the preview ---------------------------------------------------------------------------


def _draft(ctx: Context) -> service.Draft:
    a = ctx.answers
    audience = Audience(
        AudienceKind(a["audience"]), a.get("value", ""), frozenset(a.get("unit_ids", []))
    )
    deadline = datetime.fromisoformat(a["deadline"]) if a.get("deadline") else None
    return service.Draft(
        html=a["html"],
        audience=audience,
        file_name=a.get("file_name"),
        file_id=a.get("file_id"),
        links=tuple((label, url) for label, url in a.get("links", [])),
        ack_required=bool(a.get("ack")),
        ack_deadline=deadline,
        remind_at=tuple(datetime.fromisoformat(m) for m in a.get("remind", [])),
        send_at=datetime.fromisoformat(a["send_at"]) if a.get("send_at") else None,
        fund_upload_id=a.get("fund_upload"),
    )


async def _preview(ctx: Context) -> list[Reply] | Reply:
    """The notice exactly as recipients will see it, how many they are, and the choice;
    never a header over a notice Telegram would refuse."""
    problem = _length_problem(ctx, ctx.answers)
    if problem is not None:
        return await _shorten(ctx, problem, "preview", "preview", {})
    now = ctx.clock.now()
    notice = await service.prepare(
        ctx.session, _draft(ctx), ctx.person.id, now, ctx.answers.get("notice_id")
    )
    await ctx.next_step("preview", notice_id=notice.id)
    count = await service.count_recipients(ctx.session, service.audience_of(notice))
    when = ctx.t("now") if notice.send_at <= now else ctx.t.datetime(notice.send_at)
    head = ctx.t.nt(
        "Preview: exactly what {count} recipient will receive ({audience}; sending: {when}).",
        "Preview: exactly what {count} recipients will receive ({audience}; sending: {when}).",
        count,
    ).format(count=count, audience=_audience_name(ctx, notice), when=when)
    rows = (
        _b(ctx, N_("Confirm and send"), "confirm"),
        _b(ctx, N_("Change…"), "change"),
        _b(ctx, N_("Cancel"), "cancel"),
    )
    ask = Reply(ctx.t("Send it?"), buttons=rows)
    return [Reply(head), service.render(notice, ctx.t), ask]


def _audience_name(ctx: Context, notice: Any) -> str:
    kind = AudienceKind(notice.audience)
    name = ctx.t(AUDIENCES[kind]).rstrip("…")
    if kind is AudienceKind.SUB_SECTOR:
        return f"{name}: {ctx.t(SUB_SECTORS.get(notice.audience_value, notice.audience_value))}"
    if kind is AudienceKind.REGION:
        return f"{name}: {notice.audience_value}"
    if kind is AudienceKind.UNITS:
        return f"{name}: {len(notice.unit_ids)}"
    return name


async def _confirm(ctx: Context) -> Reply:
    notice_id = ctx.answers.get("notice_id")
    if not notice_id:
        raise StaleButton()
    notice, count = await service.confirm(
        ctx.session, ctx.catalogs, notice_id, ctx.person, ctx.clock.now()
    )
    await ctx.end_form()
    if notice.status is service.NoticeStatus.SCHEDULED:
        text = ctx.t("Scheduled: “{title}” goes to {count} recipients at {when}.")
        text = text.format(title=notice.title, count=count, when=ctx.t.datetime(notice.send_at))
    else:
        text = ctx.t("Sending “{title}” to {count} recipients. The progress follows here.")
        text = text.format(title=notice.title, count=count)
    return Reply(text, buttons=_manage_rows(ctx, notice.id))


async def _drop(ctx: Context) -> None:
    """Forgets the draft notice and the fund report's upload, if the form made them."""
    notice_id = ctx.answers.get("notice_id")
    notice = await stored.get(ctx.session, notice_id) if notice_id else None
    if notice is not None and notice.status is service.NoticeStatus.DRAFT:
        await ctx.session.delete(notice)
        await ctx.session.flush()  # before its upload goes
    await documents.discard_upload(ctx.session, ctx.person.id)


async def press_form(ctx: Context, action: str, value: str = "") -> Reply | list[Reply]:
    """The form's buttons, each valid only at its own step."""
    if action in ("resume", "restart"):
        ctx.require_step(FORM, *STEPS, "preview")
        if action == "restart":
            await _drop(ctx)
            await ctx.start_form(FORM, "text")
            return _ask(ctx, "text")
        step = ctx.conversation.step  # type: ignore[union-attr]
        return await _preview(ctx) if step == "preview" else _ask(ctx, step)
    handler = BUTTONS.get(action)
    if handler is None:
        raise StaleButton()
    return await handler(ctx, value)


async def _b_nofile(ctx: Context, _: str) -> Reply | list[Reply]:
    ctx.require_step(FORM, "file")
    return await _advance(ctx, "file", file_name=None, file_id=None)


async def _b_nolinks(ctx: Context, _: str) -> Reply | list[Reply]:
    ctx.require_step(FORM, "links")
    return await _advance(ctx, "links", links=[])


async def _b_audience(ctx: Context, value: str) -> Reply | list[Reply]:
    ctx.require_step(FORM, "audience")
    return await _advance(ctx, "audience", audience=value, value="", unit_ids=[])


async def _b_sub(ctx: Context, value: str) -> Reply | list[Reply]:
    ctx.require_step(FORM, "value")
    if value not in SUB_SECTORS or ctx.answers.get("audience") != AudienceKind.SUB_SECTOR:
        raise StaleButton()
    return await _advance(ctx, "value", value=value)


async def _b_ack(ctx: Context, value: str) -> Reply | list[Reply]:
    ctx.require_step(FORM, "ack")
    wanted = value == "1"
    extra = {} if wanted else {"deadline": None, "remind": []}
    return await _advance(ctx, "ack", ack=wanted, **extra)


async def _b_nodeadline(ctx: Context, _: str) -> Reply | list[Reply]:
    ctx.require_step(FORM, "deadline")
    return await _advance(ctx, "deadline", deadline=None, remind=[])


async def _b_remind(ctx: Context, value: str) -> Reply | list[Reply]:
    ctx.require_step(FORM, "reminders")
    times = []
    if value == "day":
        deadline = datetime.fromisoformat(ctx.answers["deadline"])
        times = [(deadline - timedelta(days=1)).isoformat()]
    return await _advance(ctx, "reminders", remind=times)


async def _b_now(ctx: Context, _: str) -> Reply | list[Reply]:
    ctx.require_step(FORM, "when")
    return await _advance(ctx, "when", send_at=None)


async def _b_confirm(ctx: Context, _: str) -> Reply:
    ctx.require_step(FORM, "preview")
    return await _confirm(ctx)


async def _b_change(ctx: Context, value: str) -> Reply:
    """Offers what to change; then asks that part again."""
    ctx.require_step(FORM, "preview")
    sections = [s for s, _ in CHANGES if set(SECTIONS[s]) & set(_order(ctx.answers))]
    if value not in sections:
        rows = tuple(_b(ctx, label, "change", s) for s, label in CHANGES if s in sections)
        return Reply(ctx.t("What would you like to change?"), buttons=rows)
    await ctx.next_step(value, editing=True)
    return _ask(ctx, value)


async def _b_cancel(ctx: Context, _: str) -> Reply:
    ctx.require_step(FORM, "preview")
    await _drop(ctx)
    await ctx.end_form()
    return Reply(ctx.t("Cancelled. Nothing was sent."))


MANAGE = ("show", "rep", "xlsx", "csv", "cancel", "del", "del2")
YEAR = between(2000, 9999)  # art. 33: the fund's year
FORM_BUTTONS = {
    "resume": (),
    "restart": (),
    "nofile": (),
    "nolinks": (),
    "aud": (AudienceKind,),
    "sub": (one_of(*SUB_SECTORS),),
    "ack": (one_of("0", "1"),),
    "nodeadline": (),
    "remind": (one_of("day", "none"),),
    "now": (),
    "confirm": (),
    "change": (Opt(one_of(*(section for section, _ in CHANGES)), ""),),
    "cancel": (),
}
BUTTONS = {
    "nofile": _b_nofile,
    "nolinks": _b_nolinks,
    "aud": _b_audience,
    "sub": _b_sub,
    "ack": _b_ack,
    "nodeadline": _b_nodeadline,
    "remind": _b_remind,
    "now": _b_now,
    "confirm": _b_confirm,
    "change": _b_change,
    "cancel": _b_cancel,
}


# -- after sending: manage, report ---------------------------------------------------------


def _manage_rows(ctx: Context, notice_id: int) -> Rows:
    return (
        (Button(ctx.t("Report"), button_data("nm", "rep", notice_id)),),
        (
            Button(ctx.t("Export XLSX"), button_data("nm", "xlsx", notice_id)),
            Button(ctx.t("Export CSV"), button_data("nm", "csv", notice_id)),
        ),
        (Button(ctx.t("Cancel sending"), button_data("nm", "cancel", notice_id)),),
        (Button(ctx.t("Delete sent copies…"), button_data("nm", "del", notice_id)),),
    )


async def manage(ctx: Context, action: str, notice_id: int) -> Reply:
    """The secretariat's buttons on a notice: report, exports, cancel, take copies back."""
    notice = await stored.get(ctx.session, notice_id)
    if notice is None or notice.status is service.NoticeStatus.DRAFT:
        raise StaleButton()
    now = ctx.clock.now()
    if action == "show":
        return Reply(_summary_line(ctx, notice), buttons=_manage_rows(ctx, notice.id))
    if action == "rep":
        return await _report(ctx, notice)
    if action in ("csv", "xlsx"):
        return await _export(ctx, notice, action)
    if action == "cancel":
        stopped = await service.cancel(ctx.session, notice.id, ctx.person.id, now)
        text = ctx.t("Cancelled “{title}”: {count} copies not yet sent will not be sent.")
        return Reply(text.format(title=notice.title, count=stopped))
    if action == "del":
        sure = Button(ctx.t("Yes, delete the copies"), button_data("nm", "del2", notice.id))
        text = ctx.t(
            "Delete the copies of “{title}” from the recipients' chats? Telegram allows this "
            "for 48 hours after sending. Copies not yet sent are cancelled too."
        )
        return Reply(text.format(title=notice.title), buttons=((sure,),))
    if action == "del2":
        count = await service.take_back(ctx.session, notice.id, ctx.person, ctx.t.locale, now)
        text = ctx.t("Deleting {count} copies of “{title}”. The progress follows here.")
        return Reply(text.format(count=count, title=notice.title))
    raise StaleButton()


def _summary_line(ctx: Context, notice: Any) -> str:
    status = ctx.t(NOTICE_STATUSES[notice.status])
    when = ctx.t.datetime(notice.sent_at or notice.send_at)
    return f"{notice.id}. {notice.title} — {when} — {status}"


NOTICE_STATUSES = {
    service.NoticeStatus.DRAFT: N_("draft"),
    service.NoticeStatus.SCHEDULED: N_("scheduled"),
    service.NoticeStatus.SENDING: N_("sent"),
    service.NoticeStatus.CANCELLED: N_("cancelled"),
}


async def _report(ctx: Context, notice: Any) -> Reply:
    rows = await stored.report(ctx.session, notice.id)
    table = service.report_table(rows, ctx.t)
    acked = sum(1 for r, *_ in rows if r.acknowledged_at)
    lines = [
        ctx.t("“{title}”: {count} recipients, {acked} acknowledged.").format(
            title=notice.title, count=len(rows), acked=acked
        )
    ]
    units = service.unit_acks(rows)
    if notice.ack_required and (units.acknowledged or units.waiting):
        lines.append(
            ctx.t("Units that acknowledged: {names}").format(
                names=", ".join(units.acknowledged) or "—"
            )
        )
        lines.append(
            ctx.t("Units that have not: {names}").format(names=", ".join(units.waiting) or "—")
        )
    lines += [" · ".join(cell for cell in line if cell) for line in table[:30]]
    return Reply("\n".join(lines), protect=True)


async def _export(ctx: Context, notice: Any, kind: str) -> Reply:
    rows = await stored.report(ctx.session, notice.id)
    header = [ctx.t(label) for label in service.REPORT_COLUMNS]
    table = service.report_table(rows, ctx.t)
    content = roster.to_xlsx(header, table) if kind == "xlsx" else roster.to_csv(header, table)
    name = f"notice-{notice.id}-report.{kind}"
    caption = ctx.t("The delivery and acknowledgement report of “{title}”.")
    return Reply(
        caption.format(title=notice.title),
        file=OutgoingFile(name, content),
        protect=True,
        durable=True,
    )


# -- recipients ----------------------------------------------------------------------------


async def acknowledge(ctx: Context, notice_id: int) -> Reply:
    """Records the acknowledgement (已阅) of the notice the button sits on."""
    notice, first = await service.acknowledge(
        ctx.session, notice_id, ctx.person, ctx.clock.now(), ZoneInfo(ctx.settings.timezone)
    )
    if not first:
        return Reply(ctx.t("You have already acknowledged “{title}”.").format(title=notice.title))
    return Reply(
        ctx.t("Thank you: your acknowledgement of “{title}” is recorded.").format(
            title=notice.title
        )
    )


async def open_notice(ctx: Context, notice_id: int) -> Reply:
    """Shows a notice again (from /notices or a reminder), if it is meant for the person."""
    return await service.open_notice(ctx.session, notice_id, ctx.person, ctx.t, ctx.clock.now())


async def show_notices(ctx: Context) -> Reply:
    """The secretariat's recent notices to manage; anyone else's notices meant for them."""
    now = ctx.clock.now()
    if Role.SECRETARIAT in ctx.roles:
        found = await service.managed_notices(ctx.session, now)
        if not found:
            return Reply(ctx.t("No notices yet. /broadcast writes one."))
        rows = tuple(
            (Button(n.title[:60] or "…", button_data("nm", "show", n.id)),) for n in found
        )
        return Reply("\n".join(_summary_line(ctx, n) for n in found), buttons=rows)
    found = await service.notices_for(ctx.session, ctx.person, now)
    if not found:
        return Reply(ctx.t("There are no recent notices for you."))
    lines = [f"• {ctx.t.datetime(n.sent_at)} — {n.title}" for n in found]
    rows = tuple((Button(n.title[:60] or "…", button_data(service.OPEN, n.id)),) for n in found)
    return Reply("\n".join([ctx.t("Recent notices:"), *lines]), buttons=rows)


async def _on_cancel(ctx: Context) -> None:
    await _drop(ctx)


def setup() -> Feature:
    steps = {
        "text": answer_text,
        "file": answer_file,
        "links": answer_links,
        "audience": expect_button,
        "value": answer_value,
        "ack": expect_button,
        "deadline": answer_deadline,
        "reminders": answer_reminders,
        "when": answer_when,
        "preview": expect_button,
    }
    return Feature(
        commands=[
            Command("broadcast", start, N_("Send a notice"), roles=SECRETARIAT),
            # for everyone: a notice to "everyone" reaches guests too
            Command("notices", show_notices, N_("Recent notices")),
        ],
        buttons=[
            ButtonAction("nb", press_form, roles=SECRETARIAT, args=FORM_BUTTONS),
            ButtonAction("nm", manage, roles=SECRETARIAT, args=dict.fromkeys(MANAGE, (Id,))),
            ButtonAction("nfund", start_fund_report, roles=SECRETARIAT, args=(YEAR,)),
            ButtonAction(service.ACK, acknowledge, args=(Id,)),
            ButtonAction(service.OPEN, open_notice, args=(Id,)),
        ],
        forms=[Form(FORM, steps, roles=SECRETARIAT, on_cancel=_on_cancel)],
    )
