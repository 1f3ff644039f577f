"""The chat protocol's own rules: callback data size, command parsing, button packing."""

from __future__ import annotations

import pytest

from bot.protocol import Button, parse_command
from bot.routing import button_data, may_use, parse_button
from storage.models import Role


def test_callback_data_over_64_bytes_is_refused() -> None:
    Button("ok", data="x" * 64)
    with pytest.raises(ValueError, match="64 bytes"):
        Button("too long", data="界" * 22)  # 66 bytes in UTF-8


def test_a_button_is_data_or_link() -> None:
    with pytest.raises(ValueError):
        Button("both", data="a", url="https://example.org")
    with pytest.raises(ValueError):
        Button("neither")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", ("start", "")),
        ("/start inv_abc", ("start", "inv_abc")),
        ("/Help@dtpc_bot", ("help", "")),
        ("/grant 12  leadership ", ("grant", "12  leadership")),
        ("hello", None),
        ("/", None),
        ("/@bot", None),
    ],
)
def test_parse_command(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_command(text) == expected


def test_button_data_round_trip() -> None:
    assert parse_button(button_data("grant", "leadership", 7)) == ("grant", ["leadership", "7"])


@pytest.mark.parametrize(
    ("roles", "allowed", "expected"),
    [
        ({Role.GUEST}, {Role.GUEST}, True),
        ({Role.GUEST}, {Role.SECRETARIAT}, False),
        ({Role.GUEST, Role.SECRETARIAT}, {Role.SECRETARIAT}, True),
        ({Role.GUEST, Role.EXPERT}, {Role.SECRETARIAT, Role.LEADERSHIP}, False),
    ],
)
def test_may_use(roles: set[Role], allowed: set[Role], expected: bool) -> None:
    assert may_use(frozenset(roles), frozenset(allowed)) is expected
