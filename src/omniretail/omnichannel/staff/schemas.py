"""Staff in and out: store managers (店长), cashiers (收银员), shopping guides (导购)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

StaffRole = Literal["manager", "cashier", "clerk", "leader", "other"]
STAFF_ROLE_LABELS: dict[str, str] = {
    "manager": "店长",
    "cashier": "收银员",
    "clerk": "导购",
    "leader": "团长",
    "other": "其他",
}


class StaffCreate(BaseModel):
    """A staff member; ``staff_id`` is the employee number (工号), the key other domains store."""

    model_config = ConfigDict(str_strip_whitespace=True)

    staff_id: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    role: StaffRole = "clerk"
    store_code: str | None = Field(default=None, max_length=32)
    wecom_userid: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    is_active: bool = True


class StaffRead(StaffCreate):
    model_config = ConfigDict(from_attributes=True)

    @property
    def role_label(self) -> str:
        return STAFF_ROLE_LABELS[self.role]
