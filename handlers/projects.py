"""/project (contact): file a project taken on through the center before it starts (art. 14(6))."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot import validation
from bot.context import Context
from bot.errors import DomainError
from bot.i18n import N_
from bot.protocol import Reply
from bot.routing import ButtonAction, Command, Feature, Form, Id, button_data
from bot.services import contacts, notify, projects
from storage.models import Person, Role

CONTACTS = frozenset({Role.CONTACT})
SECRETARIAT = frozenset({Role.SECRETARIAT})
FORM = "project"
NOT_MEMBER = N_("Only a member unit whose rights are active can file a project.")


async def start(ctx: Context) -> Reply:
    """Starts the filing form: title, client, scope, start date."""
    if await contacts.unit_with_rights(ctx.session, ctx.person.id) is None:
        raise DomainError(NOT_MEMBER)
    await ctx.start_form(FORM, "title")
    return Reply(ctx.t("Filing a project with the secretariat (art. 14(6)). Its title?"))


async def answer_title(ctx: Context) -> Reply:
    await ctx.next_step("client", title=validation.short_text(ctx.incoming.text))
    return Reply(ctx.t("Who is the client?"))


async def answer_client(ctx: Context) -> Reply:
    await ctx.next_step("scope", client=validation.short_text(ctx.incoming.text))
    return Reply(ctx.t("What is its scope, in a few sentences?"))


async def answer_scope(ctx: Context) -> Reply:
    await ctx.next_step("starts_on", scope=validation.short_text(ctx.incoming.text, 2000))
    return Reply(ctx.t("When does it start? (YYYY-MM-DD)"))


async def answer_start(ctx: Context) -> list[Reply]:
    """Files the project and asks the secretariat to acknowledge it."""
    day = projects.starts_on(ctx.incoming.text or "", ctx.t.today(ctx.clock.now()))
    found = await contacts.unit_with_rights(ctx.session, ctx.person.id)
    if found is None:
        raise DomainError(NOT_MEMBER)
    answers = {**ctx.answers, "starts_on": day.isoformat()}
    await ctx.end_form()
    project = await projects.file_project(
        ctx.session,
        found[0].id,
        ctx.person.id,
        answers,
        ctx.clock.now(),
        ZoneInfo(ctx.settings.timezone),
    )
    news = notify.note(
        N_("{unit} files a project: {title} for {client}, from {day}. {scope}"),
        buttons=[(N_("Acknowledge"), button_data("pj", project.id))],
        unit=found[0].name,
        title=project.title,
        client=project.client,
        day=day,
        scope=project.scope,
    )
    staff = await notify.secretariat(ctx.session)
    filed = Reply(ctx.t("Filed. The secretariat will acknowledge it."))
    return [filed, *notify.to_people(ctx.catalogs, staff, news)]


async def acknowledge(ctx: Context, project_id: int) -> list[Reply]:
    """The secretariat acknowledges the filing; the contact who filed it is told."""
    project = await projects.acknowledge(ctx.session, project_id, ctx.person.id, ctx.clock.now())
    filer = await ctx.session.get(Person, project.filed_by)
    news = notify.note(
        N_("The secretariat has acknowledged your project “{title}”."), title=project.title
    )
    told = notify.to_people(ctx.catalogs, [filer] if filer else [], news)
    return [Reply(ctx.t("Acknowledged."), edit=True), *told]


def setup() -> Feature:
    return Feature(
        commands=[
            Command("project", start, N_("File a project with the secretariat"), roles=CONTACTS)
        ],
        buttons=[ButtonAction("pj", acknowledge, roles=SECRETARIAT, args=(Id,))],
        forms=[
            Form(
                FORM,
                {
                    "title": answer_title,
                    "client": answer_client,
                    "scope": answer_scope,
                    "starts_on": answer_start,
                },
                roles=CONTACTS,
            )
        ],
    )
