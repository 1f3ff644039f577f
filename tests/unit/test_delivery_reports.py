"""The progress message and the final report, in both languages."""

from __future__ import annotations

import pytest

from bot.delivery.reports import NAMES_SHOWN, final_text, progress_text
from bot.i18n import Catalogs, Translator
from storage.outbox import Counts


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs("zh_CN", "Asia/Shanghai")


def test_progress_in_english(catalogs: Catalogs) -> None:
    t = catalogs.translator("en")
    counts = Counts(pending=50, sending=5, sent=40, unknown=2, failed=1, blocked=2)
    assert progress_text(t, "AGM", counts, 95) == (
        "Sending “AGM”: 42 sent, 1 failed, 2 blocked, of 100. About 2 minutes left."
    )


def test_progress_in_chinese(catalogs: Catalogs) -> None:
    t = catalogs.translator("zh_CN")
    text = progress_text(t, "年会", Counts(pending=10, sent=90), 3)
    assert text == (
        "正在发送“年会”：共 100 条，已发送 90 条，失败 0 条，被屏蔽 0 条。预计还需 3秒钟。"
    )


def test_final_report_names_the_unreachable_and_counts_the_uncertain(
    catalogs: Catalogs,
) -> None:
    t: Translator = catalogs.translator("en")
    names = [f"P{n}" for n in range(NAMES_SHOWN)]
    counts = Counts(sent=70, unknown=3, failed=2, blocked=NAMES_SHOWN + 5)
    lines = final_text(t, "AGM", counts, names).split("\n")
    assert lines[0] == "“AGM” is delivered: 73 sent, 2 failed, 25 blocked, of 100."
    assert lines[1] == "3 were being sent when the bot stopped, so they may have arrived twice."
    assert lines[2].startswith("Not reachable, they blocked the bot: P0, P1,")
    assert lines[2].endswith("P19 and 5 more.")
    reasons = [("Bad Request: chat not found", 2)]
    assert final_text(t, "AGM", Counts(sent=3, failed=2), [], reasons).split("\n")[1] == (
        "Why they failed: Bad Request: chat not found (2)."
    )
    assert final_text(t, "AGM", Counts(sent=3), []) == (
        "“AGM” is delivered: 3 sent, 0 failed, 0 blocked, of 3."
    )
