"""Channel adapters: one small class per way a message leaves the building, registered by name.

Every adapter gets the message's idempotency key and passes it on where the provider can use it
(email Message-ID, ``Idempotency-Key`` header, SMS client message id), so a retried send is
recognised downstream too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar

import httpx

from omniretail.platform import export
from omniretail.platform.messaging.config import MessagingSettings


class SendError(Exception):
    """The provider refused or could not be reached; ``retry`` says whether trying again helps."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class OutgoingMessage:
    id: int
    key: str
    customer_id: str
    recipient: str
    title: str
    body: str
    link: str | None
    extra: dict[str, Any]


class ChannelAdapter(ABC):
    name: ClassVar[str]

    def __init__(self, settings: MessagingSettings) -> None:
        self.settings = settings
        self._http: httpx.Client | None = None

    @property
    def http(self) -> httpx.Client:
        """One pooled HTTP client per adapter (a new client per message costs a TLS context)."""
        if self._http is None:
            self._http = httpx.Client(timeout=self.settings.timeout_seconds)
        return self._http

    def missing_settings(self) -> list[str]:
        """The settings (environment variables) this channel needs and lacks: a channel with
        any is not configured and every send on it fails."""
        return []

    @abstractmethod
    def send(self, msg: OutgoingMessage) -> str:
        """Send one message; return the provider's id for it. Raise SendError on failure."""


_REGISTRY: dict[str, type[ChannelAdapter]] = {}


def register(cls: type[ChannelAdapter]) -> type[ChannelAdapter]:
    _REGISTRY[cls.name] = cls
    return cls


def unconfigured_channels(names: list[str], settings: MessagingSettings) -> dict[str, list[str]]:
    """Of ``names``, the channels that are not configured, with the settings each lacks
    (an unknown channel lacks its adapter)."""
    out: dict[str, list[str]] = {}
    for name in names:
        cls = _REGISTRY.get(name)
        missing = ["adapter"] if cls is None else cls(settings).missing_settings()
        if missing:
            out[name] = missing
    return out


def adapter_names() -> list[str]:
    return sorted(_REGISTRY)


def get_adapter(name: str, settings: MessagingSettings) -> ChannelAdapter:
    try:
        return _REGISTRY[name](settings)
    except KeyError:
        raise KeyError(
            f"no channel adapter named {name!r}; have {', '.join(adapter_names())}"
        ) from None


def _post_json(
    client: httpx.Client, url: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    data = json.dumps(body, ensure_ascii=False).encode()
    try:
        r = client.post(
            url, content=data, headers={"content-type": "application/json", **(headers or {})}
        )
    except httpx.HTTPError as exc:
        raise SendError(f"{url}: {exc}") from exc
    if r.status_code >= 500 or r.status_code == 429:
        raise SendError(f"{url}: HTTP {r.status_code}")
    if r.status_code >= 400:
        raise SendError(f"{url}: HTTP {r.status_code} {r.text[:200]}", retry=False)
    try:
        out: dict[str, Any] = r.json() if r.content else {}
    except ValueError:
        out = {"text": r.text}
    return out


@register
class EmailAdapter(ChannelAdapter):
    name = "email"

    def send(self, msg: OutgoingMessage) -> str:
        s = self.settings
        em = EmailMessage()
        em["From"] = s.smtp_from
        em["To"] = msg.recipient
        em["Subject"] = msg.title
        message_id = f"<{msg.key.replace(':', '.')}@omniretail>"
        em["Message-ID"] = message_id
        em.set_content(msg.body + (f"\n\n{msg.link}" if msg.link else ""))
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout_seconds) as smtp:
                if s.smtp_user and s.smtp_password:
                    smtp.login(s.smtp_user, s.smtp_password)
                smtp.send_message(em)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendError(f"recipient refused: {exc}", retry=False) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"SMTP {s.smtp_host}:{s.smtp_port}: {exc}") from exc
        return message_id


