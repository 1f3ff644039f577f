"""The Chinese catalog speaks the charter's language (issue 20): 加入申请 and 加入日期 (art. 10,
11), 经营许可被取消 (art. 16(3)), the withdrawal's written notice and thirty days (art. 16(1)),
主任联席会 for the leadership — and Chinese punctuation around Chinese words."""

from __future__ import annotations

import re

import pytest

from bot.i18n import Catalogs
from tests.unit.test_i18n import catalog

ZH = catalog("zh_CN")
T = Catalogs("zh_CN", "Asia/Shanghai").translator("zh_CN")

# Old wording → why it is wrong.
OLD_TERMS = {
    "入会": "the charter says 申请加入 / 加入推进中心 (art. 10, 11): 加入申请, 加入日期",
    "会员": "the charter's members are 成员单位 (art. 9)",
    "死信": "a technical word: 异常记录",
    "领导群聊": "the leadership is the 主任联席会 (art. 19): 主任联席会工作群",
    "领导表决群": "the leadership is the 主任联席会 (art. 19): 主任联席会工作群",
    "吊销": "art. 16(3) says 取消经营许可",
    "营业执照": "art. 16(3) says 经营许可",
    "这不像": "say what is wrong: 格式有误",
    "未付表决": "未付诸表决",
}
CJK = r"[\u3400-\u9fff]"
# ASCII punctuation touching a Chinese character: "决议, 记名投票", "(决议", "单位:".
ASCII_PUNCTUATION = re.compile(rf"{CJK}[(),;:?!]|[(),;?!]{CJK}")
# A space between a Chinese name or title and the Chinese around it: "何平 已接受邀请".
NAMES = r"\{(?:name|unit|title|person|holder|role|tier|measure|path)\}"
SPACED_NAME = re.compile(rf"{CJK} +{NAMES}|{NAMES} +{CJK}")


@pytest.mark.parametrize("term", sorted(OLD_TERMS))
def test_no_old_term(term: str) -> None:
    found = {msgid: text for msgid, text in ZH.items() if term in text}
    assert found == {}, OLD_TERMS[term]


def test_full_width_punctuation_around_chinese() -> None:
    found = {msgid: text for msgid, text in ZH.items() if ASCII_PUNCTUATION.search(text)}
    assert found == {}


def test_no_space_between_a_name_and_chinese() -> None:
    found = {msgid: text for msgid, text in ZH.items() if SPACED_NAME.search(text)}
    assert found == {}


def test_the_checks_see_what_they_look_for() -> None:
    assert ASCII_PUNCTUATION.search("议案1（决议, 记名投票）")
    assert ASCII_PUNCTUATION.search("标题 (决议，记名投票)")
    assert not ASCII_PUNCTUATION.search("“dtpc-ballot:{motion}:{choice}:随机码”")
    assert SPACED_NAME.search("{name} 已接受邀请")
    assert not SPACED_NAME.search("共 {count} 个")


@pytest.mark.parametrize(
    ("msgid", "expected"),
    [
        ("Member since", "加入日期"),
        ("Review applications to join", "审核成员单位申请"),
        ("Licence revoked…", "经营许可被取消…"),
        ("Link the leadership's group chat", "关联主任联席会工作群"),
        ("Updates that failed (dead letters)", "处理失败的消息（异常记录）"),
    ],
)
def test_the_charters_terms(msgid: str, expected: str) -> None:
    assert T(msgid) == expected


def test_a_wrong_phone_number_is_named_as_such() -> None:
    text = T("That does not look like a phone number. Example: 13800138000 or 010-12345678.")
    assert text.startswith("电话号码格式有误。")


def test_an_unknown_command() -> None:
    text = T("I don't know the command /{command}. Send /help to see what you can do.")
    assert text.format(command="frob").startswith("无法识别命令 /frob。")


def test_the_withdrawal_confirmation_states_its_consequence() -> None:
    """Art. 16(1): a written notice to the secretariat; membership ends thirty days later."""
    msgid = (
        "File a written notice of withdrawal for {unit} with the secretariat? The membership "
        "ends 30 days after the notice (art. 16(1)); the unit's rights and duties end with it "
        "(art. 16(5)), and it may not apply to join again (art. 16(6))."
    )
    text = T(msgid).format(unit="示范冶炼有限公司")
    assert text.startswith("确认以示范冶炼有限公司名义向推进中心秘书处提交书面退出通知？")
    assert "自通知之日起满三十日终止成员单位资格（第十六条第一项）" in text
    assert "不得重新申请加入" in text
