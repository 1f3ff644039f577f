"""Personal data in chat (PIPL art. 14, 17, 45, 47): /join's privacy notice and consent before
any personal field, /mydata's copy of one's own data, and erasure at the person's request."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.app import App
from bot.protocol import Incoming, Sender
from bot.services.privacy import PRIVACY_NOTICE_VERSION
from storage import conversations
from storage.models import Application, AuditEntry, Conversation, OutboxMessage, Person
from storage.privacy_models import Consent, Erasure, ErasureRequest
from tests.conftest import ADMIN_ID, MakeApp
from tests.integration.test_join import APPLICANT, fill_form
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import credit_code


async def count(app: App, model: type) -> int:
    async with app.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_join_asks_consent_before_any_personal_field(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    applicant = ChatClient(app, APPLICANT)
    await applicant.send("/join")
    notice = applicant.text
    assert "Personal data notice" in notice and PRIVACY_NOTICE_VERSION in notice
    for part in ("Why:", "Who sees it:", "How long:", "/mydata"):
        assert part in notice, part
    assert "Question" not in notice and applicant.labels == ["I agree", "Cancel"]
    await applicant.send("张三")  # an answer before consent is not taken
    assert "Please use the buttons" in applicant.text and "Personal data notice" in applicant.text
    assert await count(app, Consent) == 0

    await applicant.press("I agree")
    assert "Question 1 of 10" in applicant.text
    async with app.sessions() as session:
        (consent,) = await session.scalars(select(Consent))
        person = await session.get(Person, consent.person_id)
        assert person is not None and person.telegram_id == APPLICANT
        assert (consent.purpose, consent.notice_version) == ("join", PRIVACY_NOTICE_VERSION)
        assert consent.at == clock.now()
        form = await conversations.load(session, person.id)
        assert form is not None and form.data["privacy_notice"] == PRIVACY_NOTICE_VERSION


async def test_a_form_begun_before_the_notice_asks_before_the_contact(
    make_app: MakeApp, clock: FakeClock
) -> None:
    """A draft left at the region question by the previous version: consent comes before the
    contact person's name, and the answers so far are kept."""
    app = await make_app()
    applicant = ChatClient(app, APPLICANT)
    await applicant.send("/start")
    answers = {
        "sub_sectors": ["smelting"],
        "unit_name": "有色金属示范企业",
        "credit_code": credit_code(1),
        "unit_type": "enterprise",
    }
    async with app.sessions() as session, session.begin():
        person = await session.scalar(select(Person).where(Person.telegram_id == APPLICANT))
        assert person is not None
        await conversations.save(session, person.id, "join", "region", answers, clock.now())
    await applicant.send("内蒙古")
    assert "Personal data notice" in applicant.text
    assert "Question" not in applicant.text
    await applicant.press("I agree")
    assert "Question 6 of 10" in applicant.text and "contact person" in applicant.text
    for text in ("张三", "138 0013 8000", "zhang@example.cn"):
        await applicant.send(text)
    assert "charter" in applicant.text and await count(app, Consent) == 1


async def test_declining_keeps_nothing(make_app: MakeApp) -> None:
    app = await make_app()
    applicant = ChatClient(app, APPLICANT)
    await applicant.send("/join")
    await applicant.press("Cancel")
    assert "nothing was kept" in applicant.text
    assert await count(app, Conversation) == await count(app, Consent) == 0
    assert await count(app, Application) == 0
    await applicant.send("有色金属示范企业")  # no form is waiting for it
    assert "Question" not in applicant.text


