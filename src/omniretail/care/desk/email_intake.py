"""E-mail into the inbox: an SMTP receiver (aiosmtpd) whose handler turns each message into an
inbound desk message; the sender is tied to a customer through the CDP's identity lookup."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.utils import parseaddr
from typing import Any

from sqlalchemy.orm import Session

from omniretail.care.desk import service


def identify(session: Session, address: str) -> str | None:
    """The customer whose identifiers include this e-mail address, if any."""
    from omniretail.cdp.profile import service as profile_service

    try:
        found = profile_service.find_customer(session, address)  # type: ignore[attr-defined]
        return str(found.customer_id)
    except Exception:  # noqa: BLE001 - not resolved (or the CDP not set up): an unidentified sender
        return None


def to_inbound(raw: bytes, *, session: Session, now: datetime | None = None) -> service.Inbound:
    msg = message_from_bytes(raw, policy=policy.default)
    sender = parseaddr(str(msg.get("From", "")))[1].lower()
    body_part = msg.get_body(preferencelist=("plain", "html")) if msg.is_multipart() else msg
    body = body_part.get_content() if body_part is not None else ""  # type: ignore[union-attr]
    return service.Inbound(
        channel="email",
        external_id=sender,
        body=str(body).strip()[:5000],
        subject=str(msg.get("Subject", "") or "")[:200] or None,
        at=now or datetime.now(UTC),
        customer_id=identify(session, sender) if sender else None,
        channel_msg_id=str(msg.get("Message-ID") or "") or None,
    )


class DeskHandler:
    """aiosmtpd handler: every accepted message becomes an inbound desk message (committed)."""

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self.session_factory = session_factory

    async def handle_DATA(self, server: Any, smtp_session: Any, envelope: Any) -> str:  # noqa: N802
        with self.session_factory() as session:
            service.receive(session, to_inbound(envelope.content, session=session))
            session.commit()
        return "250 Message accepted for delivery"
