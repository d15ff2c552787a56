"""WeCom's callback XML: the envelope WeCom posts
(``<xml><ToUserName/><AgentID/><Encrypt/></xml>``), the message inside it once decrypted, and
the encrypted passive reply (``<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>``).

XML is read with the standard library's ElementTree after refusing any document type
declaration: no DTD means no entity expansion and no external entities (and the bundled expat
also caps amplification). Bodies are small (WeCom's are well under 2 KB); larger ones are
refused before parsing."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET  # noqa: S405 - DTDs are refused before parsing (below)
from dataclasses import dataclass

from omniretail.care.desk.wecom_crypto import BadEnvelope, WeComCrypt
from omniretail.care.desk.wecom_signature import sign

MAX_XML = 64 * 1024
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def parse_xml(data: bytes, *, what: str) -> dict[str, str]:
    """The child elements of a flat ``<xml>`` document as text (BadEnvelope naming ``what``)."""
    if len(data) > MAX_XML:
        raise BadEnvelope(f"{what} is {len(data)} bytes, at most {MAX_XML} accepted", field=what)
    if _DOCTYPE.search(data):
        raise BadEnvelope(f"{what} declares a DTD or entities, which are refused", field=what)
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD (checked above), bounded size
    except ET.ParseError as e:
        raise BadEnvelope(f"{what} is not well-formed XML: {e}", field=what) from None
    if root.tag != "xml":
        raise BadEnvelope(f"{what}'s root element is <{root.tag}>, expected <xml>", field=what)
    return {child.tag: (child.text or "").strip() for child in root}


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@dataclass(frozen=True)
class Inbound:
    """One decrypted callback: a message (``msg_type`` text, image, …) or an event."""

    msg_type: str
    from_user: str
    to_user: str
    agent_id: str
    create_time: int
    msg_id: str
    content: str
    event: str
    open_kfid: str

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> Inbound:
        msg_type = fields.get("MsgType", "")
        if not msg_type:
            raise BadEnvelope("the decrypted message has no MsgType", field="MsgType")
        created = fields.get("CreateTime", "")
        if not created.isdigit() or len(created) > 12:
            raise BadEnvelope(
                f"the decrypted message's CreateTime {created[:20]!r} is not Unix seconds",
                field="CreateTime",
            )
        return cls(
            msg_type=msg_type,
            from_user=fields.get("FromUserName", ""),
            to_user=fields.get("ToUserName", ""),
            agent_id=fields.get("AgentID", ""),
            create_time=int(created),
            msg_id=fields.get("MsgId", ""),
            content=fields.get("Content", ""),
            event=fields.get("Event", ""),
            open_kfid=fields.get("OpenKfId", ""),
        )


def text_reply(*, to_user: str, from_user: str, content: str, now: int | None = None) -> str:
    """The plaintext of a passive text reply (to be sealed with :func:`sealed_reply`)."""
    created = int(time.time()) if now is None else now
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType>{_cdata('text')}</MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    )


def sealed_reply(
    crypt: WeComCrypt, *, token: str, plaintext: str, nonce: str, timestamp: str
) -> str:
    """The encrypted reply envelope, signed like WeCom's own callbacks."""
    encrypted = crypt.encrypt(plaintext)
    signature = sign(token, timestamp, nonce, encrypted)
    return (
        f"<xml><Encrypt>{_cdata(encrypted)}</Encrypt>"
        f"<MsgSignature>{_cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp><Nonce>{_cdata(nonce)}</Nonce></xml>"
    )
