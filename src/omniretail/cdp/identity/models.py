"""Manual identity decisions (人工合并/拆分) that every later resolution run honours."""

from __future__ import annotations

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, TimestampMixin


class IdentityConstraint(TimestampMixin, Base):
    """A must-link (these two records are one person) or cannot-link (never the same person)
    between two source records (``record_key`` = ``source:source_record_id``)."""

    __tablename__ = "identity_constraint"
    __table_args__ = (Index("ix_identity_constraint_pair", "left_key", "right_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # must_link | cannot_link
    left_key: Mapped[str] = mapped_column(String(160))
    right_key: Mapped[str] = mapped_column(String(160))
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str | None] = mapped_column(String(64))  # e.g. "merge C000000001+C000000002"
