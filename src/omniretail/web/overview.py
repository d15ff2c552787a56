"""The overview dashboard's numbers, computed from the published analytics snapshot.

Sources (docs/data-contract.md): ``orders`` (or ``std_orders`` before identity resolution has
run), ``dim_store``, ``dim_channel`` and ``customers``. Only paid orders count as sales. The
period ends on the last day with an order, so a demo world from the past still shows data.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from omniretail.platform.config import Settings
from omniretail.platform.engine import open_published
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.platform.geo import map_name
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


def clamp_days(days: int) -> int:
    return days if days in DAY_OPTIONS else DEFAULT_DAYS


def _pct_change(now: float, before: float) -> float | None:
    if not before:
        return None
    return round((now - before) / before * 100, 1)


def _columns(engine: DuckDBEngine) -> dict[str, set[str]]:
    """Columns of the contract tables the dashboard reads (absent tables are left out)."""
    rows = engine.fetch_rows(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_name IN ('orders', 'std_orders', 'dim_store', 'dim_channel', 'customers')"
    )
    found: dict[str, set[str]] = {}
    for r in rows:
        found.setdefault(r["table_name"], set()).add(r["column_name"])
    return found


class _Query:
    """The scoped paid orders of one snapshot; ``rows`` runs SQL over them as ``o``, limited to
    a period (a range on ``ordered_at`` itself, so DuckDB can skip row groups)."""

    def __init__(
        self, engine: DuckDBEngine, columns: dict[str, set[str]], store_codes: list[str] | None
    ) -> None:
        self.engine = engine
        self.table = "orders" if "orders" in columns else "std_orders"
        who = "customer_id" if "customer_id" in columns[self.table] else "record_key"
        self.scope_params: list[Any] = []
        scope = ""
        if store_codes is not None:
            scope = " AND list_contains(?::VARCHAR[], store_code)"
            self.scope_params.append(store_codes)
        self.select = (
            f"SELECT CAST(ordered_at AS DATE) AS day, channel_code, store_code, "
            f"CAST(paid_amount AS DOUBLE) AS paid, {who} AS who "
            f"FROM {self.table} WHERE status = 'paid'{scope}"
        )
        self.has_stores = "dim_store" in columns
        self.has_channels = "dim_channel" in columns
        self.has_customers = "customers" in columns

    def rows(
        self, sql: str, start: date, end: date, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        window = " AND ordered_at >= ? AND ordered_at < ?"
        bounds = [_midnight(start), _midnight(end + timedelta(days=1))]
        return self.engine.fetch_rows(
            f"WITH o AS ({self.select}{window}) {sql}",
            [*self.scope_params, *bounds, *(params or [])],
        )

    def bounds(self) -> tuple[date | None, date | None]:
        row = self.engine.fetch_rows(
            f"WITH o AS ({self.select}) SELECT min(day) AS first, max(day) AS last FROM o",
            self.scope_params,
        )[0]
        return row["first"], row["last"]


LOOKBACK = 28  # days a day's orders are compared with
COMPLETE_SHARE = 0.2  # a day with fewer than this share of the usual orders is incomplete


def last_complete_day(counts: dict[date, int], last: date) -> date:
    """The last day whose orders look complete: the most recent days may still be arriving
    (a channel's export lags), or hold only a few late orders (a demo's simulated campaign
    responses after its world ends). A day is complete with at least COMPLETE_SHARE of the
    median daily orders of the LOOKBACK days before it; at most LOOKBACK days are dropped."""
    for back in range(LOOKBACK + 1):
        day = last - timedelta(days=back)
        usual = sorted(counts.get(day - timedelta(days=k), 0) for k in range(1, LOOKBACK + 1))
        median = (usual[LOOKBACK // 2 - 1] + usual[LOOKBACK // 2]) / 2
        if counts.get(day, 0) >= COMPLETE_SHARE * median:
            return day
    return last


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)  # noqa: DTZ001 - store-local, like ordered_at


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
    now = q.rows(
        "SELECT coalesce(sum(paid), 0) AS sales, count(*) AS orders, "
        "count(DISTINCT who) AS buyers, count(DISTINCT store_code) AS stores FROM o",
        start,
        end,
    )[0]
    length = (end - start).days + 1
    before = q.rows(
        "SELECT coalesce(sum(paid), 0) AS sales, count(*) AS orders FROM o",
        start - timedelta(days=length),
        start - timedelta(days=1),
    )[0]
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


_AGG = "_overview_day_channel"  # the period's orders aggregated by day and channel


def _aggregate(q: _Query, start: date, end: date) -> None:
    """One scan of the period's orders into a small table (days x channels) for two charts."""
    agg = q.engine.fetch_arrow(
        f"WITH o AS ({q.select} AND ordered_at >= ? AND ordered_at < ?) "
        "SELECT day, channel_code, sum(paid) AS sales, count(*) AS orders FROM o GROUP BY ALL",
        [*q.scope_params, _midnight(start), _midnight(end + timedelta(days=1))],
    )
    q.engine.register_arrow_view(_AGG, agg)


def _sales_by_day(q: _Query, start: date, end: date) -> list[DayPoint]:
    rows = q.engine.fetch_rows(
        "SELECT CAST(d.day AS DATE) AS day, coalesce(sum(a.sales), 0) AS sales, "
        "coalesce(sum(a.orders), 0) AS orders "
        "FROM range(CAST(? AS DATE), CAST(? AS DATE) + INTERVAL 1 DAY, INTERVAL 1 DAY) d(day) "
        f"LEFT JOIN {_AGG} a ON a.day = CAST(d.day AS DATE) GROUP BY 1 ORDER BY 1",
        [start, end],
    )
    return [
        DayPoint(day=r["day"], sales=round(r["sales"], 2), orders=int(r["orders"])) for r in rows
    ]


