"""Pydantic shapes of groups, members, live codes, referral campaigns, check-ins and health."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

GroupKind = Literal["marketing", "content", "service"]
KIND_ZH = {"marketing": "营销群", "content": "内容群", "service": "服务群"}
Scene = Literal["direct_invite", "invite_link", "qrcode"]
SCENE_ZH = {"direct_invite": "群成员邀请", "invite_link": "邀请链接", "qrcode": "扫码入群"}
REASON_ZH = {
    "self_invite": "自己邀请自己",
    "same_phone": "同一手机号",
    "same_device": "同一设备",
    "left_24h": "24 小时内退群",
}
INVITE_STATUS_ZH = {"pending": "待确认", "valid": "有效", "refused": "已拒绝"}
WECOM_CAP = 200  # members of a WeCom customer group


class GroupIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    chat_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=128)
    owner_staff_id: str | None = Field(default=None, max_length=32)
    store_code: str | None = Field(default=None, max_length=32)
    kind: GroupKind = "marketing"
    created_at: AwareDatetime | None = None


class MemberIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    member_key: str = Field(min_length=1, max_length=64)
    customer_id: str | None = Field(default=None, max_length=32)
    name: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    device: str | None = Field(default=None, max_length=64)
    joined_at: AwareDatetime
    join_scene: Scene = "qrcode"
    inviter_key: str | None = Field(default=None, max_length=64)
    state: str | None = Field(default=None, max_length=64)


class GroupRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    chat_id: str
    name: str
    owner_staff_id: str | None
    store_code: str | None
    kind: str
    capacity: int
    status: str
    members: int = 0


class MemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    member_key: str
    customer_id: str | None
    name: str | None
    joined_at: datetime
    join_scene: str
    inviter_key: str | None
    state: str | None
    left_at: datetime | None


class ImportMapping(BaseModel):
    """Which column of a WeCom customer-group export holds what (defaults: the Chinese headers
    of the admin console's export)."""

    chat_id: str = "群ID"
    group_name: str = "群名称"
    owner: str = "群主"
    member_key: str = "成员ID"
    name: str = "成员昵称"
    joined_at: str = "入群时间"
    join_scene: str = "入群方式"
    inviter: str = "邀请人"
    state: str = "渠道参数"
    store_code: str | None = None  # a column, or the store given for the whole file
    kind: str | None = None


class ImportRowError(BaseModel):
    row: int
    field: str
    message_zh: str
    message: str


class ImportResult(BaseModel):
    groups: int
    members: int
    skipped: int  # already imported (a rerun counts nothing twice)
    errors: list[ImportRowError]


class LiveCodeIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=128)
    store_code: str | None = Field(default=None, max_length=32)
    campaign: str | None = Field(default=None, max_length=32)
    groups: list[str] = Field(min_length=1, max_length=100)  # chat ids in routing order


class LiveCodeRead(BaseModel):
    code: str
    name: str
    store_code: str | None
    campaign: str | None
    state: str
    status: str
    scans: int
    needs_group: bool
    groups: list[GroupRead]


class JoinIn(BaseModel):
    """A scan of a live code that ends in a join (the WeCom callback with ``state``)."""

    model_config = ConfigDict(str_strip_whitespace=True)
    member_key: str = Field(min_length=1, max_length=64)
    customer_id: str | None = Field(default=None, max_length=32)
    name: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    device: str | None = Field(default=None, max_length=64)
    inviter_key: str | None = Field(default=None, max_length=64)
    joined_at: AwareDatetime | None = None


class JoinResult(BaseModel):
    group: GroupRead
    state: str
    replayed: bool
    invite_status: str | None


class CampaignIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    code: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=128)
    live_code: str = Field(min_length=1, max_length=32)
    reward_points: int = Field(ge=1, le=100_000)
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class InviteNode(BaseModel):
    member_key: str
    name: str | None
    status: str | None  # None for a seed member (not invited in the campaign)
    reason: str | None
    children: list[InviteNode] = Field(default_factory=list)


class CampaignStats(BaseModel):
    code: str
    title: str
    inviters: int
    invitations_sent: int
    joins: int
    valid: int
    refused: int
    pending: int
    refused_by_reason: dict[str, int]
    invite_conversion: float | None  # valid joins / invitations sent
    invites_per_inviter: float | None
    k_factor: float | None  # invites per inviter × conversion
    points_awarded: int


class CampaignRead(BaseModel):
    stats: CampaignStats
    tree: list[InviteNode]


class CheckInIn(BaseModel):
    member_key: str = Field(min_length=1, max_length=64)
    customer_id: str | None = Field(default=None, max_length=32)
    group: str | None = Field(default=None, max_length=64)
    at: AwareDatetime | None = None


class CheckInRead(BaseModel):
    member_key: str
    day: date
    streak: int
    points: int
    replayed: bool


class StreakRow(BaseModel):
    streak: int = Field(ge=1, le=366)
    points: int = Field(ge=0, le=100_000)


class GroupHealth(BaseModel):
    chat_id: str
    name: str
    kind: str
    store_code: str | None
    members: int
    active_7d: int
    messages_7d: int
    new_per_day_7d: float
    silent_share: float | None  # members who did not speak in 30 days
    retention_7d: float | None
    retention_30d: float | None
    quiet: bool
    quiet_days: int | None
