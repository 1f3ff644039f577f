"""Joining: the application form, its refusals, the secretariat's review (art. 10–11, 16(6))."""

from __future__ import annotations

from bot.app import App
from storage import units
from storage.models import UnitStatus
from tests.conftest import ADMIN_ID, MakeApp
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import PDF, PNG, credit_code, make_unit

APPLICANT = 5001


async def fill_form(client: ChatClient, code: str, upto: str = "confirm") -> None:
    await client.send("/join")
    assert "Personal data notice" in client.text, client.text
    await client.press("I agree")
    assert "Question 1 of 10" in client.text, client.text
    steps = [
        ("有色金属示范企业", "Question 2 of 10"),
        (code, "Question 3 of 10"),
    ]
    for text, expected in steps:
        await client.send(text)
        assert expected in client.text, client.text
    await client.press("enterprise")
    await client.press("smelting")
    await client.press("processing")
    assert "✅ smelting" in client.labels and "✅ processing" in client.labels
    await client.press("Done")
    for text in ("内蒙古", "张三", "138 0013 8000", "zhang@example.cn"):
        await client.send(text)
    await client.press("I agree")
    if upto == "file":
        return
    await client.send_file("申请表.pdf", PDF, "application/pdf")
    assert "Please check the application" in client.text


async def test_application_path_to_membership(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    applicant, admin = ChatClient(app, APPLICANT), ChatClient(app, ADMIN_ID)
    await fill_form(applicant, credit_code(1))
    assert "smelting, processing" in applicant.text
    await applicant.press("Submit")
    assert "Submitted" in applicant.text
    assert any(r.chat_id == ADMIN_ID for r in applicant.last.replies)

    await admin.send("/review")
    card = admin.replies[1]
    assert "有色金属示范企业" in card.text and card.file is not None and card.protect
    assert card.file.content == PDF
    await admin.press("Approve")
    assert "Approved" in admin.text
    assert APPLICANT in admin.last.menus
    async with app.sessions() as session:
        unit = await units.by_credit_code(session, credit_code(1))
        assert unit is not None and unit.status is UnitStatus.MEMBER


async def test_bad_answers_are_explained_and_asked_again(make_app: MakeApp) -> None:
    applicant = ChatClient(await make_app(), APPLICANT)
    await applicant.send("/join")
    await applicant.press("I agree")
    await applicant.send("有色金属示范企业")
    good = credit_code(2)
    for bad, reason in [
        (good[:-1], "has 18 characters; this one has 17"),
        (good[:-1] + ("0" if good[-1] != "0" else "1"), "check digit"),
        ("91110000I00037341L", "other than I, O, S, V and Z"),
    ]:
        await applicant.send(bad)
        assert reason in applicant.text
    await applicant.send(good)
    assert "Question 3 of 10" in applicant.text


async def test_wrong_file_type_and_size_refused(make_app: MakeApp) -> None:
    app = await make_app(max_upload_bytes=1000)
    applicant = ChatClient(app, APPLICANT)
    await fill_form(applicant, credit_code(3), upto="file")
    await applicant.send_file("form.docx", b"PK\x03\x04 word")
    assert "Only PDF, JPG or PNG" in applicant.text
    await applicant.send_file("big.png", PNG + b"\x00" * 2000)
    assert "larger than" in applicant.text
    await applicant.send_file("form.png", PNG)
    assert "Please check the application" in applicant.text


async def test_form_resumes_after_restart(make_app: MakeApp) -> None:
    applicant = ChatClient(await make_app(), APPLICANT)
    await applicant.send("/join")
    await applicant.press("I agree")
    await applicant.send("有色金属示范企业")
    applicant.app = await make_app()
    await applicant.send("/join")
    assert "Continuing your application" in applicant.text and "Question 2" in applicant.text
    await applicant.send(credit_code(4))
    assert "Question 3 of 10" in applicant.text


async def test_door_refusals(make_app: MakeApp, clock: FakeClock) -> None:
    app = await make_app()
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), 10)
        await make_unit(session, clock.now(), 11, status=UnitStatus.WITHDRAWN)
        await make_unit(session, clock.now(), 12, status=UnitStatus.EXPELLED)
    applicant = ChatClient(app, APPLICANT)
    await applicant.send("/join")
    await applicant.press("I agree")
    await applicant.send("某单位")
    await applicant.send(credit_code(10))
    assert "already a member" in applicant.text
    for code in (credit_code(11), credit_code(12)):
        await applicant.send(code)
        assert "article 16(6)" in applicant.text


async def test_reject_and_ask_for_information(make_app: MakeApp) -> None:
    app = await make_app()
    applicant, admin = ChatClient(app, APPLICANT), ChatClient(app, ADMIN_ID)
    await fill_form(applicant, credit_code(5))
    await applicant.press("Submit")
    other = ChatClient(app, APPLICANT + 1)
    await other.send("/join")
    await other.press("I agree")
    await other.send("x")
    await other.send(credit_code(5))
    assert "already being reviewed" in other.text

    await admin.send("/review")
    await admin.press("Ask for more information…")
    await admin.send("请补充营业执照")
    assert applicant.receive(admin.last)
    await admin.send("/review")
    assert admin.text == "No applications are waiting."
    await applicant.press("Answer")
    await applicant.send("已补充")
    assert any(r.chat_id == ADMIN_ID for r in applicant.last.replies)

    await admin.send("/review")
    assert "已补充" in admin.replies[1].text
    await admin.press("Reject…")
    await admin.send("不符合条件")
    (told,) = applicant.receive(admin.last)
    assert "不符合条件" in told.text
    await admin.press_data(admin.button_data("Approve"))
    assert admin.last.alert == "This application has already been dealt with."


async def count_units(app: App) -> int:
    async with app.sessions() as session:
        return len(await units.search(session))
