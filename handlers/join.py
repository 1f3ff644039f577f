"""/join: the application form of a unit (art. 10–11), kept as a draft across restarts."""

from __future__ import annotations

from bot import validation
from bot.charter.privacy import Viewer, contact_details
from bot.context import Context
from bot.errors import DomainError, StaleButton
from bot.i18n import N_
from bot.labels import SUB_SECTORS, UNIT_TYPES, aside, field, labelled, unit_lines
from bot.protocol import Button, Reply
from bot.routing import ButtonAction, Command, Feature, Form, button_data, one_of
from bot.services import applications, notify, privacy
from handlers.files import read_within
from storage import applications as stored_applications
from storage import units

FORM = "join"
STEPS = (
    "name",
    "code",
    "type",
    "sectors",
    "region",
    "contact",
    "phone",
    "email",
    "consent",
    "file",
    "confirm",
)
# PIPL art. 14, 17: the privacy notice and consent come before any personal field; the step
# is not a numbered question. Declining ends the form and keeps nothing.
PRIVACY = "privacy"
PERSONAL = ("contact", "phone", "email")
ACCEPTED_FILES = {b"%PDF": "pdf", b"\xff\xd8\xff": "jpg", b"\x89PNG": "png"}
QUESTIONS = {
    "name": N_("What is the unit's full registered name?"),
    "code": N_("What is its Unified Social Credit Code (统一社会信用代码, 18 characters)?"),
    "type": N_("What kind of unit is it?"),
    "sectors": N_("Which sub-sectors does it work in? Choose all that apply, then press Done."),
    "region": N_("In which province or region is it registered?"),
    "contact": N_("Who is the contact person for the center (art. 14(8))? Send their full name."),
    "phone": N_("The contact person's phone number?"),
    "email": N_("The contact person's e-mail address?"),
    "consent": N_(
        "Does the unit accept the charter, and agree to keep the center's unpublished documents, "
        "drafts and members' information confidential until officially published (art. 14(4))?"
    ),
    "file": N_(
        "Last step: send the application form bearing the unit's official seal, scanned as PDF, "
        "JPG or PNG (at most {megabytes} MB)."
    ),
}


async def start(ctx: Context) -> Reply:
    """Starts the form, or resumes the one in progress at its current question."""
    if await units.of_person(ctx.session, ctx.person.id) is not None:
        return Reply(ctx.t("You are already the contact person of a member unit; see /profile."))
    await applications.check_applicant(ctx.session, ctx.person)
    if ctx.in_form(FORM):
        return _ask(ctx, ctx.conversation.step, ctx.t("Continuing your application."))
    await ctx.start_form(FORM, PRIVACY, sub_sectors=[])
    return _ask(ctx, PRIVACY)


async def _privacy(ctx: Context, agreed: bool) -> Reply:
    """Consent recorded with its time and the notice's version; or the form ends, empty."""
    if not agreed:
        await cancel_draft(ctx)
        await ctx.end_form()
        return Reply(ctx.t("You did not agree, so nothing was kept."), edit=True)
    consent = await privacy.record_consent(ctx.session, ctx.person, FORM, ctx.clock.now())
    resume = ctx.answers.get("resume")
    step = resume if resume in STEPS else "name"
    await ctx.next_step(step, privacy_notice=consent.notice_version)
    intro = ctx.t(
        "Application to join DTPC-NMI: {count} short questions. /cancel stops at any time."
    )
    return _replace(_ask(ctx, step, None if resume else intro.format(count=len(STEPS) - 1)))


async def answer_name(ctx: Context) -> Reply:
    """Stores the unit name and asks for the credit code."""
    return await _next(ctx, "code", unit_name=validation.short_text(ctx.incoming.text))


async def answer_code(ctx: Context) -> Reply:
    """Checks the code's form and check digit, and that the unit may apply; asks the unit type."""
    code = validation.credit_code(ctx.incoming.text or "")
    await applications.check_door(ctx.session, code)
    return await _next(ctx, "type", credit_code=code)


async def answer_region(ctx: Context) -> Reply:
    return await _next(ctx, "contact", region=validation.short_text(ctx.incoming.text, 64))