def _by_channel(q: _Query) -> list[ChannelSlice]:
    if q.has_channels:
        sql = (
            "SELECT a.channel_code, any_value(c.name) AS name, any_value(c.name_en) AS name_en, "
            "any_value(c.kind) AS kind, sum(a.sales) AS sales, sum(a.orders) AS orders "
            f"FROM {_AGG} a LEFT JOIN dim_channel c ON c.channel_code = a.channel_code "
            "GROUP BY a.channel_code ORDER BY sales DESC"
        )
    else:
        sql = (
            "SELECT channel_code, NULL AS name, NULL AS name_en, NULL AS kind, "
            f"sum(sales) AS sales, sum(orders) AS orders FROM {_AGG} "
            "GROUP BY channel_code ORDER BY sales DESC"
        )
    return [
        ChannelSlice(
            channel_code=r["channel_code"] or "unknown",
            name=r["name"] or r["channel_code"] or "unknown",
            name_en=r["name_en"] or r["name"] or r["channel_code"] or "unknown",
            kind=r["kind"],
            sales=round(r["sales"], 2),
            orders=int(r["orders"]),
        )
        for r in q.engine.fetch_rows(sql)
    ]


def _stores(q: _Query, start: date, end: date) -> tuple[list[ProvinceSlice], list[StorePoint]]:
    if not q.has_stores:
        return [], []
    rows = q.rows(
        "SELECT s.store_code, s.name, s.province, s.city, s.longitude, s.latitude, "
        "coalesce(a.sales, 0) AS sales, coalesce(a.orders, 0) AS orders FROM dim_store s "
        "LEFT JOIN (SELECT store_code, sum(paid) AS sales, count(*) AS orders "
        "FROM o GROUP BY store_code) a ON a.store_code = s.store_code "
        "ORDER BY sales DESC, s.store_code",
        start,
        end,
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
            orders=int(r["orders"]),
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
        p.orders += int(r["orders"])
        p.stores += 1
    return sorted(provinces.values(), key=lambda p: -p.sales), stores


def _load(
    engine: DuckDBEngine, *, days: int, store_codes: list[str] | None, full: bool
) -> OverviewRead:
    columns = _columns(engine)
    if not columns.keys() & {"orders", "std_orders"}:
        return OverviewRead(
            available=False, reason=NO_ORDERS, reason_code="no_orders_table", days=days
        )
    q = _Query(engine, columns, store_codes)
    first, last = q.bounds()
    if first is None or last is None:
        return OverviewRead(
            available=False,
            reason="the published snapshot has no paid orders",
            reason_code="no_paid_orders",
            source_table=q.table,
            days=days,
        )
    counts = {
        r["day"]: int(r["n"])
        for r in q.rows(
            "SELECT day, count(*) AS n FROM o GROUP BY day",
            max(first, last - timedelta(days=2 * LOOKBACK + 1)),
            last,
        )
    }
    data_end, last = last, last_complete_day(counts, last)
    start = first if days == 0 else max(first, last - timedelta(days=days - 1))
    result = OverviewRead(
        data_end=data_end,
        available=True,
        source_table=q.table,
        days=days,
        period_start=start,
        period_end=last,
        kpis=_kpis(q, store_codes, start, last),
    )
    if full:
        _aggregate(q, start, last)
        result.sales_by_day = _sales_by_day(q, start, last)
        result.by_channel = _by_channel(q)
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

# The CSV headers in the reader's language (zh-CN, English); sales are money (2 decimals).
CSV_LABELS: dict[str, tuple[str, str]] = {
    "day": ("日期", "Day"),
    "sales": ("销售额（元）", "Sales (¥)"),
    "orders": ("订单数", "Orders"),
    "channel_code": ("渠道编码", "Channel code"),
    "name": ("名称", "Name"),
    "name_en": ("英文名称", "English name"),
    "kind": ("渠道类型", "Channel kind"),
    "province": ("省份", "Province"),
    "stores": ("门店数", "Stores"),
    "store_code": ("门店编码", "Store code"),
    "city": ("城市", "City"),
    "longitude": ("经度", "Longitude"),
    "latitude": ("纬度", "Latitude"),
}
CSV_MONEY = frozenset({"sales"})
CHANNEL_KIND_WORDS: dict[str, tuple[str, str]] = {
    "online": ("线上", "online"),
    "offline": ("线下", "offline"),
    "platform": ("平台", "platform"),
}


def csv_labels(locale: str) -> dict[str, str]:
    """The CSV header of every column in ``locale`` (zh_CN or en)."""
    i = 0 if locale == "zh_CN" else 1
    return {k: v[i] for k, v in CSV_LABELS.items()}


def chart_rows(data: OverviewRead, chart: str, locale: str = "en") -> list[dict[str, Any]]:
    """One chart's rows, for the CSV export (channel kinds in ``locale``'s words)."""
    items: list[Any] = getattr(data, chart)
    rows = [item.model_dump(include=set(CSV_COLUMNS[chart])) for item in items]
    i = 0 if locale == "zh_CN" else 1
    for r in rows:
        if r.get("kind") in CHANNEL_KIND_WORDS:
            r["kind"] = CHANNEL_KIND_WORDS[r["kind"]][i]
    return rows
