"""The typed enqueue API: every sender builds a :class:`MessageRequest`, never a raw row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

OriginKind = Literal[
    "campaign", "journey", "fulfilment", "ticket", "clerk", "groupbuy", "community", "system"
]
Purpose = Literal["marketing", "transactional"]
ORIGIN_KINDS: tuple[str, ...] = OriginKind.__args__  # type: ignore[attr-defined]


class Origin(BaseModel):
    """Who sends the message: the kind of sender and its reference (``order:42``,
    ``SPRING:1``, ``ticket:T-9``)."""

    model_config = ConfigDict(frozen=True)

    kind: OriginKind
    ref: str = Field(default="", max_length=128)


class MessageRequest(BaseModel):
    """One message to queue. Give ``template`` (+ ``params``) or ``body`` (+ ``subject``).

    ``channel=None`` sends through the customer's preferred channel that the rules allow.
    ``idempotency_key`` is normalised (``platform.keys``): a replay returns the same message.
    ``recipient`` may be given by a planner that already resolved the address (campaigns);
    otherwise it comes from the contact resolver the CDP registers."""

    customer_id: str = Field(min_length=1, max_length=32)
    channel: str | None = None
    template: str | None = Field(default=None, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    subject: str | None = None
    body: str | None = None
    link: str | None = None  # where a click goes (tracked through /r/{key})
    origin: Origin
    purpose: Purpose
    idempotency_key: str = Field(min_length=1, max_length=128)
    priority: int = 50
    due_at: datetime | None = None
    recipient: str | None = Field(default=None, max_length=256)
    campaign_id: int | None = None
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_content(self) -> MessageRequest:
        if not self.template and not self.body:
            raise ValueError("a message needs a template or a body")
        return self


class MessageContent(BaseModel):
    """What a planned batch's recipients read (one per variant of a campaign)."""

    subject: str
    body: str = Field(min_length=1)
    link: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class PlannedBatch(BaseModel):
    """A batch of messages from a planner that already applied the rules of their purpose
    (campaigns: consent and addresses from the audience, caps counted with
    ``messaging.recent_counts``, quiet hours with ``policy.next_send_time``): validated once,
    for a million recipients."""

    origin: Origin
    purpose: Purpose
    due_at: datetime
    priority: int = 50
    campaign_id: int | None = None
    contents: dict[str, MessageContent]  # by content key ("" = the default content)


@dataclass(frozen=True, slots=True)
class PlannedRecipient:
    """One recipient of a :class:`PlannedBatch` (a light record: a batch has millions)."""

    customer_id: str
    channel: str
    recipient: str
    idempotency_key: str  # normalised by messaging
    content: str = ""  # the key of the batch's content this recipient reads
    # (channel, recipient) to try next, in order, when this channel's send fails for good
    fallback: tuple[tuple[str, str], ...] = ()


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    customer_id: str
    channel: str
    recipient: str
    origin_kind: str
    origin_ref: str
    purpose: str
    template: str | None
    campaign_id: int | None
    status: str
    priority: int
    attempts: int
    due_at: datetime
    sent_at: datetime | None
    error: str | None


class DispatchRead(BaseModel):
    claimed: int
    sent: int
    retried: int
    failed: int
    by_channel: dict[str, int]


class ReceiptIn(BaseModel):
    kind: str
    detail: dict[str, Any] | None = None


class ReceiptRead(BaseModel):
    message_id: int
    kind: str
    recorded: bool
