"""The access rule for documents, as a table (art. 13(1), 14(4), 15, 16(5)).

Every role × every unit status × every access level × embargo (none, before, after). The
integration tests send through every path against this same table.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.charter.documents import Audience, Decision, Level, Reason, may_receive_document
from storage.models import Role, UnitStatus

# One row per role and status of the unit the person acts for ("-": none on record): the unit
# a contact is a contact of, the unit a seat holder (leadership) sits for.
# Columns: the document's level, after publication (or with no embargo at all); "my unit" is
# a list of named units that includes the person's unit, "other" one that does not. The last
# column is every level before publication, while the draft is for the joint directors'
# meeting (the review audience).
#
#   +  sent                      M  not a member
#   S  unit's rights suspended   A  not in the audience      P  not yet published
MATRIX = """
role         unit         public members leaders experts my-unit other | draft
guest        -            +      M       M       M       M       M     | P
guest        applicant    +      M       M       M       M       M     | P
guest        member       +      M       M       M       M       M     | P
guest        suspended    +      M       M       M       M       M     | P
guest        withdrawing  +      M       M       M       M       M     | P
guest        withdrawn    +      M       M       M       M       M     | P
guest        expelled     +      M       M       M       M       M     | P
contact      -            +      M       A       A       A       A     | P
contact      applicant    +      M       A       A       M       A     | P
contact      member       +      +       A       A       +       A     | P
contact      suspended    +      S       A       A       S       A     | P
contact      withdrawing  +      +       A       A       +       A     | P
contact      withdrawn    +      M       A       A       M       A     | P
contact      expelled     +      M       A       A       M       A     | P
secretariat  -            +      +       +       +       +       +     | +
secretariat  applicant    +      +       +       +       +       +     | +
secretariat  member       +      +       +       +       +       +     | +
secretariat  suspended    +      +       +       +       +       +     | +
secretariat  withdrawing  +      +       +       +       +       +     | +
secretariat  withdrawn    +      +       +       +       +       +     | +
secretariat  expelled     +      +       +       +       +       +     | +
leadership   -            +      +       +       A       A       A     | +
leadership   applicant    +      M       M       A       A       A     | P
leadership   member       +      +       +       A       A       A     | +
leadership   suspended    +      S       S       A       A       A     | S
leadership   withdrawing  +      +       +       A       A       A     | +
leadership   withdrawn    +      M       M       A       A       A     | P
leadership   expelled     +      M       M       A       A       A     | P
expert       -            +      A       A       +       A       A     | P
expert       applicant    +      A       A       +       A       A     | P
expert       member       +      A       A       +       A       A     | P
expert       suspended    +      A       A       +       A       A     | P
expert       withdrawing  +      A       A       +       A       A     | P
expert       withdrawn    +      A       A       +       A       A     | P
expert       expelled     +      A       A       +       A       A     | P
"""

MY_UNIT, OTHER_UNIT = 7, 8
LEVELS = {
    "public": Audience(Level.PUBLIC),
    "members": Audience(Level.MEMBERS),
    "leaders": Audience(Level.LEADERSHIP),
    "experts": Audience(Level.EXPERTS),
    "my-unit": Audience(Level.UNITS, frozenset({MY_UNIT, 99})),
    "other": Audience(Level.UNITS, frozenset({OTHER_UNIT})),
}
REVIEW = Audience(Level.LEADERSHIP)
OUTCOMES = {
    "M": Reason.NOT_MEMBER,
    "S": Reason.SUSPENDED,
    "A": Reason.NOT_IN_AUDIENCE,
    "P": Reason.NOT_PUBLISHED,
}
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
PUBLICATION = NOW + timedelta(days=3)


def parse(table: str) -> list[tuple[Role, UnitStatus | None, str, str]]:
    """(role, unit status, level, expected) for every cell after publication, and
    (..., "draft:<level>", expected) for every level before it."""
    lines = table.strip().splitlines()
    levels = lines[0].split("|")[0].split()[2:]
    cases = []
    for line in lines[1:]:
        after, draft = line.split("|")
        role, status, *cells = after.split()
        unit_status = None if status == "-" else UnitStatus(status)
        for level, cell in zip(levels, cells, strict=True):
            cases.append((Role(role), unit_status, level, cell))
            cases.append((Role(role), unit_status, f"draft:{level}", draft.strip()))
    return cases


CASES = parse(MATRIX)


def expected(cell: str, role: Role, level: str) -> Decision:
    if cell in OUTCOMES:
        return Decision(False, OUTCOMES[cell])
    if role is Role.SECRETARIAT:
        return Decision(True, Reason.SECRETARIAT)
    if level.startswith("draft:"):
        return Decision(True, Reason.REVIEWER)
    return Decision(True, Reason.PUBLIC if level == "public" else Reason.AUDIENCE)


def decide(role: Role, unit_status: UnitStatus | None, level: str, now: datetime) -> Decision:
    """The rule for a person holding `role` (and guest) whose unit is MY_UNIT."""
    draft, _, name = level.rpartition(":")
    return may_receive_document(
        frozenset({Role.GUEST, role}),
        unit_status,
        MY_UNIT if unit_status is not None else None,
        LEVELS[name],
        PUBLICATION if draft else None,
        REVIEW if draft else None,
        now,
        seat_status=unit_status if role is Role.LEADERSHIP else None,
    )


def test_the_table_covers_every_role_status_and_level() -> None:
    rows = {(role, status) for role, status, _, _ in CASES}
    assert rows == {(r, s) for r in Role for s in [None, *UnitStatus]}
    assert {level for _, _, level, _ in CASES} == {*LEVELS, *(f"draft:{x}" for x in LEVELS)}


@pytest.mark.parametrize(("role", "unit_status", "level", "cell"), CASES)
def test_access_matrix(role: Role, unit_status: UnitStatus | None, level: str, cell: str) -> None:
    assert decide(role, unit_status, level, NOW) == expected(cell, role, level)
    if level.startswith(
        "draft:"
    ):  # the same document once published: as the column without an embargo
        published = decide(role, unit_status, level, PUBLICATION)
        assert published == decide(role, unit_status, level.removeprefix("draft:"), NOW)


def test_publication_time_itself_is_published() -> None:
    contact = frozenset({Role.GUEST, Role.CONTACT})
    members = Audience(Level.MEMBERS)
    ahead = PUBLICATION - timedelta(microseconds=1)
    for now, allowed in ((ahead, False), (PUBLICATION, True)):
        decision = may_receive_document(
            contact, UnitStatus.MEMBER, 1, members, PUBLICATION, REVIEW, now
        )
        assert decision.allowed is allowed


@pytest.mark.parametrize(
    ("roles", "unit_status", "review", "outcome"),
    [
        # several roles: any way in is enough; a seat still follows its unit's standing
        ({Role.CONTACT, Role.EXPERT}, UnitStatus.SUSPENDED, Level.EXPERTS, Reason.REVIEWER),
        ({Role.CONTACT, Role.LEADERSHIP}, UnitStatus.MEMBER, Level.LEADERSHIP, Reason.REVIEWER),
        ({Role.CONTACT}, UnitStatus.MEMBER, Level.MEMBERS, Reason.REVIEWER),
        ({Role.CONTACT}, UnitStatus.SUSPENDED, Level.MEMBERS, Reason.SUSPENDED),
        ({Role.CONTACT}, UnitStatus.MEMBER, Level.EXPERTS, Reason.NOT_PUBLISHED),
        ({Role.EXPERT}, None, Level.EXPERTS, Reason.REVIEWER),
    ],
)
def test_review_audiences(
    roles: set[Role], unit_status: UnitStatus | None, review: Level, outcome: Reason
) -> None:
    decision = may_receive_document(
        frozenset({Role.GUEST, *roles}),
        unit_status,
        MY_UNIT,
        Audience(Level.PUBLIC),
        PUBLICATION,
        Audience(review),
        NOW,
    )
    assert decision.reason is outcome
    assert decision.allowed is (outcome is Reason.REVIEWER)


def test_a_draft_without_review_audience_goes_to_nobody_but_the_secretariat() -> None:
    for roles in ({Role.CONTACT}, {Role.LEADERSHIP}, {Role.EXPERT}, {Role.SECRETARIAT}):
        decision = may_receive_document(
            frozenset({Role.GUEST, *roles}),
            UnitStatus.MEMBER,
            MY_UNIT,
            Audience(Level.MEMBERS),
            PUBLICATION,
            None,
            NOW,
        )
        assert decision.allowed is (Role.SECRETARIAT in roles)


SEAT_AND_CONTACT = frozenset({Role.GUEST, Role.CONTACT, Role.LEADERSHIP})


@pytest.mark.parametrize(
    ("contact_unit", "seat_unit", "level", "outcome"),
    [
        # each role is judged by its own unit's standing (art. 15(3), 16(5))
        (UnitStatus.MEMBER, UnitStatus.SUSPENDED, "members", Reason.AUDIENCE),
        (UnitStatus.MEMBER, UnitStatus.SUSPENDED, "leaders", Reason.SUSPENDED),
        (UnitStatus.MEMBER, UnitStatus.EXPELLED, "leaders", Reason.NOT_MEMBER),
        (UnitStatus.SUSPENDED, UnitStatus.MEMBER, "leaders", Reason.AUDIENCE),
        (UnitStatus.SUSPENDED, UnitStatus.MEMBER, "members", Reason.AUDIENCE),
        (UnitStatus.SUSPENDED, UnitStatus.MEMBER, "my-unit", Reason.SUSPENDED),
        (UnitStatus.WITHDRAWN, UnitStatus.SUSPENDED, "members", Reason.SUSPENDED),
        (UnitStatus.EXPELLED, UnitStatus.WITHDRAWN, "members", Reason.NOT_MEMBER),
        (UnitStatus.EXPELLED, UnitStatus.WITHDRAWING, "members", Reason.AUDIENCE),
    ],
)
def test_a_contact_who_holds_a_seat_for_another_unit(
    contact_unit: UnitStatus, seat_unit: UnitStatus, level: str, outcome: Reason
) -> None:
    decision = may_receive_document(
        SEAT_AND_CONTACT, contact_unit, MY_UNIT, LEVELS[level], None, None, NOW, seat_unit
    )
    assert decision == Decision(outcome is Reason.AUDIENCE, outcome)


def test_a_seat_of_a_suspended_unit_gets_no_draft_for_the_leadership() -> None:
    decision = may_receive_document(
        frozenset({Role.GUEST, Role.LEADERSHIP}),
        None,
        None,
        Audience(Level.MEMBERS),
        PUBLICATION,
        REVIEW,
        NOW,
        seat_status=UnitStatus.SUSPENDED,
    )
    assert decision == Decision(False, Reason.SUSPENDED)
