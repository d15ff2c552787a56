"""``/api/v1/care``: the WeCom 微信客服 message intake (a customer's message in, the session's
state and the bot's reply out) and the assistant's answer to one question.

The intake takes the fields of WeCom's ``kf/sync_msg`` message (``open_kfid``,
``external_userid``, ``msgid``, ``send_time``, ``msgtype``, ``text.content``); a replayed
``msgid`` changes nothing. The customer is tied through the CDP's identity of the WeCom
external user id.

When the instance has a WeCom callback token (``OMNIRETAIL_WECOM_TOKEN``) the intake also
requires WeCom's ``msg_signature``, ``timestamp`` and ``nonce`` query parameters: the SHA1 of
the sorted token, timestamp, nonce and request body, with the timestamp within
``OMNIRETAIL_WECOM_MAX_SKEW_SECONDS`` (300) of the server's clock (``wecom_signature``).

``/care/wecom/callback`` is the callback URL saved in WeCom's admin console: WeCom itself calls
it, authenticated by the same signature over the AES-sealed part (``wecom_crypto``) and by the
receiver (corp id) inside it — no API key. GET answers the URL check (``echostr`` decrypted);
POST takes a sealed message and answers with a sealed passive reply. It needs
``OMNIRETAIL_WECOM_TOKEN``, ``OMNIRETAIL_WECOM_AES_KEY`` and ``OMNIRETAIL_WECOM_CORP_ID``
(404 without them)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import AfterValidator, BaseModel, Field

from omniretail.care.assistant import service as assistant
from omniretail.care.desk import report, service
from omniretail.care.desk import wecom_callback as wecom_callback_xml
from omniretail.care.desk.email_intake import identify
from omniretail.care.desk.errors import BadTicketInput
from omniretail.care.desk.models import DeskMessage
from omniretail.care.desk.wecom_crypto import BadEnvelope, WeComCrypt
from omniretail.care.desk.wecom_signature import verify
from omniretail.platform import export
from omniretail.platform.auth.deps import ApiPrincipal, DbSession
from omniretail.platform.auth.scope import store_scope
from omniretail.platform.bounds import EARLIEST, check_past_instant
from omniretail.platform.config import get_settings
from omniretail.platform.console.locale import request_locale
from omniretail.platform.db import utcnow
from omniretail.platform.errors import NotFound

router = APIRouter(prefix="/care", tags=["care"])
MAX_BODY = 5000
# a message's send time: since 2000 (the bounds of every instant) and, in the schema, before
# 2100; the validator then refuses a time in the future
EARLIEST_UNIX = int(EARLIEST.timestamp())
LATEST_UNIX = 4_102_444_800  # 2100-01-01


def _sent_at_most_now(value: int) -> int:
    check_past_instant(datetime.fromtimestamp(value, UTC))
    return value


class WeComText(BaseModel):
    content: str = Field(max_length=MAX_BODY)


class WeComMessageIn(BaseModel):
    open_kfid: str = Field(min_length=1, max_length=64)
    external_userid: str = Field(min_length=1, max_length=64)
    msgid: str = Field(min_length=1, max_length=128)
    send_time: Annotated[
        int,
        Field(ge=EARLIEST_UNIX, le=LATEST_UNIX, description="Unix seconds, as WeCom sends it"),
        AfterValidator(_sent_at_most_now),
    ]
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


async def _wecom_signed(
    request: Request,
    msg_signature: Annotated[
        str | None, Query(max_length=64, description="WeCom: SHA1 hex of the signed parts")
    ] = None,
    timestamp: Annotated[str | None, Query(max_length=20, description="Unix seconds")] = None,
    nonce: Annotated[str | None, Query(max_length=64)] = None,
) -> None:
    """Checked only when the instance has a WeCom token; 401 naming the fault otherwise."""
    settings = get_settings()
    if not settings.wecom_token:
        return
    body = (await request.body()).decode("utf-8", errors="replace")
    verify(
        token=settings.wecom_token,
        msg_signature=msg_signature,
        timestamp=timestamp,
        nonce=nonce,
        message=body,
        max_skew=settings.wecom_max_skew_seconds,
    )


def _intake(
    db: DbSession,
    *,
    account: str,
    user: str,
    msgid: str,
    sent: int,
    text: str,
) -> IntakeResult:
    """One customer message from WeCom into the desk (``account``: the 客服 account or the
    app; ``user``: WeCom's id of the customer)."""
    customer_id = identify(db, f"wecom:{user}") or identify(db, user)
    conv, ticket = service.receive(
        db,
        service.Inbound(
            channel="wecom",
            external_id=f"{account}:{user}",
            body=text,
            at=datetime.fromtimestamp(sent, UTC),
            customer_id=customer_id,
            channel_msg_id=f"wecom:{msgid}",
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


@router.post("/wecom/messages", response_model=IntakeResult)
def wecom_message(
    body: WeComMessageIn,
    db: DbSession,
    principal: ApiPrincipal,
    _signed: Annotated[None, Depends(_wecom_signed)],
) -> IntakeResult:
    principal.require("events")
    if body.msgtype == "text":
        if body.text is None:
            raise BadTicketInput("文本消息缺少 text.content", field="text")
        text = body.text.content
    else:
        text = f"[{body.msgtype}]"  # media is fetched by the agent; the bot reads text only
    return _intake(
        db,
        account=body.open_kfid,
        user=body.external_userid,
        msgid=body.msgid,
        sent=body.send_time,
        text=text,
    )


class CallbackNotConfigured(NotFound):
    """The instance has no WeCom callback settings."""

    title = "WeCom callback not configured"


def _callback_settings() -> tuple[str, WeComCrypt]:
    settings = get_settings()
    if not (settings.wecom_token and settings.wecom_aes_key and settings.wecom_corp_id):
        raise CallbackNotConfigured(
            "this instance has no WeCom callback: set OMNIRETAIL_WECOM_TOKEN, "
            "OMNIRETAIL_WECOM_AES_KEY and OMNIRETAIL_WECOM_CORP_ID"
        )
    return settings.wecom_token, WeComCrypt(settings.wecom_aes_key, settings.wecom_corp_id)


Signature = Annotated[
    str | None, Query(max_length=64, description="WeCom: SHA1 hex of the signed parts")
]
Timestamp = Annotated[str | None, Query(max_length=20, description="Unix seconds")]
Nonce = Annotated[str | None, Query(max_length=64)]


# the envelope's own faults (not base64, bad padding, not XML, a DTD): 400 naming the field
ENVELOPE_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "The WeCom envelope cannot be read; errors[].field names the part"}
}


@router.get("/wecom/callback", response_class=PlainTextResponse, responses=ENVELOPE_RESPONSES)
def wecom_verify_url(
    msg_signature: Signature = None,
    timestamp: Timestamp = None,
    nonce: Nonce = None,
    echostr: Annotated[
        str | None, Query(max_length=1024, description="WeCom: the encrypted challenge")
    ] = None,
) -> PlainTextResponse:
    """WeCom's URL check when the callback is saved in its admin console: the signature covers
    the encrypted ``echostr``; the answer is its plaintext."""
    token, crypt = _callback_settings()
    if not echostr:
        raise BadTicketInput("echostr is missing", field="echostr")
    verify(
        token=token,
        msg_signature=msg_signature,
        timestamp=timestamp,
        nonce=nonce,
        message=echostr,
        max_skew=get_settings().wecom_max_skew_seconds,
    )
    return PlainTextResponse(crypt.decrypt(echostr, field="echostr"))


@router.post("/wecom/callback", response_class=Response, responses=ENVELOPE_RESPONSES)
async def wecom_callback(
    request: Request,
    db: DbSession,
    msg_signature: Signature = None,
    timestamp: Timestamp = None,
    nonce: Nonce = None,
) -> Response:
    """WeCom's callback: the signed, AES-sealed XML envelope. A customer's message goes to the
    desk like the intake's; the bot's answer comes back as an encrypted passive reply. Events
    (``kf_msg_or_event`` and others) are acknowledged with an empty 200 — the messages they
    announce are pulled from ``kf/sync_msg`` by the relay that posts to ``/wecom/messages``."""
    token, crypt = _callback_settings()
    envelope = wecom_callback_xml.parse_xml(await request.body(), what="body")
    encrypted = envelope.get("Encrypt")
    if not encrypted:
        raise BadEnvelope("the body has no Encrypt element", field="Encrypt")
    verify(
        token=token,
        msg_signature=msg_signature,
        timestamp=timestamp,
        nonce=nonce,
        message=encrypted,
        max_skew=get_settings().wecom_max_skew_seconds,
    )
    plain = crypt.decrypt(encrypted, field="Encrypt")
    inbound = wecom_callback_xml.Inbound.from_fields(
        wecom_callback_xml.parse_xml(plain.encode("utf-8"), what="Encrypt")
    )
    if inbound.msg_type == "event":
        return Response(status_code=200)
    if not inbound.from_user or not inbound.msg_id:
        missing = "FromUserName" if not inbound.from_user else "MsgId"
        raise BadEnvelope(f"the decrypted message has no {missing}", field=missing)
    if not EARLIEST_UNIX <= inbound.create_time <= LATEST_UNIX:
        raise BadTicketInput("CreateTime is not a time since 2000", field="CreateTime")
    try:
        _sent_at_most_now(inbound.create_time)
    except ValueError as e:
        raise BadTicketInput(f"CreateTime {e}", field="CreateTime") from None
    if inbound.msg_type == "text":
        text = inbound.content[:MAX_BODY]
    else:
        text = f"[{inbound.msg_type[:20]}]"  # media is fetched by the agent
    result = _intake(
        db,
        account=inbound.agent_id or inbound.to_user,
        user=inbound.from_user,
        msgid=inbound.msg_id,
        sent=inbound.create_time,
        text=text,
    )
    if result.bot_reply is None:  # queued for a person: nothing to say now
        return Response(status_code=200)
    reply = wecom_callback_xml.text_reply(
        to_user=inbound.from_user, from_user=inbound.to_user, content=result.bot_reply
    )
    sealed = wecom_callback_xml.sealed_reply(
        crypt, token=token, plaintext=reply, nonce=nonce or "", timestamp=str(int(time.time()))
    )
    return Response(sealed, media_type="application/xml")


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


Name = Annotated[str | None, Query(min_length=1, max_length=64)]


@router.get("/tickets.csv", response_class=Response)
def export_tickets(
    request: Request,
    db: DbSession,
    principal: ApiPrincipal,
    status: Literal["active", "open", "pending", "solved", "closed"] | None = None,
    priority: Literal["urgent", "high", "normal", "low"] | None = None,
    team: Name = None,
    owner: Name = None,
    store_code: Name = None,
) -> Response:
    """One row per ticket as CSV (UTF-8 with BOM; headers, status, priority, tier and yes/no in
    the reader's language, Chinese first): the desk list with these filters, only the tickets
    of the caller's stores for a store-scoped key, the subject blank without personal-data
    access."""
    principal.require("read")
    filters = report.TicketFilter(
        status=status, priority=priority, team=team, owner=owner, store_code=store_code
    )
    rows = report.filtered_rows(
        db, now=utcnow(), filters=filters, store_codes=store_scope(principal).codes()
    )
    data, labels = report.csv_export(
        rows, locale=request_locale(request), show_text=principal.sees_personal_data
    )
    return export.csv_response(  # type: ignore[no-any-return]
        data, columns=report.COLUMNS, labels=labels, filename="tickets.csv"
    )
