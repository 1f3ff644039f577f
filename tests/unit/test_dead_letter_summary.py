"""What a dead letter says of a polled update: its kind, never its text or a ballot's choice."""

from __future__ import annotations

from bot.engines.receiving import summary_of


def test_a_press_is_named_by_its_action_code_alone() -> None:
    press = {"update_id": 1, "callback_query": {"id": "q", "data": "mv:12:against"}}
    assert summary_of(press) == "button mv"


def test_a_message_is_named_by_its_command_or_kind() -> None:
    def message(**fields: object) -> dict:
        return {"update_id": 2, "message": {"chat": {"id": 5}, **fields}}

    assert summary_of(message(text="/import@dtpc_bot now")) == "command /import"
    assert summary_of(message(text="我的电话 13800000000")) == "text"
    assert summary_of(message(document={"file_id": "f"}, caption="x")) == "file"