@register
class WebhookAdapter(ChannelAdapter):
    """Generic HTTP webhook: JSON body, ``Idempotency-Key`` and an HMAC-SHA256 signature."""

    name = "webhook"

    def missing_settings(self) -> list[str]:
        return [] if self.settings.webhook_url else ["OMNIRETAIL_MESSAGING_WEBHOOK_URL"]

    def send(self, msg: OutgoingMessage) -> str:
        if not self.settings.webhook_url:
            raise SendError("OMNIRETAIL_MESSAGING_WEBHOOK_URL is not set", retry=False)
        body = {
            "id": msg.id,
            "key": msg.key,
            "customer_id": msg.customer_id,
            "title": msg.title,
            "body": msg.body,
            "link": msg.link,
            **msg.extra,
        }
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers = {"Idempotency-Key": msg.key}
        if self.settings.webhook_secret:
            sig = hmac.new(self.settings.webhook_secret.encode(), raw, hashlib.sha256).hexdigest()
            headers["X-Omniretail-Signature"] = f"sha256={sig}"
        out = _post_json(self.http, self.settings.webhook_url, body, headers)
        return str(out.get("id", msg.key))


@register
class AppPushAdapter(ChannelAdapter):
    name = "app_push"

    def missing_settings(self) -> list[str]:
        return [] if self.settings.app_push_url else ["OMNIRETAIL_MESSAGING_APP_PUSH_URL"]

    def send(self, msg: OutgoingMessage) -> str:
        if not self.settings.app_push_url:
            raise SendError("OMNIRETAIL_MESSAGING_APP_PUSH_URL is not set", retry=False)
        out = _post_json(
            self.http,
            self.settings.app_push_url,
            {
                "customer_id": msg.customer_id,
                "title": msg.title,
                "body": msg.body,
                "link": msg.link,
                "client_msg_id": msg.key,
            },
            {"Idempotency-Key": msg.key},
        )
        return str(out.get("id", msg.key))


@register
class SmsAdapter(ChannelAdapter):
    """An SMS provider's HTTP API (JSON: phone, sign, content, client_msg_id; bearer key)."""

    name = "sms"

    def missing_settings(self) -> list[str]:
        return [] if self.settings.sms_url else ["OMNIRETAIL_MESSAGING_SMS_URL"]

    def send(self, msg: OutgoingMessage) -> str:
        s = self.settings
        if not s.sms_url:
            raise SendError("OMNIRETAIL_MESSAGING_SMS_URL is not set", retry=False)
        content = f"{s.sms_sign}{msg.body}" + (f" {msg.link}" if msg.link else "") + " 回T退订"
        out = _post_json(
            self.http,
            s.sms_url,
            {
                "phone": msg.recipient,
                "sign": s.sms_sign,
                "content": content,
                "client_msg_id": msg.key,
            },
            {"Authorization": f"Bearer {s.sms_api_key or ''}"},
        )
        if str(out.get("code", "0")) not in ("0", "OK", "ok"):
            raise SendError(f"SMS provider refused: {out}", retry=False)
        return str(out.get("id") or out.get("msgid") or msg.key)


class _TokenCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: dict[str, tuple[str, float]] = {}

    def get(self, key: str, fetch: Any) -> str:
        with self.lock:
            hit = self.tokens.get(key)
            if hit and hit[1] > time.time() + 60:
                return hit[0]
            token, expires_in = fetch()
            self.tokens[key] = (token, time.time() + expires_in)
            return str(token)


_tokens = _TokenCache()


def _wx_check(out: dict[str, Any], what: str) -> None:
    code = int(out.get("errcode", 0) or 0)
    if code:
        # 40001/42001 bad or expired token, -1 busy: worth a retry; others (e.g. 43101 the user
        # refused subscription messages) are final.
        raise SendError(
            f"{what}: errcode {code} {out.get('errmsg', '')}",
            retry=code in (-1, 40001, 42001, 45009),
        )


