"""The overview dashboard: numbers from the published snapshot, the API, CSV and the page."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from omniretail.platform.engine import published_path
from omniretail.web import overview
from tests.web.seed import LAST_DAY, STORES, make_seed, write_snapshot


def money(rows) -> float:
    return float(sum((o["paid_amount"] for o in rows), Decimal(0)))


def test_nothing_published_is_an_honest_empty_state(admin_console) -> None:
    body = admin_console.get("/api/v1/overview").json()
    assert body["available"] is False
    assert "omniretail pipeline run" in body["reason"]
    assert body["reason_code"] == "not_published"
    page = admin_console.get("/").text
    assert "尚无数据" in page
    assert "omniretail pipeline run" in page
    assert "echarts" not in page  # no charts without data


def test_kpis_match_the_seed(admin_console, published) -> None:
    body = admin_console.get("/api/v1/overview?days=30").json()
    assert body["available"]
    assert body["source_table"] == "orders"
    start = LAST_DAY - timedelta(days=29)
    assert body["period_start"] == start.isoformat()
    assert body["period_end"] == LAST_DAY.isoformat()
    paid = published.paid(start, LAST_DAY)
    k = body["kpis"]
    assert k["orders"] == len(paid)
    assert k["sales"] == pytest.approx(money(paid), abs=0.01)
    assert k["buyers"] == len({o["customer_id"] for o in paid if o["customer_id"]})
    assert k["average_order_value"] == pytest.approx(money(paid) / len(paid), abs=0.01)
    assert k["members"] == len(published.customers)
    assert k["new_members"] == sum(
        start <= c["registered_at"].date() <= LAST_DAY for c in published.customers
    )
    assert k["new_members"] > 0
    assert k["active_stores"] == len({o["store_code"] for o in paid if o["store_code"]})
    before = published.paid(start - timedelta(days=30), start - timedelta(days=1))
    assert k["sales_change"] == pytest.approx((money(paid) / money(before) - 1) * 100, abs=0.06)


def test_series_match_the_seed(admin_console, published) -> None:
    body = admin_console.get("/api/v1/overview?days=0").json()
    paid = published.paid()
    days = body["sales_by_day"]
    assert len(days) == 90  # every day of the quarter, zero-filled
    by_day = defaultdict(float)
    for o in paid:
        by_day[o["ordered_at"].date().isoformat()] += float(o["paid_amount"])
    assert {d["day"]: d["sales"] for d in days} == pytest.approx(by_day, abs=0.01)

    channels = {c["channel_code"]: c for c in body["by_channel"]}
    assert channels["POS"]["name"] == "门店收银"
    assert channels["POS"]["name_en"] == "Store POS"
    counts = Counter(o["channel_code"] for o in paid)
    assert {k: v["orders"] for k, v in channels.items()} == counts
    assert [c["sales"] for c in body["by_channel"]] == sorted(
        (c["sales"] for c in body["by_channel"]), reverse=True
    )

    provinces = {p["province"]: p for p in body["by_province"]}
    province_of = {s["store_code"]: s["province"] for s in STORES}
    expected = defaultdict(float)
    for o in paid:
        if o["store_code"]:
            expected[province_of[o["store_code"]]] += float(o["paid_amount"])
    assert {k: v["sales"] for k, v in provinces.items()} == pytest.approx(expected, abs=0.01)
    assert provinces["湖北省"]["stores"] == 2
    assert provinces["广西壮族自治区"]["map_name"] == "广西"
    assert provinces["上海市"]["map_name"] == "上海"
    tmall = money([o for o in paid if o["store_code"] is None])
    assert body["unattributed_sales"] == pytest.approx(tmall, abs=0.05)
    assert {s["store_code"] for s in body["stores"]} == {s["store_code"] for s in STORES}
    assert all(70 < s["longitude"] < 140 and 15 < s["latitude"] < 55 for s in body["stores"])


def test_std_orders_is_used_before_identity_resolution(home) -> None:
    seed = make_seed(customers=20)
    for o in seed.orders:
        o["customer_id"] = None
    write_snapshot(
        published_path(), seed, tables=("orders", "dim_channel"), orders_table="std_orders"
    )
    data = overview.load_overview(days=0)
    assert data.available
    assert data.source_table == "std_orders"
    assert data.kpis is not None
    assert data.kpis.members is None
    assert data.kpis.buyers == len({o["record_key"] for o in seed.paid() if o["record_key"]})
    assert data.by_province == []
    assert data.stores == []
    assert data.unattributed_sales == 0
    assert {c.channel_code for c in data.by_channel} == {
        "POS",
        "MINIAPP",
        "TMALL",
        "MEITUAN",
        "WECOM",
    }


def test_snapshot_without_orders_table(home) -> None:
    write_snapshot(published_path(), make_seed(customers=5), tables=("dim_store",))
    data = overview.load_overview()
    assert not data.available
    assert "orders" in (data.reason or "")


def test_store_manager_sees_only_their_stores(console, published) -> None:
    from omniretail.omnichannel.store.models import City, Store
    from omniretail.platform import db
    from omniretail.platform.auth import service
    from tests.web.conftest import login

    with db.session_scope() as s:
        city = City(code="420100", name="武汉市", province="湖北省")
        s.add(city)
        s.flush()
        stores = [
            Store(code=code, name=code, store_type="street", city_id=city.id)
            for code in ("S001", "S002")
        ]
        s.add_all(stores)
        s.flush()
        service.create_user(
            s,
            username="wuhan",
            password="manager-pass-1",
            role="store_manager",
            store_ids=[st.id for st in stores],
        )
    login(console, "wuhan", "manager-pass-1")
    body = console.get("/api/v1/overview?days=0").json()
    paid = [o for o in published.paid() if o["store_code"] in ("S001", "S002")]
    assert body["kpis"]["orders"] == len(paid)
    assert {p["province"] for p in body["by_province"]} == {"湖北省"}
    assert body["kpis"]["members"] == sum(
        c["home_store_code"] in ("S001", "S002") for c in published.customers
    )
    assert "仅限您负责的门店" in console.get("/?days=0").text


def test_unknown_period_falls_back_to_the_default(admin_console, published) -> None:
    assert admin_console.get("/api/v1/overview?days=7").json()["days"] == overview.DEFAULT_DAYS


def test_api_needs_a_login(console, published) -> None:
    r = console.get("/api/v1/overview", headers={"accept": "application/json"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("chart", ["sales_by_day", "by_channel", "by_province", "stores"])
def test_csv_export(admin_console, published, chart: str) -> None:
    r = admin_console.get(f"/api/v1/overview/{chart}.csv?days=0")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert f"overview-{chart}-2026-01-01_2026-03-31.csv" in r.headers["content-disposition"]
    assert r.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    zh = overview.csv_labels("zh_CN")
    assert list(rows[0]) == [zh[c] for c in overview.CSV_COLUMNS[chart]]  # Chinese headers
    full = admin_console.get("/api/v1/overview?days=0").json()
    assert len(rows) == len(full[chart])
    sales = [x["销售额（元）"] for x in rows]
    assert all(re.fullmatch(r"-?\d+\.\d\d", x) for x in sales), sales  # money to the cent
    assert sum(float(x) for x in sales) == pytest.approx(
        sum(x["sales"] for x in full[chart]), abs=0.05
    )


def test_csv_export_in_the_english_console(admin_console, published) -> None:
    admin_console.cookies.set("omniretail_lang", "en")
    r = admin_console.get("/api/v1/overview/by_channel.csv?days=0")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert list(rows[0]) == [
        "Channel code",
        "Name",
        "English name",
        "Channel kind",
        "Sales (¥)",
        "Orders",
    ]
    assert {x["Channel kind"] for x in rows} <= {"online", "offline", "platform"}
    admin_console.cookies.set("omniretail_lang", "zh_CN")
    r = admin_console.get("/api/v1/overview/by_channel.csv?days=0")
    kinds = {x["渠道类型"] for x in csv.DictReader(io.StringIO(r.text.lstrip("\ufeff")))}
    assert kinds
    assert kinds <= {"线上", "线下", "平台"}


def test_unknown_chart_is_a_problem(admin_console, published) -> None:
    r = admin_console.get("/api/v1/overview/nope.csv", headers={"accept": "application/json"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "chart"


def test_page_renders_kpis_and_chart_containers(admin_console, published) -> None:
    page = admin_console.get("/?days=30").text
    paid = published.paid(LAST_DAY - timedelta(days=29), LAST_DAY)
    assert f"{len(paid):,}" in page
    for key in ("sales_by_day", "by_channel", "by_province", "region_map"):
        assert f'data-chart="{key}"' in page
    assert "vendor/echarts.min.js" in page
    assert "vendor/china-map.js" in page
    assert 'class="current" data-days="30"' in page


def test_snapshot_with_no_paid_orders(admin_console, home) -> None:
    seed = make_seed(customers=5)
    for o in seed.orders:
        o["status"] = "cancelled"
    write_snapshot(published_path(), seed)
    body = admin_console.get("/api/v1/overview").json()
    assert body["available"] is False
    assert body["reason_code"] == "no_paid_orders"
    assert "没有已支付订单" in admin_console.get("/").text
