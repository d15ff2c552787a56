"""Customer 360 "last active" (最近活跃): the customer's latest order, event or review in any
channel, never the time a member list was imported; shown in the chain's local time."""

from __future__ import annotations

from datetime import datetime

import pytest

from omniretail.platform import db
from omniretail.platform.auth import service
from tests.cdp.identity.factories import record
from tests.cdp.profile import world
from tests.cdp.profile.test_pages import _console

# A member list without a time column: standardize stamps its records with the import time.
IMPORTED = datetime(2026, 11, 22, 7, 30)


@pytest.fixture
def built(store_engine) -> None:
    """The profile world on SQLite and on PostgreSQL (timestamptz columns)."""
    with db.session_scope() as s:
        service.create_user(s, username="admin", password="admin-pass-1", role="admin")
    records = [
        {**r, "observed_at": IMPORTED} if r["record_key"] == "pos:M1" else r for r in world.RECORDS
    ]
    records.append(
        record(
            "pos",
            "M3",
            member_id="M3",
            phone="+8613933330003",
            name="王五",
            home_store_code="S001",
            registered_at=datetime(2024, 5, 1, 10, 0),
            observed_at=IMPORTED,
        )
    )
    world.build(records=records)


def test_last_active_is_the_latest_activity_not_the_import(built) -> None:
    api = world.login("admin", "admin-pass-1")
    # 张三: orders until 2025-06-18 (pos, tmall), mini-program events until 2025-07-01 09:04
    zhang = api.get("/api/v1/customers/M1").json()["customer"]
    assert zhang["last_seen_at"] == "2025-07-01T09:04:00+08:00"
    # 王五 registered and never bought: his last own act is the registration
    wang = api.get("/api/v1/customers/M3").json()["customer"]
    assert wang["last_seen_at"] == "2024-05-01T10:00:00+08:00"


def test_customer_page_shows_last_active_in_local_time(built) -> None:
    c = _console("admin", "admin-pass-1")
    html = c.get("/customers/M1").text
    assert "最近活跃" in html
    assert 'data-field="last_seen_at">2025-07-01 09:04' in html
    assert "Asia/Shanghai" in html
    golden = html.split('data-testid="golden"')[1].split("</section>")[0]
    assert "2026-11-22" not in golden
