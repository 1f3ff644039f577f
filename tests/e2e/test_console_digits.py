"""The console picks a button by its number in ASCII digits; "²" is text, never a crash."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_console import assert_in_order, run_bot


def test_a_superscript_digit_is_text_not_a_button_number(tmp_path: Path) -> None:
    lines = ["/start", "²", "/help"]
    output = run_bot(tmp_path, lines, "console", "--lang", "en").stdout
    assert_in_order(
        output,
        [
            "[1] 📄 The charter",
            "I wasn't expecting a message.",
            "What you can do:",
        ],
    )
