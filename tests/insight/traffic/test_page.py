"""The store-traffic console page over a snapshot built by the real step: the month's KPIs
computed independently from the world's rows, the decomposition adding up per store and
region, the caller's stores only, and bad input answered in Chinese."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from omniretail.insight.traffic import report
from omniretail.omnichannel.store import service as store_service
from omniretail.omnichannel.store.schemas import StoreCreate
from omniretail.platform.auth import service as auth
from omniretail.platform.db import session_scope
from omniretail.platform.engine import published_path
from tests.insight.traffic.world import (
    BAD_DAY,
    BEFORE_COUNTERS,
    tables,
    write_traffic_snapshot,
)


@pytest.fixture
def snapshot(home: Path) -> Path:
    path = published_path()
    write_traffic_snapshot(path, home).close()
    return path


def _expected_october() -> dict[str, dict[str, Any]]:
    t = tables()
    out: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for r in t["std_traffic_counts"].to_pylist():
        day = r["bucket_start"].date()
        if (
            day.year == 2026
            and day.month == 10
            and not (r["store_code"] == "S203" and day == BAD_DAY)
        ):
            out[r["store_code"]]["visitors"] += r["in_count"]
    for r in t["ins_order_facts"].to_pylist():
        if r["order_day"].year == 2026 and r["order_day"].month == 10:
            e = out[r["store_code"]]
            e["orders"] += 1
            e["sales_fen"] += int(r["paid_amount"] * 100)
            if not (r["store_code"] == "S203" and r["order_day"] == BAD_DAY):
                e["counted_orders"] += 1
    return out


def test_page_figures_from_the_step(snapshot: Path) -> None:
    from omniretail.platform.engine.snapshot import run_on_published

    data = run_on_published(lambda e: report.page(e, stores=None))
    assert data["month"] == "2026-10"  # the latest complete month
    assert data["months"][:2] == ["2026-10", "2026-09"]
    expected = _expected_october()
    by_store = {r["store_code"]: r for r in data["stores"]}
    for code, e in expected.items():
        r = by_store[code]
        assert r["visitors"] == e["visitors"], code
        assert r["sales_fen"] == e["sales_fen"], code
        assert r["conversion"] == pytest.approx(e["counted_orders"] / e["visitors"])
    assert by_store["S203"]["uncounted_days"] == 1

    assert by_store["S201"]["sales_per_m2"] == pytest.approx(expected["S201"]["sales_fen"] / 12000)
    total = data["summary"]
    assert total["visitors"] == sum(e["visitors"] for e in expected.values())
    # funnel: passing → in (doors counting passers-by) → visitors → paying
    stages = [f["stage"] for f in data["funnel"]]
    assert stages == ["passers_by", "entered", "visitors", "paying"]
    assert total["entry_rate"] == pytest.approx(0.2, abs=0.01)  # passers-by = 5 × in
    # the decomposition adds up to the change, per store, region and chain, both comparisons
    for against in ("previous", "last_year"):
        for by in ("chain", "region", "store"):
            rows = data["changes"][against][by]
            assert rows, (against, by)
            for g in rows:
                assert sum(g["effects_fen"].values()) == g["change_fen"], (against, by, g["key"])
        assert {g["key"] for g in data["changes"][against]["region"]} == {"华中", "华南"}
    # a store narrows the heat map and the funnel
    one = run_on_published(lambda e: report.page(e, stores=None, month="2026-10", store="S202"))
    assert one["focus"]["visitors"] == expected["S202"]["visitors"]
    assert sum(r["visitors"] for r in one["heatmap"]) == expected["S202"]["visitors"]


def test_console_page_scoped_and_in_chinese(snapshot: Path, client: Any) -> None:
    r = client.get("/traffic", headers={"accept-language": "zh-CN"})
    assert r.status_code == 200, r.text
    html = r.text
    for word in ("门店客流", "客流量", "进店转化率", "客单价", "连带率", "坪效", "会员识别率",
                 "客流效应", "转化效应", "客单效应", "武汉光谷店", "广州天河店"):  # fmt: skip
        assert word in html, word

    r = client.get("/traffic", params={"month": "2026-13"})
    assert r.status_code == 400
    assert "月份应写成" in r.text
    r = client.get("/traffic", params={"month": "2026-10", "store": "S999"})
    assert r.status_code == 400
    assert "没有客流数据" in r.text

    with session_scope() as s:
        for st in tables()["dim_store"].to_pylist():
            store_service.create_store(s, data=StoreCreate(code=st["store_code"], name=st["name"]))
        ids = store_service.store_ids_by_code(s, codes=["S202"])
        auth.create_user(
            s, username="gg", password="manager-pass-1", role="store_manager",
            store_ids=[ids["S202"]],
        )  # fmt: skip
    client.cookies.clear()
    r = client.post("/api/v1/auth/login", json={"username": "gg", "password": "manager-pass-1"})
    assert r.status_code == 200, r.text
    client.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    r = client.get("/traffic")
    assert r.status_code == 200
    assert "武汉光谷店" in r.text
    assert "武汉江汉路店" not in r.text
    assert "广州天河店" not in r.text
    assert client.get("/traffic", params={"store": "S201"}).status_code == 403


def test_no_finding_before_the_counter_was_installed(snapshot: Path) -> None:
    from omniretail.platform.engine.snapshot import run_on_published

    rows = run_on_published(
        lambda e: e.fetch_rows(
            "SELECT kind, store_code, day FROM trf_findings WHERE kind = 'counter_stopped'"
        )
    )
    assert BEFORE_COUNTERS not in {r["day"] for r in rows}
    days = run_on_published(
        lambda e: e.fetch_rows(
            "SELECT counted FROM trf_kpi_daily WHERE store_code = 'S202' "
            f"AND period_start = DATE '{BEFORE_COUNTERS}'"
        )  # fmt: skip
    )
    assert [d["counted"] for d in days] == [False]  # it sold, and nothing was counted
