"""As a Chinese reader sees it (issue 20): labels translated, Chinese punctuation in what the
code puts together, the charter's terms in the withdrawal and the roster."""

from __future__ import annotations

from tests.conftest import ADMIN_ID, MakeApp
from tests.support.chat import ChatClient
from tests.support.clock import FakeClock
from tests.support.factories import make_unit

CONTACT = 7101
OTHER = 7102


async def test_a_units_card_in_chinese(make_app: MakeApp, clock: FakeClock) -> None:
    """Full-width colons, 、 between sub-sectors, （） around a remark; the 加入日期."""
    app = await make_app()
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), 1, contact_telegram_id=CONTACT,
                        sub_sectors=("smelting", "processing"))  # fmt: skip
    contact = ChatClient(app, CONTACT, language_code="zh-hans")
    await contact.send("/profile")
    lines = contact.text.splitlines()
    assert "单位：测试单位 1" in lines
    assert "细分领域：冶炼、加工" in lines
    assert "状态：成员单位" in lines
    assert "加入日期：2026年11月25日周三" in lines
    assert "• 联系人 1（主联系人） 13800138000 c1@example.cn" in lines
    assert ": " not in contact.text


async def test_the_withdrawal_confirmation_in_chinese(make_app: MakeApp) -> None:
    """Art. 16(1): a written notice to the secretariat, membership ending thirty days later."""
    app = await make_app()
    async with app.sessions() as session, session.begin():
        await make_unit(session, app.clock.now(), 2, contact_telegram_id=CONTACT)
    contact = ChatClient(app, CONTACT, language_code="zh-hans")
    await contact.send("/withdraw")
    assert contact.text == (
        "确认以测试单位 2名义向推进中心秘书处提交书面退出通知？自通知之日起满三十日终止成员单位"
        "资格（第十六条第一项），本单位在推进中心相应的职权、义务随之终止（第十六条第五项），"
        "且退出后不得重新申请加入推进中心（第十六条第六项）。"
    )
    await contact.press("确认提交退出通知")
    assert contact.text == "退出通知已登记。测试单位 2将于2026年12月25日周五退出推进中心。"


async def test_the_tier_button_and_its_news_in_chinese(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = await make_app()
    async with app.sessions() as session, session.begin():
        await make_unit(session, clock.now(), 3, contact_telegram_id=CONTACT)
        await make_unit(session, clock.now(), 4, contact_telegram_id=OTHER)
    admin = ChatClient(app, ADMIN_ID, language_code="zh-hans")
    await admin.send("/roster 测试单位 3")
    await admin.press("测试单位 3")
    assert "级别改为主任单位" in admin.labels and "经营许可被取消…" in admin.labels
    await admin.press("级别改为主任单位")
    assert "级别：主任单位（自2026年11月25日周三起）" in admin.text.splitlines()
    news = [r.text for r in admin.last.replies if r.chat_id == OTHER]
    assert news == ["名册变更：测试单位 3现为主任单位。"]


async def test_the_discipline_confirmation_reads_in_english_too(make_app: MakeApp) -> None:
    """No "a expulsion": the measure is named after a colon."""
    app = await make_app()
    async with app.sessions() as session, session.begin():
        unit = await make_unit(session, app.clock.now(), 5, contact_telegram_id=CONTACT)
    admin = ChatClient(app, ADMIN_ID)
    await admin.send(f"/discipline {unit.credit_code}")
    await admin.press("测试单位 5")
    await admin.press("warning")
    await admin.send("迟交材料")
    assert admin.text == (
        "Record this measure for 测试单位 5: warning. Reason: 迟交材料. Confirm?"
    )
    await admin.press("Confirm")
    told = [r.text for r in admin.last.replies if r.chat_id == CONTACT]
    assert told == ["秘书处决定对测试单位 5给予警告。理由：迟交材料"]
