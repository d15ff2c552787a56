"""messaging_0001 on an outbox written before it: campaign and journey messages get their
origin from their keys, the keys are case folded, the link to the campaign stays."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from omniretail.platform import config, migrate


def test_existing_messages_get_origin_and_normalised_keys(
    db_url: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIRETAIL_DATABASE_URL", db_url)
    config.reset_settings()
    migrate.upgrade(db_url, "campaign@campaign_0002")
    engine = create_engine(db_url)
    with engine.begin() as conn:
        for cid, code, kind in ((1, "SPRING", "once"), (2, "BDAY", "journey")):
            conn.execute(
                text(
                    "INSERT INTO campaign (id, code, name, goal, kind, status, audience, content,"
                    " channels, variants, holdout_share, priority, window_days, created_at,"
                    " updated_at) VALUES (:id, :code, :code, 'activation', :kind, 'running',"
                    " '{}', '{}', '[]', '[]', 0.1, 50, 14, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"id": cid, "code": code, "kind": kind},
            )
        for key, camp, cust in (
            ("SPRING:1:C000000001", 1, "C000000001"),
            ("BDAY:739000:C000000002", 2, "C000000002"),
        ):
            conn.execute(
                text(
                    "INSERT INTO message (key, campaign_id, customer_id, channel, recipient,"
                    " payload, priority, status, attempts, due_at, created_at) VALUES (:k, :c,"
                    " :cust, 'sms', '+86138', '{}', 50, 'sent', 1, CURRENT_TIMESTAMP,"
                    " CURRENT_TIMESTAMP)"
                ),
                {"k": key, "c": camp, "cust": cust},
            )
    migrate.upgrade(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT key, origin_kind, origin_ref, purpose, campaign_id FROM message ORDER BY id"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("spring:1:c000000001", "campaign", "SPRING:1", "marketing", 1),
        ("bday:739000:c000000002", "journey", "BDAY:739000", "marketing", 2),
    ]
