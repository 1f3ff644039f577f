"""/review (secretariat): the queue of applications — approve, reject or ask more (art. 11)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot import validation
from bot.charter.privacy import Viewer, contact_details
from bot.context import Context
from bot.i18n import N_
from bot.labels import aside, field, unit_lines
from bot.protocol import Button, OutgoingFile, Reply
from bot.routing import ButtonAction, Command, Feature, Form, Id, button_data
from bot.services import applications, notify
from storage import applications as stored
from storage.models import Application, Person, Role

SECRETARIAT = frozenset({Role.SECRETARIAT})


async def show_queue(ctx: Context) -> Reply | list[Reply]:
    """Shows how many applications wait, and the oldest one with its sealed form."""
    return await _card_after(ctx, 0)


async def press(ctx: Context, action: str, application_id: int) -> Reply | list[Reply]:
    """Approve, reject, ask, or skip to the next application; the application is re-loaded."""
    if action == "next":
        return await _card_after(ctx, application_id)
    await applications.open_application(ctx.session, application_id)
    if action == "ok":
        return await _approve(ctx, application_id)
    await ctx.start_form("review", action, application=application_id)
    if action == "no":
        return Reply(ctx.t("Send the reason for rejecting it; the applicant will read it."))
    return Reply(ctx.t("Send your question to the applicant. /cancel to stop."))


async def answer_reason(ctx: Context) -> list[Reply]:
    """Rejects the application with the reason given and tells the applicant."""
    reason = validation.short_text(ctx.incoming.text, 1000)
    application = await applications.reject(
        ctx.session, ctx.answers["application"], ctx.person.id, reason, ctx.clock.now()
    )
    await ctx.end_form()
    tell = notify.note(
        N_("The application of {unit} was not accepted. Reason: {reason}"),
        unit=application.unit_name,
        reason=reason,
    )
    return [
        Reply(ctx.t("Rejected; the applicant has been told.")),
        *await _to_applicant(ctx, application, tell),
    ]


async def answer_question(ctx: Context) -> list[Reply]:
    """Sends the question to the applicant, with a button to answer it."""
    question = validation.short_text(ctx.incoming.text, 1000)
    application = await applications.request_info(
        ctx.session, ctx.answers["application"], ctx.person.id, question, ctx.clock.now()
    )
    await ctx.end_form()
    tell = notify.note(
        N_("The secretariat asks about the application of {unit}: {question}"),
        buttons=[(N_("Answer"), button_data("rvans", application.id))],
        unit=application.unit_name,
        question=question,
    )
    sent = ctx.t("Sent. The application returns to the queue when the applicant answers.")
    return [Reply(sent), *await _to_applicant(ctx, application, tell)]


async def start_answer(ctx: Context, application_id: int) -> Reply:
    """The applicant starts answering the secretariat's question."""
    application = await applications.open_application(
        ctx.session, application_id, stored.ApplicationStatus.INFO_REQUESTED
    )
    if application.applicant_id != ctx.person.id:
        return Reply(ctx.t("This application has already been dealt with."))
    await ctx.start_form("application_answer", "text", application=application.id)
    return Reply(ctx.t("Send your answer to the secretariat."))


async def answer_applicant(ctx: Context) -> list[Reply]:
    """Stores the applicant's answer; the application returns to the queue."""
    text = validation.short_text(ctx.incoming.text, 2000)
    application = await applications.answer_info(
        ctx.session, ctx.answers["application"], ctx.person, text, ctx.clock.now()
    )
    await ctx.end_form()
    tell = notify.note(
        N_("{unit} answered your question. It is back in /review."), unit=application.unit_name
    )
    staff = await notify.secretariat(ctx.session)
    thanks = Reply(ctx.t("Thank you; the secretariat has your answer."))
    return [thanks, *notify.to_people(ctx.catalogs, staff, tell)]


async def _approve(ctx: Context, application_id: int) -> list[Reply]:
    approval = await applications.approve(
        ctx.session,
        application_id,
        ctx.person.id,
        ctx.clock.now(),
        ZoneInfo(ctx.settings.timezone),
    )
    ctx.menus_to_refresh.add(approval.applicant.id)
    welcome = notify.note(
        N_(
            "Welcome! {unit} is now a member of DTPC-NMI and you are its contact person. "
            "Send /help."
        ),
        unit=approval.unit.name,
    )
    announcement = notify.note(N_("New member unit: {unit}."), unit=approval.unit.name)
    members = [p for p in await notify.members(ctx.session) if p.id != approval.applicant.id]
    return [
        Reply(ctx.t("Approved: {unit} is a member.").format(unit=approval.unit.name)),
        *notify.to_people(ctx.catalogs, [approval.applicant], welcome),
        *notify.to_people(ctx.catalogs, members, announcement),
    ]


async def _to_applicant(ctx: Context, application: Application, tell: notify.Note) -> list[Reply]:
    applicant = await ctx.session.get(Person, application.applicant_id)
    return notify.to_people(ctx.catalogs, [applicant] if applicant else [], tell)


async def _card_after(ctx: Context, after_id: int) -> Reply | list[Reply]:
    queue = await stored.queue(ctx.session)
    if not queue:
        return Reply(ctx.t("No applications are waiting."))
    later = [a for a in queue if a.id > after_id] or queue
    application = later[0]
    count = ctx.t.nt(
        "{count} application is waiting.", "{count} applications are waiting.", len(queue)
    )
    form = await stored.sealed_form(ctx.session, application.id)  # only the one shown
    return [Reply(count.format(count=len(queue))), _card(ctx, application, form)]


def _contact(ctx: Context, name: str, phone: str, email: str, applicant_id: int) -> str:
    """The applicant's contact person; phone and e-mail as the reader may see them."""
    viewer = Viewer(ctx.person.id, ctx.roles)
    details = contact_details(viewer, phone, email, person_id=applicant_id)
    return aside(ctx.t, name, details) if details else name


def _card(ctx: Context, a: Application, form: bytes) -> Reply:
    t = ctx.t
    lines = [
        t("Application {id}, submitted {when}").format(id=a.id, when=t.datetime(a.submitted_at)),
        *unit_lines(t, a.unit_name, a.credit_code, a.unit_type, a.sub_sectors, a.region),
        field(t, "contact", _contact(ctx, a.contact_name, a.phone, a.email, a.applicant_id)),
        *(f"— {entry['text']}" for entry in a.exchange),
    ]
    buttons = (
        (Button(ctx.t("Approve"), button_data("rv", "ok", a.id)),),
        (Button(ctx.t("Reject…"), button_data("rv", "no", a.id)),),
        (Button(ctx.t("Ask for more information…"), button_data("rv", "ask", a.id)),),
        (Button(ctx.t("Next application"), button_data("rv", "next", a.id)),),
    )
    file = OutgoingFile(name=a.form_name, content=form)
    return Reply("\n".join(lines), buttons=buttons, file=file, protect=True)


def setup() -> Feature:
    return Feature(
        commands=[
            Command("review", show_queue, N_("Review applications to join"), roles=SECRETARIAT)
        ],
        buttons=[
            ButtonAction(
                "rv",
                press,
                roles=SECRETARIAT,
                args=dict.fromkeys(("ok", "no", "ask", "next"), (Id,)),
            ),
            ButtonAction("rvans", start_answer, args=(Id,)),
        ],
        forms=[
            Form("review", {"no": answer_reason, "ask": answer_question}, roles=SECRETARIAT),
            Form("application_answer", {"text": answer_applicant}),
        ],
    )
