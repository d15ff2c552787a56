"""Shopping-guide data in and out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

BindingMode = Literal["first_touch", "registration_only", "latest_touch"]
Source = Literal["contact_me", "store_qr", "share_link", "purchase", "transfer", "import"]
TouchKind = Literal["click", "order"]
TaskKind = Literal[
    "birthday", "repurchase_due", "coupon_expiring", "new_product_fans", "dormant_high_value"
]
TaskStatus = Literal["open", "sent", "done", "refused"]

MODE_ZH = {
    "first_touch": "首次绑定优先",
    "registration_only": "仅注册时绑定",
    "latest_touch": "最近接触优先",
}
SOURCE_ZH = {
    "contact_me": "企业微信联系我",
    "store_qr": "门店二维码",
    "share_link": "导购分享链接",
    "purchase": "服务成交",
    "transfer": "转接",
    "import": "导入",
}
TASK_ZH = {
    "birthday": "生日关怀",
    "repurchase_due": "复购提醒",
    "coupon_expiring": "优惠券即将过期",
    "new_product_fans": "新品推荐",
    "dormant_high_value": "高价值沉睡唤醒",
}
STATUS_ZH = {"open": "待处理", "sent": "已发送", "done": "已完成", "refused": "客户拒绝"}


class PolicyRead(BaseModel):
    """The chain's binding rules."""

    model_config = ConfigDict(from_attributes=True)

    binding_mode: BindingMode = "first_touch"
    protection_days: int = Field(default=30, ge=0, le=3650)
    validity_days: int = Field(default=365, ge=1, le=3650)
    click_extend_days: int = Field(default=7, ge=0, le=365)
    order_extend_days: int = Field(default=30, ge=0, le=365)
    max_transfers: int = Field(default=2, ge=0, le=100)
    transfer_window_days: int = Field(default=90, ge=1, le=3650)
    takeover_hours: int = Field(default=24, ge=0, le=720)
    holdout_pct: int = Field(default=10, ge=0, le=50)
    daily_task_cap: int = Field(default=30, ge=1, le=1000)


class ClaimIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    customer_id: str = Field(min_length=1, max_length=64)
    staff_code: str = Field(min_length=1, max_length=32)
    source: Source
    source_ref: str | None = Field(default=None, max_length=128)
    registration: bool = False
    at: datetime | None = None


class TouchIn(BaseModel):
    customer_id: str = Field(min_length=1, max_length=64)
    staff_code: str = Field(min_length=1, max_length=32)
    kind: TouchKind
    at: datetime | None = None


class BindingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: str
    staff_code: str
    store_code: str | None
    source: str
    source_ref: str | None
    bound_at: datetime
    protected_until: datetime
    valid_until: datetime
    ended_at: datetime | None = None
    end_reason: str | None = None
    holdout: bool = False


class TransferIn(BaseModel):
    customer_id: str = Field(min_length=1, max_length=64)
    to_staff: str = Field(min_length=1, max_length=32)
    reason: Literal["reassign", "clerk_left"] = "reassign"
    at: datetime | None = None


class TransferRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: str
    from_staff: str
    to_staff: str
    reason: str
    status: str
    requested_at: datetime
    takeover_at: datetime
    decided_at: datetime | None = None


class HandoverRead(BaseModel):
    """A leaving clerk's customers: transfers requested and customers held back by the limit."""

    requested: int
    refused: int
    reasons: dict[str, int] = Field(default_factory=dict)


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    day: date
    staff_code: str
    store_code: str | None
    customer_id: str
    kind: TaskKind
    priority: int
    message: str
    coupon_template: str | None
    status: TaskStatus
    channel: str | None = None
    message_id: int | None = None
    coupon_code: str | None = None
    closed_at: datetime | None = None


class TaskAction(BaseModel):
    action: Literal["send", "copy", "done", "refused"]
    issue_coupon: bool = False


class VisitIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    customer_id: str = Field(min_length=1, max_length=64)
    kind: Literal["store_visit", "call", "wecom_chat"] = "store_visit"
    note: str | None = Field(default=None, max_length=500)


class VisitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    staff_code: str
    customer_id: str
    kind: str
    note: str | None
    at: datetime


class TaskRunRead(BaseModel):
    day: date
    tasks: int
    clerks: int
    by_kind: dict[str, int] = Field(default_factory=dict)
    seconds: float = 0.0


class ChatImportResult(BaseModel):
    """One conversation-archive file imported: rows read, messages kept (new), already there,
    skipped (group chats, recalls, between colleagues) and quarantined by reason."""

    source: str
    received: int
    imported: int
    duplicates: int
    skipped: int
    quarantined: int
    reasons: dict[str, int]


class ReplyStats(BaseModel):
    """A clerk's replies to the chats their contacts started (WeCom's 聊天回复率 and
    平均首次回复时长)."""

    staff_code: str
    chats: int
    replied: int
    reply_rate: float
    first_reply_minutes: float | None
