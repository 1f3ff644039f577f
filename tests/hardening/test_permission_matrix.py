"""The permission matrix: every command and every button kind × every role × every unit
status, against a table written from DESIGN.md's roles and the charter — not from the code's
own `roles=`, so a wrong `roles=` (or a command added without a row here) fails.

A refusal must be clear and translated: the dispatch's "not available to you", a rule's own
explanation, or an alert on the pressed button — never silence and never a stack trace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bot.routing import Routes
from handlers import features
from storage import conversations, people
from storage.documents_models import DocumentDelivery
from storage.meetings_models import Vote
from storage.models import UnitStatus
from tests.conftest import ADMIN_ID, MakeApp
from tests.hardening.invariants import audit_rows, violations
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.world import (
    EXPERT,
    GUEST,
    HOLDERS,
    SEATED_STATUS_SERIALS,
    World,
    build_world,
)

ROLE_PERSONAS = ("guest", "secretariat", "leadership", "expert")
STATUSES = tuple(UnitStatus)
CONTACTS = frozenset(f"contact-{s.value}" for s in STATUSES)
# Art. 13, 15(3), 16(5): a unit has its member rights while a member, also during its notice.
WITH_RIGHTS = frozenset({"contact-member", "contact-withdrawing"})
# A seat holder's standing is the standing of the unit the seat is held for ("leadership" sits
# for a member unit): a suspended unit's seats lose the member rights (art. 15(3)), a departed
# unit's lose everything (art. 16(5)); during the notice of withdrawal the rights hold.
SEATED = frozenset(f"leadership-{s.value}" for s in SEATED_STATUS_SERIALS)
SEATS = frozenset({"leadership", "leadership-withdrawing"})
PERSONAS = (*ROLE_PERSONAS, *sorted(CONTACTS), *sorted(SEATED))
ALL = frozenset(PERSONAS)
STAFF = frozenset({"secretariat"})
NOBODY: frozenset[str] = frozenset()

# -- commands: who may use each (DESIGN.md "Who uses it", README's table, the charter) ---------

COMMANDS: dict[str, frozenset[str]] = {
    "start": ALL,
    "help": ALL,
    "language": ALL,
    "cancel": ALL,
    "join": ALL - CONTACTS,  # a contact already has a unit (art. 9: members are units)
    "mydata": ALL,  # PIPL art. 45, 47: everyone the bot knows has data here
    "events": ALL,  # the list is public; signing up is checked by the rules (art. 13(2))
    "docs": ALL,  # the list shows each person what they may have
    # Notices are addressed to units and roles (art. 13(1)); a guest is sent none.
    "notices": ALL,  # DESIGN: a general command; a guest sees the "everyone" notices
    "profile": CONTACTS,  # a contact sees their own unit's card, whatever its status
    "project": WITH_RIGHTS,  # art. 14(6): a member unit files its projects
    "withdraw": WITH_RIGHTS,  # art. 16(1); during the notice it offers the take-back
    # Art. 19, 20: seat holders act, the secretariat runs it, member units get the titles.
    "meetings": STAFF | SEATS | WITH_RIGHTS,
    **{
        name: STAFF
        for name in (
            "newevent",
            "upload",
            "trace",
            "newmeeting",
            "linkgroup",
            "unlinkgroup",
            "review",
            "roster",
            "seats",
            "discipline",
            "audit",
            "grant",
            "revoke",
            "broadcast",
            "import",
            "invites",
        )
    },
}
# A role the command is not for gets the dispatch's refusal; a contact whose unit's status
# forbids it gets the rule's own explanation, which must be one of these.
STATUS_REFUSALS = (
    "Only a member unit whose rights are active can file a project.",
    "Only a member unit in good standing can give notice of withdrawal.",
    "You are already the contact person of a member unit; see /profile.",
    "Only seat holders of the joint meeting, or their representatives, can do this.",
)

# -- buttons: a sample press of each kind, and who may press it ------------------------------


@dataclass(frozen=True)
class Press:
    data: Callable[[World], str]
    allowed: frozenset[str]
    form: tuple[str, str, dict[str, Any]] | None = None  # the form step the press belongs to
    # Presses whose allowed persona cannot be given a valid state in the shared world (a
    # minutes file before the meeting ends, an offer nobody was made) check the refusals only.
    deny_only: bool = False
    document: bool = False  # allowed means a file was sent


SEATS_AND_STAFF = STAFF | SEATS
BUTTONS: dict[str, Press] = {
    "charter": Press(lambda w: "charter", ALL),
    "lang": Press(lambda w: "lang:en", ALL),
    # The step itself is harmless; /join refuses contacts, and submitting re-checks the door.
    "join": Press(
        lambda w: "join:type:enterprise",
        ALL,
        form=("join", "type", {"unit_name": "X", "credit_code": "Y"}),
    ),
    # PIPL art. 47: anyone may ask to erase their own data; the secretariat decides, and a
    # request nobody made is refused to all.
    "my": Press(lambda w: "my:keep", ALL),
    "pe": Press(lambda w: "pe:yes:999999", NOBODY),
    "pf": Press(lambda w: "pf:fix", CONTACTS),
    "ev": Press(lambda w: f"ev:card:{w.event_id}", ALL),
    "evo": Press(lambda w: "evo:999:y", NOBODY),  # an offer made to nobody: forged for all
    "evs": Press(lambda w: f"evs:xlsx:{w.event_id}", STAFF),
    "evf": Press(lambda w: "evf:nodesc", STAFF, form=("newevent", "description", {"title": "T"})),
    # Art. 13(1), 15, 16(5): the members' documents go to units with rights and the seats.
    "dls": Press(
        lambda w: f"dls:{w.document_ids['members']}",
        STAFF | SEATS | WITH_RIGHTS,
        document=True,
    ),
    "doc": Press(
        lambda w: f"doc:{w.document_ids['leadership']}:notice",
        SEATS_AND_STAFF,
        document=True,
    ),
    "dm": Press(lambda w: f"dm:log:{w.document_ids['members']}", STAFF),
    "upload": Press(lambda w: "upload:cat:notice", STAFF, form=("upload", "category", {})),
    "docversion": Press(lambda w: "docversion:quiet", STAFF, deny_only=True),
    "mnf": Press(
        lambda w: "mnf:kind:resolution", STAFF, form=("newmeeting", "kind", {"draft": {}})
    ),
    "ms": Press(lambda w: f"ms:cis:{w.meeting_id}", STAFF),
    "mc": Press(lambda w: f"mc:{w.meeting_id}", SEATS_AND_STAFF | WITH_RIGHTS),
    "mci": Press(lambda w: f"mci:{w.meeting_id}", SEATS),
    "mv": Press(lambda w: f"mv:{w.motion_ids[0]}:for", SEATS),  # art. 20: seats vote
    "mlv": Press(lambda w: f"mlv:{w.meeting_id}", SEATS, deny_only=True),
    "mrp": Press(lambda w: f"mrp:{w.meeting_id}", SEATS, deny_only=True),
    "mmin": Press(lambda w: f"mmin:{w.meeting_id}", SEATS_AND_STAFF, deny_only=True),
    # Notices (in progress by another engineer): the secretariat's form and management
    # buttons, and a forged acknowledgement or opening of a notice that does not exist.
    "nb": Press(lambda w: "nb:x", STAFF, deny_only=True),
    "nm": Press(lambda w: "nm:x:999999", STAFF, deny_only=True),
    "nfund": Press(lambda w: "nfund", STAFF, deny_only=True),
    "nack": Press(lambda w: "nack:999999", NOBODY),
    "nopen": Press(lambda w: "nopen:999999", NOBODY),
    # Onboarding (in progress by another engineer): import templates, invitation links, and
    # asking the secretariat for a new link, which anyone with a refused link may do, by design
    # even when the link named no invitation the bot knows.
    "im": Press(lambda w: "im:tpl:csv", STAFF),
    "iv": Press(lambda w: "iv:csv", STAFF),
    "ivask": Press(lambda w: "ivask:999999", ALL),
    "pj": Press(lambda w: f"pj:{w.project_id}", STAFF),
    "rv": Press(lambda w: f"rv:next:{w.application_id}", STAFF),
    "rvans": Press(lambda w: f"rvans:{w.application_id}", NOBODY),  # no question was asked
    "ro": Press(lambda w: f"ro:card:{w.unit_ids[1]}", STAFF),
    "st": Press(lambda w: f"st:add:{w.unit_ids[1]}", STAFF),
    "dc": Press(lambda w: f"dc:unit:{w.unit_ids[1]}", STAFF),
    "grant": Press(lambda w: "grant:expert", STAFF, form=("grant", "role", {"telegram_id": 6999})),
    # Last: it changes the member unit's standing (art. 16(1)).
    "wd": Press(lambda w: "wd:go", frozenset({"contact-member"})),
}


def telegram_ids(world: World) -> dict[str, int]:
    return {
        "guest": GUEST,
        "secretariat": ADMIN_ID,
        "leadership": HOLDERS[0],
        "expert": EXPERT,
        **{f"contact-{s.value}": t for s, t in world.contacts.items()},
        **{f"leadership-{s.value}": t for s, t in world.seat_holders.items()},
    }


def test_every_route_has_a_row() -> None:
    routes = Routes.build(features())
    assert set(routes.commands) - set(COMMANDS) == set(), "commands without a matrix row"
    assert set(routes.buttons) - set(BUTTONS) == set(), "button kinds without a matrix row"


async def test_commands(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app(flood_burst=1_000_000)
    world = await build_world(app, clock)
    ids = telegram_ids(world)
    wrong, rows = [], 0
    for name in app.dispatcher.routes.commands:
        for persona in PERSONAS:
            client = ChatClient(app, ids[persona])
            await client.send("/cancel")
            await client.send(f"/{name}")
            rows += 1
            text, refused = client.text, _refused_command(client.text, name)
            if not text:
                wrong.append(f"/{name} as {persona}: silence")
            elif persona in COMMANDS[name] and refused:
                wrong.append(f"/{name} as {persona}: refused ({text[:80]!r})")
            elif persona not in COMMANDS[name] and not refused:
                wrong.append(f"/{name} as {persona}: allowed ({text[:80]!r})")
            elif persona not in COMMANDS[name] and persona in ROLE_PERSONAS:
                not_allowed = f"The command /{name} is not available to you."
                if persona != "secretariat" and text != not_allowed and name != "join":
                    wrong.append(f"/{name} as {persona}: unclear refusal {text[:80]!r}")
    print(f"\npermission matrix: {rows} command rows")
    assert not wrong, "\n".join(wrong)


def _refused_command(text: str, name: str) -> bool:
    return text == f"The command /{name} is not available to you." or text in STATUS_REFUSALS


async def test_buttons(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app(flood_burst=1_000_000)
    world = await build_world(app, clock)
    ids = telegram_ids(world)
    async with app.sessions() as session:
        audit = await audit_rows(session)
    wrong, rows = [], 0
    for press in BUTTONS.values():
        for persona in PERSONAS:
            client = ChatClient(app, ids[persona])
            async with app.sessions() as session, session.begin():
                person = await people.ensure(session, ids[persona], ids[persona], clock.now())
                await conversations.clear(session, person.id)
                if press.form is not None:
                    form, step, data = press.form
                    await conversations.save(session, person.id, form, step, data, clock.now())
            before = await _counts(app)
            outcome = await client.press_data(press.data(world))
            rows += 1
            sent_file = any(r.file is not None for r in client.replies)
            allowed = sent_file if press.document else outcome.alert is None
            where = f"{press.data(world)} as {persona}"
            if persona in press.allowed and not press.deny_only and not allowed:
                wrong.append(f"{where}: refused ({outcome.alert or client.text[:80]!r})")
            elif persona not in press.allowed:
                if allowed:
                    wrong.append(f"{where}: allowed ({client.text[:80]!r})")
                elif not (outcome.alert or client.text):
                    wrong.append(f"{where}: refused in silence")
                elif await _counts(app) != before:
                    wrong.append(f"{where}: a refused press counted a vote or sent a document")
    async with app.sessions() as session:
        wrong += await violations(session, app.dispatcher.routes, clock.now(), audit)
    print(f"\npermission matrix: {rows} button rows")
    assert not wrong, "\n".join(wrong)


async def _counts(app: Any) -> tuple[int, int]:
    async with app.sessions() as session:
        votes = await session.scalar(select(func.count()).select_from(Vote))
        sent = await session.scalar(
            select(func.count()).select_from(DocumentDelivery).where(DocumentDelivery.allowed)
        )
        return votes or 0, sent or 0
