"""Staff: store managers, cashiers and shopping guides; guides serve customers through WeCom."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, TimestampMixin

STAFF_ROLES = ("manager", "cashier", "clerk", "leader", "other")


class Staff(TimestampMixin, Base):
    """A person working for the chain; ``code`` is the employee number (工号)."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32), default="clerk")  # STAFF_ROLES
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"), index=True)
    wecom_userid: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
