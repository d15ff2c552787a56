"""The suppression list: keyed digests of an erased person's identifiers, so that records
arriving later (an old export imported again, the next purchase on the same card) do not
bring them back. The key lives outside the database (``$OMNIRETAIL_HOME/.privacy_key``), so a
copy of the database alone cannot test phone numbers against the list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base, utcnow


class PrivacySuppression(Base):
    __tablename__ = "privacy_suppression"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(key || value)
    request_id: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
