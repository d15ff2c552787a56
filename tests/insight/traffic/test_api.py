"""The traffic API over a published snapshot: KPIs, the hourly grid and the sales change,
limited to the caller's stores (a store-scoped API key sees its store only, 403 for another)."""

from __future__ import annotations

from typing import Any

import duckdb

from omniretail.omnichannel.store import service as store_service
from omniretail.omnichannel.store.schemas import StoreCreate
from omniretail.platform.auth import service as auth
from omniretail.platform.db import session_scope
from omniretail.platform.engine import published_path

# store, day, visitors, orders, sales (fen)
DAYS = [
    ("S101", "2026-10-31", 1000, 200, 2_000_000),
    ("S101", "2026-11-01", 1100, 198, 2_178_000),
    ("S102", "2026-10-31", 300, 30, 301_001),
    ("S102", "2026-11-01", 280, 35, 333_333),
]


def _publish() -> None:
    path = published_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    values = ", ".join(f"('{s}', DATE '{d}', {v}, {o}, {f})" for s, d, v, o, f in DAYS)
    con.execute(
        "CREATE TABLE trf_kpi_daily AS SELECT store_code, '华中' AS region, day AS period_start,"
        " TRUE AS counted, visitors, NULL::BIGINT AS passers_by, orders, sales_fen,"
        " orders * 2 AS units, 0 AS member_orders, 0 AS identified, NULL::DOUBLE AS entry_rate,"
        " orders / visitors AS conversion, sales_fen / orders AS ticket_fen,"
        " 2.0 AS units_per_ticket, NULL::DOUBLE AS sales_per_m2, 0.0 AS identified_share"
        f" FROM (VALUES {values}) t(store_code, day, visitors, orders, sales_fen)"
    )
    con.execute(
        "CREATE TABLE trf_hourly AS SELECT store_code, period_start AS day, 10 AS hour, counted,"
        " visitors, passers_by, orders, sales_fen FROM trf_kpi_daily"
    )
    con.close()


def test_traffic_api_scoped(client: Any) -> None:
    _publish()
    r = client.get("/api/v1/traffic/kpis", params={"start": "2026-11-01", "end": "2026-11-01"})
    assert r.status_code == 200, r.text
    assert [x["store_code"] for x in r.json()] == ["S101", "S102"]

    r = client.get(
        "/api/v1/traffic/sales-change",
        params={"start": "2026-11-01", "end": "2026-11-01", "by": "store"},
    )
    assert r.status_code == 200, r.text
    s101 = r.json()[0]
    assert s101["effects_fen"] == {"traffic": 199_334, "conversion": -220_667, "ticket": 199_333}
    assert sum(s101["effects_fen"].values()) == s101["change_fen"] == 178_000

    with session_scope() as s:
        for code in ("S101", "S102"):
            store_service.create_store(s, data=StoreCreate(code=code, name=f"店 {code}"))
        ids = store_service.store_ids_by_code(s, codes=["S101"])
        _, key = auth.create_api_key(s, name="s101", scopes=["read"], store_ids=[ids["S101"]])
    h = {"authorization": f"Bearer {key}", "accept": "application/json"}
    client.cookies.clear()
    r = client.get(
        "/api/v1/traffic/kpis", params={"start": "2026-10-01", "end": "2026-11-30"}, headers=h
    )
    assert r.status_code == 200, r.text
    assert {x["store_code"] for x in r.json()} == {"S101"}
    r = client.get(
        "/api/v1/traffic/sales-change",
        params={"start": "2026-11-01", "end": "2026-11-01", "by": "chain"},
        headers=h,
    )
    assert r.json()[0]["change_fen"] == 178_000  # S101 only
    r = client.get(
        "/api/v1/traffic/hourly",
        params={"store": "S102", "start": "2026-11-01", "end": "2026-11-01"},
        headers=h,
    )
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    r = client.get(
        "/api/v1/traffic/hourly",
        params={"store": "S101", "start": "2026-11-01", "end": "2026-11-01"},
        headers=h,
    )
    assert [(x["hour"], x["visitors"]) for x in r.json()] == [(10, 1100)]