async def test_mydata_sends_the_persons_own_data_in_private_only(make_app: MakeApp) -> None:
    app = await make_app()
    applicant = ChatClient(app, APPLICANT, name="Zhang Sanfeng")
    await fill_form(applicant, credit_code(1))
    await applicant.press("Submit")
    await ChatClient(app, ADMIN_ID).send("/mydata")  # someone else's data, not in theirs

    await applicant.send("/mydata")
    (reply,) = applicant.replies
    assert reply.file is not None and reply.file.name.endswith(".json") and reply.protect
    data = json.loads(reply.file.content or b"")
    assert data["person"]["telegram_id"] == APPLICANT
    assert data["person"]["display_name"] == "Zhang Sanfeng"
    assert data["applications"][0]["phone"] == "13800138000"
    assert [c["notice_version"] for c in data["consents"]] == [PRIVACY_NOTICE_VERSION]
    assert {e["action"] for e in data["audit_log"]} == {"application.submit"}
    assert "Request erasure…" in applicant.labels

    group = Sender(APPLICANT, -100123, "en", "Zhang Sanfeng")
    outcome = await app.dispatcher.handle(Incoming("group:1", group, command="mydata"))
    assert [r.file for r in outcome.replies] == [None]
    assert "private chat" in outcome.replies[0].text  # refused here or by the dispatch

    guest = ChatClient(app, 6001, name="Guest")
    await guest.send("/mydata")
    (reply,) = guest.replies
    assert reply.file is not None
    assert json.loads(reply.file.content or b"")["person"]["telegram_id"] == 6001


async def request_erasure(app: App, person: ChatClient) -> ChatClient:
    """The person asks, through /mydata; the secretariat receives the request."""
    admin = ChatClient(app, ADMIN_ID)
    await admin.send("/start")  # in English
    await person.send("/mydata")
    await person.press("Request erasure…")
    assert "cannot be undone" in person.text
    await person.press("Send the request")
    assert "Sent." in person.text
    (asked,) = admin.receive(person.last)
    assert "asks for their personal data to be erased" in asked.text
    assert "Zhang" not in asked.text  # it names nobody: it outlives the erasure
    return admin


async def test_erasure_at_the_persons_request(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    applicant = ChatClient(app, APPLICANT, name="Zhang Sanfeng")
    await fill_form(applicant, credit_code(1))
    await applicant.press("Submit")
    admin = await request_erasure(app, applicant)
    await applicant.press("Send the request")  # one at a time
    assert "already with the secretariat" in (applicant.last.alert or applicant.text)

    await admin.press("Erase the data")
    assert "Erased: person" in admin.text
    (told,) = applicant.receive(admin.last)
    assert "was erased" in told.text
    async with app.sessions() as session:
        (request,) = await session.scalars(select(ErasureRequest))
        admin_person = await session.scalar(select(Person).where(Person.telegram_id == ADMIN_ID))
        assert admin_person is not None
        assert (request.outcome, request.decided_by) == ("erased", admin_person.id)
        erasure = await session.get(Erasure, request.erasure_id)
        assert erasure is not None and erasure.actor_id == admin_person.id
        person = await session.get(Person, request.person_id)
        assert person is not None and person.display_name == f"erased#{person.id}"
        assert person.telegram_id < 0
        (application,) = await session.scalars(select(Application))
        assert (application.contact_name, application.phone) == (f"erased#{person.id}", "")
        actions = await session.scalars(
            select(AuditEntry.action).where(AuditEntry.subject == f"person:{person.id}")
        )
        assert list(actions) == ["person.erase_request", "person.erase"]
        sent = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.chat_id == APPLICANT)
        )
        assert sent is not None and "was erased" in sent.text  # queued to reach them

    await admin.press("Erase the data")  # a second secretariat press
    assert "already been dealt with" in (admin.last.alert or admin.text)


async def test_declined_erasure_keeps_the_data(make_app: MakeApp) -> None:
    app = await make_app()
    guest = ChatClient(app, 6001, name="Zhang Sanfeng")
    await guest.send("/start")
    admin = await request_erasure(app, guest)
    await admin.press("Decline the request")
    (told,) = guest.receive(admin.last)
    assert "did not carry out your request" in told.text
    async with app.sessions() as session:
        (request,) = await session.scalars(select(ErasureRequest))
        assert request.outcome == "declined" and request.erasure_id is None
        person = await session.get(Person, request.person_id)
        assert person is not None and person.display_name == "Zhang Sanfeng"
    assert await count(app, Erasure) == 0
    other = ChatClient(app, 6002)  # not the secretariat
    outcome = await other.press_data(admin.button_data("Erase the data"))
    assert outcome.alert is not None and await count(app, Erasure) == 0
