"""Channels in and out (门店收银, 小程序, 天猫 ...)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from omniretail.platform.keys import normalize_key

ChannelKind = Literal["online", "offline", "platform"]
CHANNEL_KIND_LABELS: dict[str, str] = {"online": "线上", "offline": "线下", "platform": "平台"}


def channel_code(value: str) -> str:
    """The canonical spelling of a channel code: ``POS``, `` pos `` and ``ｐｏｓ`` are ``pos``."""
    return normalize_key(value)


class ChannelCreate(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    name_en: str | None = Field(default=None, max_length=64)
    kind: ChannelKind
    domain: Literal["public", "private"] = "private"  # 公域 / 私域
    platform: str | None = Field(default=None, max_length=32)
    store_code: str | None = Field(default=None, max_length=32)  # a store's own channel
    can_sell: bool = True
    can_message: bool = False
    is_active: bool = True

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        return channel_code(v)


class ChannelRead(ChannelCreate):
    model_config = ConfigDict(from_attributes=True)

    @property
    def kind_label(self) -> str:
        return CHANNEL_KIND_LABELS[self.kind]
