"""Keyed digests of erased identifiers (see ``models``) and the key that makes them one-way for
anyone without the instance's files."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.platform.config import Settings, get_settings
from omniretail.platform.privacy.models import PrivacySuppression
from omniretail.platform.privacy.subject import Subject


def key_path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).home / ".privacy_key"


def suppression_key(settings: Settings | None = None, *, create: bool = False) -> str | None:
    path = key_path(settings)
    if path.exists():
        return path.read_text().strip()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value)
    return value


def digest(key: str, value: str) -> str:
    return hashlib.sha256((key + "|" + value).encode()).hexdigest()


def values_of(subject: Subject) -> set[str]:
    """The identifier values, as the standardized records hold them."""
    out = {"+86" + p for p in subject.phones} | set(subject.record_keys)
    for i in subject.identifiers:
        out.update({i, i.lower()})
    return out


def suppress(session: Session, subject: Subject, *, request_id: str) -> int:
    key = suppression_key(create=True)
    assert key is not None
    have = set(session.scalars(select(PrivacySuppression.digest)))
    added = 0
    for v in sorted(values_of(subject)):
        d = digest(key, v)
        if d not in have:
            session.add(PrivacySuppression(digest=d, request_id=request_id))
            have.add(d)
            added += 1
    session.flush()
    return added


def digests(session: Session) -> list[str]:
    return list(session.scalars(select(PrivacySuppression.digest)))
