"""Sales and contact channels (POS, mini-program, app, Tmall, JD, Meituan, WeCom...)."""

from __future__ import annotations

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base


class Channel(Base):
    __tablename__ = "channel"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # pos, miniprogram, tmall ...
    name: Mapped[str] = mapped_column(String(64))  # Chinese display name
    name_en: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # online | offline
    domain: Mapped[str] = mapped_column(String(16))  # public | private (公域/私域)
    platform: Mapped[str | None] = mapped_column(String(32))  # wechat, alibaba, jd, meituan ...
    can_sell: Mapped[bool] = mapped_column(Boolean, default=True)
    can_message: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