async def answer_contact(ctx: Context) -> Reply:
    return await _next(ctx, "phone", contact_name=validation.short_text(ctx.incoming.text, 64))


async def answer_phone(ctx: Context) -> Reply:
    return await _next(ctx, "email", phone=validation.phone(ctx.incoming.text or ""))


async def answer_email(ctx: Context) -> Reply:
    return await _next(ctx, "consent", email=validation.email(ctx.incoming.text or ""))


async def answer_file(ctx: Context) -> Reply:
    """Checks the sealed form's type and size, keeps it with the draft, shows the summary."""
    file = ctx.incoming.file
    if file is None or file.fetch is None:
        return Reply(ctx.t("Please send the sealed application form as a file (PDF, JPG or PNG)."))
    content = await read_within(file, ctx.settings.max_upload_bytes)
    if not any(content.startswith(magic) for magic in ACCEPTED_FILES):
        raise DomainError(
            N_("Only PDF, JPG or PNG files are accepted; please send a scan in one of these.")
        )
    await applications.save_draft(
        ctx.session, ctx.person, ctx.answers, (file.name, content), ctx.clock.now()
    )
    await ctx.next_step("confirm")
    return _summary(ctx)


async def expect_button(ctx: Context) -> Reply:
    """Text where a button was expected: shows the question and its buttons again."""
    assert ctx.conversation is not None
    return _ask(ctx, ctx.conversation.step, ctx.t("Please use the buttons."))


async def press(ctx: Context, action: str, value: str = "") -> Reply | list[Reply]:
    """Buttons of the form: unit type, sub-sectors, consent, submit."""
    if action == PRIVACY and value in ("yes", "no"):
        ctx.require_step(FORM, PRIVACY)
        return await _privacy(ctx, value == "yes")
    if action == "type" and value in UNIT_TYPES:
        ctx.require_step(FORM, "type")
        return await _next(ctx, "sectors", unit_type=value)
    if action == "sector" and value in SUB_SECTORS:
        ctx.require_step(FORM, "sectors")
        chosen = set(ctx.answers["sub_sectors"]) ^ {value}
        await ctx.next_step("sectors", sub_sectors=sorted(chosen, key=list(SUB_SECTORS).index))
        return _replace(_ask(ctx, "sectors"))
    if action == "done":
        ctx.require_step(FORM, "sectors")
        if not ctx.answers["sub_sectors"]:
            raise DomainError(N_("Choose at least one sub-sector."))
        return await _next(ctx, "region")
    if action == "consent":
        ctx.require_step(FORM, "consent")
        return await _consent(ctx, value == "yes")
    if action == "submit":
        ctx.require_step(FORM, "confirm")
        return await _submit(ctx)
    raise StaleButton()  # forged, or from an older version of the form


async def _consent(ctx: Context, given: bool) -> Reply:
    if not given:
        await applications.discard_draft(ctx.session, ctx.person)
        await ctx.end_form()
        return Reply(
            ctx.t("Without this consent the unit cannot join. Nothing was kept."), edit=True
        )
    return await _next(ctx, "file", consent=True)


async def _submit(ctx: Context) -> list[Reply]:
    application = await applications.submit(ctx.session, ctx.person, ctx.clock.now())
    await ctx.end_form()
    tell = notify.note(
        N_("New application: {unit} ({code}). Review it with /review."),
        unit=application.unit_name,
        code=application.credit_code,
    )
    staff = await notify.secretariat(ctx.session)
    done = ctx.t(
        "Submitted. The secretariat will review the application and tell you the result here."
    )
    return [Reply(done, edit=True), *notify.to_people(ctx.catalogs, staff, tell)]


async def _next(ctx: Context, step: str, **answers: object) -> Reply:
    if step in PERSONAL and "privacy_notice" not in ctx.answers:
        # A form begun before the notice existed: consent first, then on where it was.
        await ctx.next_step(PRIVACY, resume=step, **answers)
        return _ask(ctx, PRIVACY)
    await ctx.next_step(step, **answers)
    return _ask(ctx, step)


