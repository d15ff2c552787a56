"""Sales and contact channels (POS, mini-program, app, Tmall, JD, Meituan, WeCom...)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from omniretail.platform.db import Base

# online: the chain's own digital channels; offline: tills and people in stores;
# platform: a third party's marketplace or delivery app (Tmall, JD, Meituan ...)
CHANNEL_KINDS = ("online", "offline", "platform")


class Channel(Base):
    __tablename__ = "channel"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # pos, miniprogram, tmall ...
    name: Mapped[str] = mapped_column(String(64))  # Chinese display name
    name_en: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # CHANNEL_KINDS
    domain: Mapped[str] = mapped_column(String(16))  # public | private (公域/私域)
    platform: Mapped[str | None] = mapped_column(String(32))  # wechat, alibaba, jd, meituan ...
    store_id: Mapped[int | None] = mapped_column(
        ForeignKey("store.id"), index=True
    )  # the store a store-owned channel belongs to (None: the whole chain)
    can_sell: Mapped[bool] = mapped_column(Boolean, default=True)
    can_message: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
