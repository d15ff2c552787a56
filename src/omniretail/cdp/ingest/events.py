"""The events inbox behind the Segment/RudderStack-compatible tracking API.

An event is acknowledged (HTTP 200) only after it is committed to ``event_inbox`` in the
operational store, in the same transaction as the per-source counters and the quarantine
rows of the request's invalid events. ``(source, messageId)`` is unique, so a client's retry
of a batch that was already stored is counted as duplicates and stored once.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.orm import Session

from omniretail.cdp.ingest.errors import BodyTooLarge, EventRejected
from omniretail.cdp.ingest.models import EventInbox, EventSourceStats, QuarantineRecord
from omniretail.platform.auth import service as auth_service
from omniretail.platform.auth.errors import AuthError, PermissionDenied
from omniretail.platform.db import utcnow

EVENT_TYPES = ("identify", "track", "page", "screen", "alias", "group")
MAX_BODY = 8 * 1024 * 1024  # bytes after decompression
MAX_BATCH = 10_000
KEY_CACHE_SECONDS = 60.0


# -- write keys ------------------------------------------------------------------------------
@dataclass
class _CachedKey:
    source: str
    expires: float


_key_cache: dict[str, _CachedKey] = {}
_key_lock = threading.Lock()


def source_for_write_key(session: Session, write_key: str) -> str:
    """The event source (the API key's name) of a write key with the ``events`` scope.

    Verified keys are cached for a minute by their SHA-256 (argon2 verification is deliberately
    slow); a revoked key stops working within that minute.
    """
    if not write_key:
        raise AuthError("send the write key as the HTTP basic-auth username")
    digest = hashlib.sha256(write_key.encode()).hexdigest()
    now = time.monotonic()
    hit = _key_cache.get(digest)
    if hit is not None and hit.expires > now:
        return hit.source
    key = auth_service.verify_api_key(session, write_key)
    scopes = list(key.scopes or [])
    if "events" not in scopes and "admin" not in scopes:
        raise PermissionDenied("this write key lacks the 'events' scope")
    with _key_lock:
        _key_cache[digest] = _CachedKey(key.name, now + KEY_CACHE_SECONDS)
    return key.name


def forget_write_keys() -> None:
    with _key_lock:
        _key_cache.clear()


# -- parsing ---------------------------------------------------------------------------------
_CHUNK = 64 * 1024


def inflate(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """The request body, decompressed incrementally (gzip or deflate) and never past ``limit``
    bytes: a small compressed body that inflates to gigabytes is refused (413) after at most
    ``limit`` bytes were produced, without ever holding more."""
    enc = (content_encoding or "").lower().strip()
    if enc == "gzip" or body[:2] == b"\x1f\x8b":
        wbits, name = 16 + zlib.MAX_WBITS, "gzip"
    elif enc == "deflate":
        wbits, name = zlib.MAX_WBITS, "deflate"
    elif enc in ("", "identity"):
        if len(body) > limit:
            raise BodyTooLarge(
                f"body larger than {limit} bytes; send smaller batches", field="body"
            )
        return body
    else:
        raise EventRejected(f"unsupported Content-Encoding {enc!r}", field="body")
    inflater = zlib.decompressobj(wbits)
    out = bytearray()
    view = memoryview(body)
    try:
        for start in range(0, len(body), _CHUNK):
            pending = bytes(view[start : start + _CHUNK])
            while pending:
                piece = inflater.decompress(pending, limit + 1 - len(out))
                out += piece
                if len(out) > limit:
                    raise BodyTooLarge(
                        f"body larger than {limit} bytes after decompression; send smaller batches",
                        field="body",
                    )
                pending = inflater.unconsumed_tail
        out += inflater.flush()
        if not inflater.eof:
            raise EventRejected(f"cannot decompress the body ({name}): truncated", field="body")
    except zlib.error as exc:
        raise EventRejected(f"cannot decompress the body ({name}): {exc}", field="body") from exc
    if len(out) > limit:
        raise BodyTooLarge(f"body larger than {limit} bytes; send smaller batches", field="body")
    return bytes(out)


def decode_body(body: bytes, content_encoding: str | None) -> Any:
    """The JSON of a request body (decompressed within ``MAX_BODY``)."""
    data = inflate(body, content_encoding, MAX_BODY)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise EventRejected(f"body is not JSON: {exc}", field="body") from exc


def events_of(data: Any, kind: str) -> list[Any]:
    """The events of a request: ``/v1/batch`` carries ``{"batch": [...]}``, others one event."""
    if not isinstance(data, dict):
        raise EventRejected("the body must be a JSON object", field="body")
    if kind == "batch":
        batch = data.get("batch")
        if not isinstance(batch, list):
            raise EventRejected("a batch body needs a 'batch' list", field="batch")
        if len(batch) > MAX_BATCH:
            raise EventRejected(f"at most {MAX_BATCH} events per batch", field="batch")
        shared = {k: data[k] for k in ("context", "integrations") if k in data}
        return [({**shared, **e} if isinstance(e, dict) else e) for e in batch]
    event = dict(data)
    event.setdefault("type", kind)
    return [event]


# Biometric data (face images, templates, feature vectors) is never stored: an event carrying
# a face key anywhere (or, on a face event, an image/template/embedding key) is refused, and its
# quarantine copy has the values removed. A face-recognition vendor sends its member match only
# (store, member, time, score).
BIOMETRIC_KEYS = frozenset(
    {
        "face_image",
        "faceimage",
        "face_photo",
        "face_template",
        "facetemplate",
        "face_feature",
        "facefeature",
        "face_features",
        "face_embedding",
        "face_vector",
        "biometric",
        "biometrics",
    }
)
FACE_EVENT_KEYS = frozenset(
    {
        "image",
        "image_base64",
        "image_url",
        "photo",
        "template",
        "embedding",
        "feature_vector",
        "features",
        "snapshot",
        "vector",
    }
)
REMOVED = "[removed: biometric data is never stored]"


def _norm_key(key: Any) -> str:
    return str(key).strip().lower().replace("-", "_")


def _refused_keys(event: Any) -> frozenset[str]:
    name = event.get("event") if isinstance(event, dict) else None
    if isinstance(name, str) and "face" in name.lower():
        return BIOMETRIC_KEYS | FACE_EVENT_KEYS
    return BIOMETRIC_KEYS


def has_biometric(value: Any, keys: frozenset[str] = BIOMETRIC_KEYS, depth: int = 0) -> bool:
    if depth > 8:
        return False
    if isinstance(value, dict):
        return any(
            _norm_key(k) in keys or has_biometric(v, keys, depth + 1) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(has_biometric(v, keys, depth + 1) for v in value)
    return False


def without_biometric(value: Any, keys: frozenset[str] = BIOMETRIC_KEYS, depth: int = 0) -> Any:
    """A copy with every biometric key's value replaced (for the quarantine record)."""
    if depth > 8:
        return REMOVED
    if isinstance(value, dict):
        return {
            k: REMOVED if _norm_key(k) in keys else without_biometric(v, keys, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [without_biometric(v, keys, depth + 1) for v in value]
    return value


def problem_of(event: Any) -> str | None:
    """Why an event cannot be accepted (a quarantine reason), or None."""
    if not isinstance(event, dict):
        return "not_an_object"
    if has_biometric(event, _refused_keys(event)):
        return "biometric_data_refused"
    etype = event.get("type")
    if etype not in EVENT_TYPES:
        return "unknown_type"
    if etype == "alias":
        if not event.get("userId") or not (event.get("previousId") or event.get("anonymousId")):
            return "alias_needs_userId_and_previousId"
    elif not event.get("userId") and not event.get("anonymousId"):
        return "missing_userId_and_anonymousId"
    if etype == "track" and not isinstance(event.get("event"), str):
        return "track_needs_event_name"
    ts = event.get("timestamp") or event.get("originalTimestamp")
    if ts is not None:
        if not isinstance(ts, str):
            return "invalid_timestamp"
        try:
            datetime.fromisoformat(ts.replace("Z", "+00:00"))
        except ValueError:
            return "invalid_timestamp"
    mid = event.get("messageId")
    if mid is not None and (not isinstance(mid, str | int) or len(str(mid)) > 128):
        return "invalid_messageId"
    return None


def _message_id(event: dict[str, Any]) -> str:
    mid = event.get("messageId")
    if mid is not None and str(mid):
        return str(mid)
    # no messageId: the content decides, so an identical resend is still a duplicate
    canon = orjson.dumps(event, option=orjson.OPT_SORT_KEYS, default=str)
    return "sha256:" + hashlib.sha256(canon).hexdigest()[:40]


@dataclass
class Accepted:
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


# -- storing -----------------------------------------------------------------------------------
def store_events(
    conn: Connection,
    *,
    source: str,
    events: list[Any],
    endpoint: str,
    count_received: bool = True,
) -> Accepted:
    """Store valid events in the inbox (idempotent on messageId) and quarantine invalid ones.

    The caller commits; the HTTP 200 is sent only after that commit.
    """
    now = utcnow()
    # the driver gets plain values (executemany without SQLAlchemy's per-row processing)
    stamp: Any = now if conn.dialect.name != "sqlite" else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    received_at = now.isoformat()
    out = Accepted(received=len(events))
    rows: dict[str, tuple[Any, ...]] = {}
    rejected: list[dict[str, Any]] = []
    request_id = now.strftime("api%Y%m%dT%H%M%S") + "_" + secrets.token_hex(4)
    for i, event in enumerate(events):
        reason = problem_of(event)
        if reason is not None:
            raw = event if isinstance(event, dict) else {"value": event}
            if reason == "biometric_data_refused":
                raw = without_biometric(raw, _refused_keys(raw))
            rejected.append(
                {
                    "source": source,
                    "batch_id": request_id,
                    "file": endpoint,
                    "row": i + 1,
                    "reason": reason,
                    "raw": raw,
                    "status": "open",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            out.reasons[reason] = out.reasons.get(reason, 0) + 1
            continue
        mid = _message_id(event)
        if mid in rows:
            continue
        event.setdefault("receivedAt", received_at)
        payload = orjson.dumps(event, default=str).decode()
        rows[mid] = (source, mid, event["type"], stamp, payload)
    if rows:
        ph = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        result = conn.exec_driver_sql(
            "INSERT INTO event_inbox (source, message_id, type, received_at, payload) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}, {ph}) "
            "ON CONFLICT (source, message_id) DO NOTHING",
            list(rows.values()),
        )
        out.accepted = max(int(result.rowcount), 0)
    out.quarantined = len(rejected)
    out.duplicates = out.received - out.accepted - out.quarantined
    if rejected:
        conn.execute(insert(QuarantineRecord), rejected)
    counters = {
        "received": out.received if count_received else 0,
        "accepted": out.accepted,
        "duplicates": out.duplicates,
        "quarantined": out.quarantined,
    }
    ph = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(
        "INSERT INTO event_source_stats "
        "(source, received, accepted, duplicates, quarantined, updated_at) "
        f"VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph}) ON CONFLICT (source) DO UPDATE SET "
        "received = event_source_stats.received + excluded.received, "
        "accepted = event_source_stats.accepted + excluded.accepted, "
        "duplicates = event_source_stats.duplicates + excluded.duplicates, "
        "quarantined = event_source_stats.quarantined + excluded.quarantined, "
        "updated_at = excluded.updated_at",
        (source, *counters.values(), stamp),
    )
    return out


def stats(session: Session) -> list[dict[str, Any]]:
    pending = dict(
        session.execute(
            select(EventInbox.source, func.count())
            .where(EventInbox.drained_batch.is_(None))
            .group_by(EventInbox.source)
        ).all()
    )
    return [
        {
            "source": s.source,
            "received": s.received,
            "accepted": s.accepted,
            "duplicates": s.duplicates,
            "quarantined": s.quarantined,
            "pending": int(pending.get(s.source) or 0),
            "updated_at": s.updated_at.isoformat() if s.updated_at else None,
        }
        for s in session.scalars(select(EventSourceStats).order_by(EventSourceStats.source))
    ]
