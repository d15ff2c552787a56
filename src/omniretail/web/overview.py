"""The overview dashboard's numbers, computed from the published analytics snapshot.

Sources (docs/data-contract.md): ``orders`` (or ``std_orders`` before identity resolution has
run), ``dim_store``, ``dim_channel`` and ``customers``. Only paid orders count as sales. The
period ends on the last day with an order, so a demo world from the past still shows data.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.omnichannel.store.models import Store
from omniretail.platform.config import Settings
from omniretail.platform.engine import open_published
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.web.schemas import (
    ChannelSlice,
    DayPoint,
    OverviewKpis,
    OverviewRead,
    ProvinceSlice,
    StorePoint,
)

DAY_OPTIONS: tuple[int, ...] = (30, 90, 180, 365, 0)  # 0 = all data
DEFAULT_DAYS = 90
NOTHING_PUBLISHED = "nothing published yet: run `omniretail pipeline run`"
NO_ORDERS = "the published snapshot has no orders table yet: run `omniretail pipeline run`"

_PROVINCE_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "省",
    "市",
)


def clamp_days(days: int) -> int:
    return days if days in DAY_OPTIONS else DEFAULT_DAYS


def map_name(province: str) -> str:
    """``广东省`` → ``广东``, ``广西壮族自治区`` → ``广西``: the names on the ECharts China map."""
    name = province.strip()
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def store_codes_for(db: Session, store_ids: list[int] | None) -> list[str] | None:
    """The store codes a user may see (None = every store)."""
    if store_ids is None:
        return None
    return list(db.scalars(select(Store.code).where(Store.id.in_(store_ids))))


def _pct_change(now: float, before: float) -> float | None:
    if not before:
        return None
    return round((now - before) / before * 100, 1)


class _Query:
    """The scoped paid orders of one snapshot, as a DuckDB view."""

    def __init__(
        self, engine: DuckDBEngine, tables: set[str], store_codes: list[str] | None
    ) -> None:
        self.engine = engine
        self.table = "orders" if "orders" in tables else "std_orders"
        columns = {
            r["column_name"]
            for r in engine.fetch_rows(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                [self.table],
            )
        }
        who = "customer_id" if "customer_id" in columns else "record_key"
        self.params: list[Any] = []
        scope = ""
        if store_codes is not None:
            scope = " AND list_contains(?::VARCHAR[], store_code)"
            self.params.append(store_codes)
        self.base = (
            f"SELECT CAST(ordered_at AS DATE) AS day, channel_code, store_code, "
            f"CAST(paid_amount AS DOUBLE) AS paid, {who} AS who "
            f"FROM {self.table} WHERE status = 'paid'{scope}"
        )
        self.has_stores = "dim_store" in tables
        self.has_channels = "dim_channel" in tables
        self.has_customers = "customers" in tables

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        return self.engine.fetch_rows(
            f"WITH o AS ({self.base}) {sql}", [*self.params, *(params or [])]
        )

    def bounds(self) -> tuple[date | None, date | None]:
        row = self.rows("SELECT min(day) AS first, max(day) AS last FROM o")[0]
        return row["first"], row["last"]


def _totals(q: _Query, start: date, end: date) -> dict[str, Any]:
    return q.rows(
        "SELECT coalesce(sum(paid), 0) AS sales, count(*) AS orders, "
        "count(DISTINCT who) AS buyers, count(DISTINCT store_code) AS stores "
        "FROM o WHERE day BETWEEN ? AND ?",
        [start, end],
    )[0]


def _members(q: _Query, store_codes: list[str] | None, start: date, end: date) -> tuple[int, int]:
    scope, params = "", []
    if store_codes is not None:
        scope, params = " WHERE list_contains(?::VARCHAR[], home_store_code)", [store_codes]
    row = q.engine.fetch_rows(
        "SELECT count(*) AS members, count(*) FILTER "
        "(WHERE CAST(registered_at AS DATE) BETWEEN ? AND ?) AS new_members "
        f"FROM customers{scope}",
        [start, end, *params],
    )[0]
    return int(row["members"]), int(row["new_members"])


def _kpis(q: _Query, store_codes: list[str] | None, start: date, end: date) -> OverviewKpis:
    now = _totals(q, start, end)
    length = (end - start).days + 1
    before = _totals(q, start - timedelta(days=length), start - timedelta(days=1))
    members: int | None = None
    new_members: int | None = None
    if q.has_customers:
        members, new_members = _members(q, store_codes, start, end)
    sales, orders = float(now["sales"]), int(now["orders"])
    return OverviewKpis(
        sales=round(sales, 2),
        orders=orders,
        buyers=int(now["buyers"]),
        average_order_value=round(sales / orders, 2) if orders else None,
        members=members,
        new_members=new_members,
        active_stores=int(now["stores"]),
        sales_change=_pct_change(sales, float(before["sales"])),
        orders_change=_pct_change(orders, float(before["orders"])),
    )


def _sales_by_day(q: _Query, start: date, end: date) -> list[DayPoint]:
    rows = q.rows(
        "SELECT CAST(d.day AS DATE) AS day, coalesce(sum(o.paid), 0) AS sales, "
        "count(o.day) AS orders "
        "FROM range(CAST(? AS DATE), CAST(? AS DATE) + INTERVAL 1 DAY, INTERVAL 1 DAY) d(day) "
        "LEFT JOIN o ON o.day = CAST(d.day AS DATE) GROUP BY 1 ORDER BY 1",
        [start, end],
    )
    return [DayPoint(day=r["day"], sales=round(r["sales"], 2), orders=r["orders"]) for r in rows]


def _by_channel(q: _Query, start: date, end: date) -> list[ChannelSlice]:
    if q.has_channels:
        sql = (
            "SELECT o.channel_code, any_value(c.name) AS name, any_value(c.name_en) AS name_en, "
            "any_value(c.kind) AS kind, sum(o.paid) AS sales, count(*) AS orders FROM o "
            "LEFT JOIN dim_channel c ON c.channel_code = o.channel_code "
            "WHERE o.day BETWEEN ? AND ? GROUP BY o.channel_code ORDER BY sales DESC"
        )
    else:
        sql = (
            "SELECT channel_code, NULL AS name, NULL AS name_en, NULL AS kind, "
            "sum(paid) AS sales, count(*) AS orders FROM o "
            "WHERE day BETWEEN ? AND ? GROUP BY channel_code ORDER BY sales DESC"
        )
    return [
        ChannelSlice(
            channel_code=r["channel_code"] or "unknown",
            name=r["name"] or r["channel_code"] or "unknown",
            name_en=r["name_en"] or r["name"] or r["channel_code"] or "unknown",
            kind=r["kind"],
            sales=round(r["sales"], 2),
            orders=r["orders"],
        )
        for r in q.rows(sql, [start, end])
    ]


def _stores(q: _Query, start: date, end: date) -> tuple[list[ProvinceSlice], list[StorePoint]]:
    if not q.has_stores:
        return [], []
    rows = q.rows(
        "SELECT s.store_code, s.name, s.province, s.city, s.longitude, s.latitude, "
        "coalesce(sum(o.paid), 0) AS sales, count(o.day) AS orders FROM dim_store s "
        "LEFT JOIN o ON o.store_code = s.store_code AND o.day BETWEEN ? AND ? "
        "GROUP BY ALL ORDER BY sales DESC, s.store_code",
        [start, end],
    )
    stores = [
        StorePoint(
            store_code=r["store_code"],
            name=r["name"] or r["store_code"],
            province=r["province"],
            city=r["city"],
            longitude=float(r["longitude"]),
            latitude=float(r["latitude"]),
            sales=round(r["sales"], 2),
            orders=r["orders"],
        )
        for r in rows
        if r["longitude"] is not None and r["latitude"] is not None and r["orders"] > 0
    ]
    provinces: dict[str, ProvinceSlice] = {}
    for r in rows:
        if not r["province"] or not r["orders"]:
            continue
        p = provinces.setdefault(
            r["province"],
            ProvinceSlice(
                province=r["province"],
                map_name=map_name(r["province"]),
                sales=0,
                orders=0,
                stores=0,
            ),
        )
        p.sales = round(p.sales + r["sales"], 2)
        p.orders += r["orders"]
        p.stores += 1
    return sorted(provinces.values(), key=lambda p: -p.sales), stores


def _load(
    engine: DuckDBEngine, *, days: int, store_codes: list[str] | None, full: bool
) -> OverviewRead:
    tables = {
        r["table_name"]
        for r in engine.fetch_rows("SELECT table_name FROM information_schema.tables")
    }
    if not tables & {"orders", "std_orders"}:
        return OverviewRead(
            available=False, reason=NO_ORDERS, reason_code="no_orders_table", days=days
        )
    q = _Query(engine, tables, store_codes)
    first, last = q.bounds()
    if first is None or last is None:
        return OverviewRead(
            available=False,
            reason="the published snapshot has no paid orders",
            reason_code="no_paid_orders",
            source_table=q.table,
            days=days,
        )
    start = first if days == 0 else max(first, last - timedelta(days=days - 1))
    result = OverviewRead(
        available=True,
        source_table=q.table,
        days=days,
        period_start=start,
        period_end=last,
        kpis=_kpis(q, store_codes, start, last),
    )
    if full:
        result.sales_by_day = _sales_by_day(q, start, last)
        result.by_channel = _by_channel(q, start, last)
        result.by_province, result.stores = _stores(q, start, last)
        if q.has_stores and result.kpis:
            store_sales = sum(p.sales for p in result.by_province)
            result.unattributed_sales = round(max(result.kpis.sales - store_sales, 0.0), 2)
    return result


def load_overview(
    *,
    days: int = DEFAULT_DAYS,
    store_codes: list[str] | None = None,
    full: bool = True,
    settings: Settings | None = None,
) -> OverviewRead:
    """The dashboard's numbers for the last ``days`` days of data (0 = all), within the stores
    a user may see. ``full=False`` computes only the headline numbers."""
    days = clamp_days(days)
    engine = open_published(settings)
    if engine is None:
        return OverviewRead(
            available=False, reason=NOTHING_PUBLISHED, reason_code="not_published", days=days
        )
    try:
        return _load(engine, days=days, store_codes=store_codes, full=full)
    finally:
        engine.close()


def load_summary(*, days: int = DEFAULT_DAYS, store_codes: list[str] | None = None) -> OverviewRead:
    """Headline numbers only (the page renders them; charts fetch the full JSON)."""
    return load_overview(days=days, store_codes=store_codes, full=False)


CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "sales_by_day": ("day", "sales", "orders"),
    "by_channel": ("channel_code", "name", "name_en", "kind", "sales", "orders"),
    "by_province": ("province", "sales", "orders", "stores"),
    "stores": (
        "store_code",
        "name",
        "province",
        "city",
        "longitude",
        "latitude",
        "sales",
        "orders",
    ),
}


def chart_rows(data: OverviewRead, chart: str) -> list[dict[str, Any]]:
    """One chart's rows, for the CSV export."""
    items: list[Any] = getattr(data, chart)
    return [item.model_dump(include=set(CSV_COLUMNS[chart])) for item in items]