def _ask(ctx: Context, step: str, lead: str | None = None) -> Reply:
    if step == "confirm":
        return _summary(ctx)
    if step == PRIVACY:
        notice = ctx.t(privacy.PRIVACY_NOTICE).format(version=privacy.PRIVACY_NOTICE_VERSION)
        return Reply("\n".join(filter(None, [lead, notice])), buttons=_buttons(ctx, step))
    number = ctx.t("Question {n} of {total}").format(n=STEPS.index(step) + 1, total=len(STEPS) - 1)
    question = ctx.t(QUESTIONS[step]).format(megabytes=ctx.settings.max_upload_bytes // 2**20)
    text = "\n".join(filter(None, [lead, labelled(ctx.t, number, question)]))
    return Reply(text, buttons=_buttons(ctx, step))


def _buttons(ctx: Context, step: str) -> tuple[tuple[Button, ...], ...]:
    if step == "type":
        return tuple(
            (Button(ctx.t(label), button_data(FORM, "type", key)),)
            for key, label in UNIT_TYPES.items()
        )
    if step == "sectors":
        chosen = set(ctx.answers.get("sub_sectors", []))
        rows = [
            (
                Button(
                    ("✅ " if key in chosen else "") + ctx.t(label),
                    button_data(FORM, "sector", key),
                ),
            )
            for key, label in SUB_SECTORS.items()
        ]
        return (*rows, (Button(ctx.t("Done"), button_data(FORM, "done")),))
    if step == PRIVACY:
        return (
            (Button(ctx.t("I agree"), button_data(FORM, PRIVACY, "yes")),),
            (Button(ctx.t("Cancel"), button_data(FORM, PRIVACY, "no")),),
        )
    if step == "consent":
        return (
            (Button(ctx.t("I agree"), button_data(FORM, "consent", "yes")),),
            (Button(ctx.t("I do not agree"), button_data(FORM, "consent", "no")),),
        )
    return ()


def _contact(ctx: Context, name: str, phone: str, email: str) -> str:
    """The applicant's own answers, shown back to them (bot.charter.privacy: themselves)."""
    viewer = Viewer(ctx.person.id, ctx.roles)
    details = contact_details(viewer, phone, email, person_id=ctx.person.id)
    return aside(ctx.t, name, details) if details else name


def _summary(ctx: Context) -> Reply:
    a, t = ctx.answers, ctx.t
    lines = [
        t("Please check the application:"),
        *unit_lines(
            t, a["unit_name"], a["credit_code"], a["unit_type"], a["sub_sectors"], a["region"]
        ),
        field(t, "contact", _contact(ctx, a["contact_name"], a["phone"], a["email"])),
        t("Press Submit to send it to the secretariat, or /cancel to drop it."),
    ]
    submit = Button(ctx.t("Submit"), button_data(FORM, "submit"))
    return Reply("\n".join(lines), buttons=((submit,),))


def _replace(reply: Reply) -> Reply:
    return Reply(reply.text, buttons=reply.buttons, edit=True)


async def cancel_draft(ctx: Context) -> None:
    """Drops the uploaded draft when the person cancels the form."""
    if await stored_applications.draft_of(ctx.session, ctx.person.id):
        await applications.discard_draft(ctx.session, ctx.person)


YES_NO = (one_of("yes", "no"),)
BUTTONS = {
    PRIVACY: YES_NO,
    "type": (one_of(*UNIT_TYPES),),
    "sector": (one_of(*SUB_SECTORS),),
    "done": (),
    "consent": YES_NO,
    "submit": (),
}


def setup() -> Feature:
    return Feature(
        commands=[Command("join", start, N_("Apply for your unit to join the center"))],
        buttons=[ButtonAction(FORM, press, args=BUTTONS)],
        forms=[
            Form(
                FORM,
                {
                    PRIVACY: expect_button,
                    "name": answer_name,
                    "code": answer_code,
                    "type": expect_button,
                    "sectors": expect_button,
                    "region": answer_region,
                    "contact": answer_contact,
                    "phone": answer_phone,
                    "email": answer_email,
                    "consent": expect_button,
                    "file": answer_file,
                    "confirm": expect_button,
                },
                on_cancel=cancel_draft,
            )
        ],
    )
