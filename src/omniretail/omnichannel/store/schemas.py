"""Store master data in and out (门店/仓库/自提点)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

StoreKind = Literal["direct", "franchise", "warehouse", "pickup_point"]
STORE_KIND_LABELS: dict[str, str] = {
    "direct": "直营店",
    "franchise": "加盟店",
    "warehouse": "仓库",
    "pickup_point": "自提点",
}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^([01]\d|2[0-4]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")


def parse_opening_hours(value: object) -> dict[str, str] | None:
    """``"09:00-22:00"`` (every day) or ``{"mon": "09:00-22:00", ...}`` → a dict per weekday.

    Raises ValueError naming what is wrong."""
    if value is None or value == "" or value == {}:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            import json

            return parse_opening_hours(json.loads(text))
        if not _HOURS.match(text):
            raise ValueError(f"opening hours {text!r} are not HH:MM-HH:MM")
        return dict.fromkeys(_DAYS, text)
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for day, hours in value.items():
            d = str(day).strip().lower()[:3]
            if d not in _DAYS:
                raise ValueError(f"opening hours: {day!r} is not a weekday (mon..sun)")
            h = str(hours).strip()
            if h and h.lower() != "closed" and not _HOURS.match(h):
                raise ValueError(f"opening hours of {d}: {h!r} is not HH:MM-HH:MM or closed")
            out[d] = h.lower() if h.lower() == "closed" else h
        return out
    raise ValueError("opening hours are HH:MM-HH:MM or a {weekday: hours} object")


class StoreCreate(BaseModel):
    """A store as master data delivers it; ``code`` is the key other domains store."""

    model_config = ConfigDict(str_strip_whitespace=True)

    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=128)
    kind: StoreKind = "direct"
    store_type: str = Field(default="street", max_length=32)  # the format: mall, street ...
    region: str | None = Field(default=None, max_length=32)
    province: str | None = Field(default=None, max_length=64)
    city: str | None = Field(default=None, max_length=64)
    district: str | None = Field(default=None, max_length=64)
    address: str | None = Field(default=None, max_length=256)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    opening_hours: dict[str, str] | None = None
    area_m2: float | None = Field(default=None, gt=0, le=1_000_000)
    phone: str | None = Field(default=None, max_length=32)
    opened_on: str | None = Field(default=None, max_length=10)
    is_active: bool = True

    @field_validator("opening_hours", mode="before")
    @classmethod
    def _hours(cls, v: object) -> dict[str, str] | None:
        return parse_opening_hours(v)


class StoreRead(StoreCreate):
    model_config = ConfigDict(from_attributes=True)

    @property
    def kind_label(self) -> str:
        return STORE_KIND_LABELS[self.kind]


class StoreDistance(BaseModel):
    store: StoreRead
    km: float
