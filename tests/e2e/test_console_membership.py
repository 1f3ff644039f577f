"""Membership through the console engine, step by step in chat: guest → applicant → member →
suspended → reinstated → withdrawing (art. 10–16). The 30 days are covered in-process."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_console import assert_in_order, run_bot
from tests.support.factories import PDF, credit_code

CODE = credit_code(42)


def test_membership_path_in_the_console(tmp_path: Path) -> None:
    form = tmp_path / "申请表.pdf"
    form.write_bytes(PDF)
    applicant = [
        "/join", "1", "示范冶炼有限公司", CODE, "1", "2", "5", "内蒙古", "张三",
        "13800138000", "zhang@example.cn", "1", f"/file {form}", "1",
    ]  # fmt: skip
    out = run_bot(tmp_path, applicant, "console", "--lang", "en").stdout
    expected = ["Personal data notice", "Question 1 of 10", "Please check the application"]
    assert_in_order(out, [*expected, "Submitted."])

    review = ["/review", "1"]  # the card's first button: Approve
    out = run_bot(tmp_path, review, "console", "--as", "secretariat", "--lang", "en").stdout
    assert_in_order(out, ["1 application is waiting.", "示范冶炼有限公司", "Approved"])

    out = run_bot(tmp_path, ["/profile"], "console", "--lang", "en").stdout
    assert "Status: member" in out

    suspend = [f"/discipline {CODE}", "1", "3", "未按要求履行义务", "1"]
    out = run_bot(tmp_path, suspend, "console", "--as", "secretariat", "--lang", "en").stdout
    assert_in_order(out, ["Which measure", "Confirm?", "Recorded."])
    out = run_bot(tmp_path, ["/profile"], "console", "--lang", "en").stdout
    assert "Status: rights suspended" in out

    lift = [f"/roster {CODE}", "1", "3"]  # the card: two tier buttons, then Lift
    out = run_bot(tmp_path, lift, "console", "--as", "secretariat", "--lang", "en").stdout
    assert "Status: member" in out.split("Lift the suspension")[-1]

    out = run_bot(tmp_path, ["/withdraw"], "console", "--lang", "zh-hans").stdout
    confirm = "确认以示范冶炼有限公司名义向推进中心秘书处提交书面退出通知？自通知之日起满三十日"
    assert_in_order(out, [confirm, "[1] 确认提交退出通知"])
    out = run_bot(tmp_path, ["/withdraw", "1"], "console", "--lang", "en").stdout
    assert_in_order(out, ["File a written notice of withdrawal", "Notice recorded."])
    out = run_bot(tmp_path, ["/join"], "console", "--lang", "en").stdout
    assert "You are already the contact person of a member unit" in out
