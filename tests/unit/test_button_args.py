"""Button data and link payloads are parsed once, by each action's declared argument types
(DESIGN "Trust rules", issue 17): anything else is refused, never half-parsed."""

from __future__ import annotations

import enum

import pytest

from bot.routing import (
    LINK_TOKEN,
    MAX_ID,
    Id,
    Index,
    Opt,
    Rest,
    Signature,
    between,
    one_of,
    parse_args,
)


class Colour(enum.StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    "text",
    ["x", "²", "１", "٣", "9" * 25, str(MAX_ID + 1), "-1", "+1", "", " 1", "1 ", "0", "1\n"],
)
def test_an_id_is_ascii_digits_within_a_bigint(text: str) -> None:
    with pytest.raises(ValueError):
        Id(text)


def test_good_numbers() -> None:
    assert (Id("1"), Id(str(MAX_ID)), Index("0"), between(1, 5)("5")) == (1, MAX_ID, 0, 5)
    with pytest.raises(ValueError):
        between(1, 5)("6")


@pytest.mark.parametrize(
    ("signature", "parts", "values"),
    [
        ((), [], ()),
        ((Id, Colour), ["7", "red"], (7, Colour.RED)),
        ((Id, Opt(one_of("r"))), ["7"], (7, None)),
        ((Id, Opt(one_of("r"))), ["7", "r"], (7, "r")),
        ((Opt(Index, 0),), [], (0,)),
        ({"go": (), "card": (Id,)}, ["card", "3"], ("card", 3)),
        ({"go": (), "card": (Id,)}, ["go"], ("go",)),
        ((Rest(LINK_TOKEN),), ["ab", "c-d"], ("ab_c-d",)),
    ],
)
def test_well_formed_data(signature: Signature, parts: list[str], values: tuple) -> None:
    assert parse_args(signature, parts, "_") == values


@pytest.mark.parametrize(
    ("signature", "parts"),
    [
        ((), [""]),  # "code:" has one empty part
        ((Id,), []),
        ((Id,), ["1", "2"]),
        ((Id, Colour), ["1", "blue"]),
        ((Id, Opt(one_of("r"))), ["1", "x"]),
        ({"go": (), "card": (Id,)}, []),
        ({"go": (), "card": (Id,)}, ["nosuch"]),
        ({"go": (), "card": (Id,)}, ["card"]),
        ({"go": (), "card": (Id,)}, ["go", "1"]),
        ({"go": (), "card": (Id,)}, ["card", "²"]),
        ((Rest(LINK_TOKEN),), []),
        ((Rest(LINK_TOKEN),), ["a b"]),
    ],
)
def test_malformed_data_is_refused(signature: Signature, parts: list[str]) -> None:
    with pytest.raises(ValueError):
        parse_args(signature, parts, "_")
