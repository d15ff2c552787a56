"""``/api/v1/care``: the WeCom 微信客服 message intake (a customer's message in, the session's
state and the bot's reply out) and the assistant's answer to one question.

The intake takes the fields of WeCom's ``kf/sync_msg`` message (``open_kfid``,
``external_userid``, ``msgid``, ``send_time``, ``msgtype``, ``text.content``); a replayed
``msgid`` changes nothing. The customer is tied through the CDP's identity of the WeCom
external user id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from omniretail.care.assistant import service as assistant
from omniretail.care.desk import service
from omniretail.care.desk.email_intake import identify
from omniretail.care.desk.errors import BadTicketInput
from omniretail.care.desk.models import DeskMessage
from omniretail.platform.auth.deps import ApiPrincipal, DbSession

router = APIRouter(prefix="/care", tags=["care"])
MAX_BODY = 5000


class WeComText(BaseModel):
    content: str = Field(max_length=MAX_BODY)


class WeComMessageIn(BaseModel):
    open_kfid: str = Field(min_length=1, max_length=64)
    external_userid: str = Field(min_length=1, max_length=64)
    msgid: str = Field(min_length=1, max_length=128)
    send_time: int = Field(gt=0, description="Unix seconds, as WeCom sends it")
    msgtype: Literal["text", "image", "voice", "video", "file", "location", "link", "event"]
    text: WeComText | None = None


class IntakeResult(BaseModel):
    conversation_id: int
    state: str  # unhandled | bot | queued | agent | closed
    service_state: int  # WeCom's code: 0 未处理, 1 智能助手, 2 排队中, 3 人工接待, 4 已结束
    customer_id: str | None
    ticket_id: int | None
    bot_reply: str | None
    window_until: datetime | None


class AskIn(BaseModel):
    question: str = Field(max_length=MAX_BODY)
    customer_id: str | None = Field(default=None, max_length=32)


class AskOut(BaseModel):
    answer: str
    intent: str | None
    abstained: bool
    score: float
    reason: str
    data: dict[str, Any]


@router.post("/wecom/messages", response_model=IntakeResult)
def wecom_message(body: WeComMessageIn, db: DbSession, principal: ApiPrincipal) -> IntakeResult:
    principal.require("events")
    if body.msgtype == "text":
        if body.text is None:
            raise BadTicketInput("文本消息缺少 text.content", field="text")
        text = body.text.content
    else:
        text = f"[{body.msgtype}]"  # media is fetched by the agent; the bot reads text only
    customer_id = identify(db, f"wecom:{body.external_userid}") or identify(
        db, body.external_userid
    )
    conv, ticket = service.receive(
        db,
        service.Inbound(
            channel="wecom",
            external_id=f"{body.open_kfid}:{body.external_userid}",
            body=text,
            at=datetime.fromtimestamp(body.send_time, UTC),
            customer_id=customer_id,
            channel_msg_id=f"wecom:{body.msgid}",
        ),
    )
    last = service.messages(db, conversation_id=conv.id, limit=1)
    bot = (
        last[0].body
        if last and isinstance(last[0], DeskMessage) and last[0].direction == "bot"
        else None
    )
    return IntakeResult(
        conversation_id=conv.id,
        state=conv.state,
        service_state=service.WECOM_STATE[conv.state],
        customer_id=conv.customer_id,
        ticket_id=ticket.id if ticket is not None else None,
        bot_reply=bot,
        window_until=conv.window_until,
    )


@router.post("/assistant/ask", response_model=AskOut)
def ask(body: AskIn, db: DbSession, principal: ApiPrincipal) -> AskOut:
    """The bot's answer; ``customer_id`` (the channel's verified customer) answers
    transactional questions from that customer's own data."""
    principal.require("read")
    if body.customer_id is not None:
        from omniretail.cdp.profile import service as profile_service

        profile_service.require_visible_customer(db, principal, body.customer_id)
    reply = assistant.ask(db, question=body.question, customer_id=body.customer_id)
    return AskOut(**reply.as_dict())
