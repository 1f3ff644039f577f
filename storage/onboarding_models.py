"""Invitations (art. 12, 14(8), 19, 21): one-time links that bind a Telegram account to a
person the center already knows — an imported contact, seat holder or expert, or a backup
contact a unit invites. The row carries what to grant when the link is opened.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, _enum


class InvitationKind(enum.StrEnum):
    CONTACT = "contact"  # art. 14(8): binds a contact record of the unit (or creates one)
    SEAT = "seat"  # art. 19: a seat on the joint meeting for the unit
    EXPERT = "expert"  # art. 21: the expert role


class Invitation(Base):
    """A personal one-time link; `token` is the deep link's secret, the rest says for whom."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(48), unique=True)
    kind: Mapped[InvitationKind] = mapped_column(_enum(InvitationKind))
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(128), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    as_main: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(16), default="import")  # import, unit, roster
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]  # last time the link was shown or exported
    used_at: Mapped[datetime | None]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class DemoUnit(Base):
    """Marks a unit of the fictional demo center (`python -m bot demo`), never a real one."""

    __tablename__ = "demo_units"

    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime]
