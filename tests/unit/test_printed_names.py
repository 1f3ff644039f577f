"""The name a secretariat prints for a person (storage.names.printed_name): the roster's, with
the Telegram display name beside it only when the two differ (issue 20)."""

from __future__ import annotations

import pytest

from storage.names import printed_name


@pytest.mark.parametrize(
    ("roster", "display", "printed"),
    [
        ("王建国", "建国", "王建国 (建国)"),  # a nickname in Telegram: both, to match the chat
        ("王建国", "王建国", "王建国"),  # the same name once
        ("Jing Chen", "Jing C.", "Jing Chen (Jing C.)"),
        (" 王建国 ", " 王建国", "王建国"),  # stray spaces do not make two names
        ("王建国", "", "王建国"),  # no display name: the roster's alone
        ("王建国", "   ", "王建国"),
    ],
)
def test_a_person_on_the_roster(roster: str, display: str, printed: str) -> None:
    assert printed_name(roster, display, 42) == printed


@pytest.mark.parametrize("roster", [None, "", "  "])
def test_someone_not_on_the_roster_by_display_name(roster: str | None) -> None:
    assert printed_name(roster, "建国", 42) == "建国"


@pytest.mark.parametrize("display", ["", "  "])
def test_nothing_known_but_the_telegram_id(display: str) -> None:
    assert printed_name(None, display, 42) == "#42"