@register
class WeChatSubscribeAdapter(ChannelAdapter):
    """WeChat mini-program subscription message (小程序订阅消息): POST
    ``/cgi-bin/message/subscribe/send?access_token=…`` with touser (openid), template_id, page,
    data (``thingN``: ≤20 characters), as documented by the WeChat Open Platform."""

    name = "wechat"

    def _token(self) -> str:
        s = self.settings
        if not (s.wechat_appid and s.wechat_secret):
            raise SendError("WeChat appid/secret are not configured", retry=False)

        def fetch() -> tuple[str, float]:
            try:
                r = self.http.get(
                    f"{s.wechat_api_base}/cgi-bin/token",
                    params={
                        "grant_type": "client_credential",
                        "appid": s.wechat_appid,
                        "secret": s.wechat_secret,
                    },
                )
                out = r.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise SendError(f"WeChat token: {exc}") from exc
            _wx_check(out, "WeChat token")
            return str(out["access_token"]), float(out.get("expires_in", 7200))

        return _tokens.get(f"wx:{s.wechat_api_base}:{s.wechat_appid}", fetch)

    def missing_settings(self) -> list[str]:
        s = self.settings
        return [
            name
            for name, value in (
                ("OMNIRETAIL_MESSAGING_WECHAT_APPID", s.wechat_appid),
                ("OMNIRETAIL_MESSAGING_WECHAT_SECRET", s.wechat_secret),
            )
            if not value
        ]

    def send(self, msg: OutgoingMessage) -> str:
        s = self.settings
        body = {
            "touser": msg.recipient,
            "template_id": msg.extra.get("template_id") or s.wechat_template_id,
            "page": msg.link or "pages/index/index",
            "miniprogram_state": "formal",
            "lang": "zh_CN",
            "data": {"thing1": {"value": msg.title[:20]}, "thing2": {"value": msg.body[:20]}},
        }
        out = _post_json(
            self.http,
            f"{s.wechat_api_base}/cgi-bin/message/subscribe/send?access_token={self._token()}",
            body,
        )
        _wx_check(out, "WeChat subscribe/send")
        return str(out.get("msgid", msg.key))


@register
class WeComAdapter(ChannelAdapter):
    """WeCom customer contact (企业微信客户联系) 1:1 mass-send task for the member's clerk:
    POST ``/cgi-bin/externalcontact/add_msg_template?access_token=…`` with chat_type single,
    external_userid, sender (the clerk's userid) and text content."""

    name = "wecom"

    def _token(self) -> str:
        s = self.settings
        if not (s.wecom_corpid and s.wecom_secret):
            raise SendError("WeCom corpid/secret are not configured", retry=False)

        def fetch() -> tuple[str, float]:
            try:
                r = self.http.get(
                    f"{s.wecom_api_base}/cgi-bin/gettoken",
                    params={"corpid": s.wecom_corpid, "corpsecret": s.wecom_secret},
                )
                out = r.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise SendError(f"WeCom token: {exc}") from exc
            _wx_check(out, "WeCom gettoken")
            return str(out["access_token"]), float(out.get("expires_in", 7200))

        return _tokens.get(f"wecom:{s.wecom_api_base}:{s.wecom_corpid}", fetch)

    def missing_settings(self) -> list[str]:
        s = self.settings
        return [
            name
            for name, value in (
                ("OMNIRETAIL_MESSAGING_WECOM_CORPID", s.wecom_corpid),
                ("OMNIRETAIL_MESSAGING_WECOM_SECRET", s.wecom_secret),
            )
            if not value
        ]

    def send(self, msg: OutgoingMessage) -> str:
        s = self.settings
        text = msg.body + (f"\n{msg.link}" if msg.link else "")
        body = {
            "chat_type": "single",
            "external_userid": [msg.recipient],
            "sender": msg.extra.get("clerk_userid") or s.wecom_sender,
            "text": {"content": text},
        }
        out = _post_json(
            self.http,
            f"{s.wecom_api_base}/cgi-bin/externalcontact/add_msg_template?access_token={self._token()}",
            body,
        )
        _wx_check(out, "WeCom add_msg_template")
        if out.get("fail_list"):
            raise SendError(f"WeCom could not reach {out['fail_list']}", retry=False)
        return str(out.get("msgid", msg.key))


@register
class FileExportAdapter(ChannelAdapter):
    """Appends to a CSV for manual upload (e.g. to a platform's console); one file per day."""

    name = "file"

    def send(self, msg: OutgoingMessage) -> str:
        from omniretail.platform.config import get_settings

        folder = (
            Path(self.settings.file_dir)
            if self.settings.file_dir
            else get_settings().exports_dir / "messages"
        )
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"messages-{time.strftime('%Y%m%d')}.csv"
        export.append_csv_row(  # message text is neutralised like every export
            path,
            ["message_key", "customer_id", "recipient", "title", "body", "link"],
            [msg.key, msg.customer_id, msg.recipient, msg.title, msg.body, msg.link or ""],
        )
        return f"{path.name}:{msg.key}"
