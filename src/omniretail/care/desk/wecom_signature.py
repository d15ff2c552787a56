"""WeCom 微信客服 callback signature: ``msg_signature`` is the SHA1 hex digest of the sorted,
concatenated token, timestamp, nonce and message (WeCom's documented scheme for callback
URLs). On our intake the message is the request body exactly as sent (the relay that pulls
``kf/sync_msg`` signs it with the callback token; in WeCom's own XML envelope the AES-encrypted
``Encrypt`` field or the URL check's ``echostr`` takes its place: ``wecom_crypto``).

A timestamp further than ``wecom_max_skew_seconds`` (default 300) from the server's clock is
refused, so a captured request cannot be replayed later; within the window a replayed message
changes nothing because its ``msgid`` is already recorded."""

from __future__ import annotations

import hashlib
import hmac
import time

from omniretail.platform.auth.errors import AuthError


class BadSignature(AuthError):
    """The request is not signed with this instance's WeCom token."""

    title = "Bad WeCom signature"


class StaleTimestamp(AuthError):
    """The signed timestamp is outside the accepted window (a replay or a wrong clock)."""

    title = "WeCom timestamp outside the accepted window"


def sign(token: str, timestamp: str, nonce: str, message: str) -> str:
    parts = sorted([token, timestamp, nonce, message])
    return hashlib.sha1("".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


def verify(
    *,
    token: str,
    msg_signature: str | None,
    timestamp: str | None,
    nonce: str | None,
    message: str,
    max_skew: int,
    now: float | None = None,
) -> None:
    """Raise ``BadSignature`` or ``StaleTimestamp`` (401 problem details naming the fault)."""
    if not msg_signature or not timestamp or not nonce:
        given = (("msg_signature", msg_signature), ("timestamp", timestamp), ("nonce", nonce))
        missing = [name for name, value in given if not value]
        raise BadSignature(
            f"WeCom signature parameters missing: {', '.join(missing)}", field=missing[0]
        )
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise BadSignature(f"timestamp {timestamp[:20]!r} is not Unix seconds", field="timestamp")
    skew = int(timestamp) - (time.time() if now is None else now)
    if abs(skew) > max_skew:
        raise StaleTimestamp(
            f"timestamp is {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} the server's "
            f"clock (at most {max_skew} s accepted): replayed or the sender's clock is wrong",
            field="timestamp",
            max_skew_seconds=max_skew,
        )
    expected = sign(token, timestamp, nonce, message)
    if not hmac.compare_digest(expected, msg_signature.strip().lower()):
        raise BadSignature(
            "msg_signature does not match SHA1(sorted token, timestamp, nonce, body)",
            field="msg_signature",
        )
