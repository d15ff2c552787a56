"""A deterministic synthetic world of the analytics contract tables (docs/data-contract.md).

Used by the insight tests (small world, a few hundred customers) and by the insight
benchmarks (scale 10: 1M customers, ~20M order lines) while the demo world generator and
the ingest/identity pipeline are not available at that size. Everything is generated inside
DuckDB from ``hash()`` of row numbers, so a world is identical from run to run and takes
seconds even at 1M customers.

``create_world(con, customers=N)`` creates the tables in a DuckDB connection;
``world_tables(customers=N)`` returns them as Arrow tables (to load into any engine).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

AS_OF = "2026-06-30"

TABLES = (
    "dim_store",
    "dim_channel",
    "dim_product",
    "customers",
    "orders",
    "order_lines",
    "events",
    "reviews",
)

_CITIES = [
    ("湖北省", "武汉市", "华中", 30.59, 114.30),
    ("湖南省", "长沙市", "华中", 28.23, 112.94),
    ("广东省", "广州市", "华南", 23.13, 113.26),
    ("广东省", "深圳市", "华南", 22.54, 114.06),
    ("上海市", "上海市", "华东", 31.23, 121.47),
    ("浙江省", "杭州市", "华东", 30.27, 120.15),
    ("江苏省", "南京市", "华东", 32.06, 118.80),
    ("北京市", "北京市", "华北", 39.90, 116.40),
    ("四川省", "成都市", "西南", 30.57, 104.07),
    ("陕西省", "西安市", "西北", 34.34, 108.94),
]

_CHANNELS = [
    ("POS", "门店收银", "Store POS", "offline", "store", None),
    ("MINIAPP", "微信小程序", "WeChat mini-program", "online", "private", "wechat"),
    ("APP", "会员APP", "Member app", "online", "private", None),
    ("TMALL", "天猫旗舰店", "Tmall flagship", "online", "marketplace", "tmall"),
    ("JD", "京东旗舰店", "JD flagship", "online", "marketplace", "jd"),
    ("MEITUAN", "美团外卖", "Meituan delivery", "online", "delivery", "meituan"),
    ("GROUPBUY", "社区团购", "Community group-buy", "online", "groupbuy", "wechat"),
    ("WECOM", "企业微信导购", "WeCom clerk", "online", "private", "wecom"),
]

# category_code, name, parent, replenish_days, base price
_CATEGORIES = [
    ("DUCK_NECK", "鸭脖", "BRAISED", 14, 29.9),
    ("DUCK_WING", "鸭翅", "BRAISED", 14, 32.9),
    ("DUCK_FOOT", "鸭掌", "BRAISED", 21, 35.9),
    ("VEG", "卤素菜", "BRAISED", 10, 15.9),
    ("DRINK", "饮料", "DRINKS", 7, 6.5),
    ("GIFT", "礼盒", "GIFTS", 90, 128.0),
    ("SNACK", "休闲零食", "SNACKS", 30, 19.9),
]
_BRANDS = ["周黑鸭", "小鸭优选", "卤味研究所"]
_FLAVORS = ["香辣", "甜辣", "五香", "麻辣", "原味"]


def _values(rows: list[tuple[object, ...]]) -> str:
    def lit(v: object) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, str):
            return "'" + v.replace("'", "''") + "'"
        return repr(v)

    return ", ".join("(" + ", ".join(lit(v) for v in r) + ")" for r in rows)


def _u(expr: str, salt: int) -> str:
    """A deterministic uniform number in [0, 1) from an integer expression."""
    return f"((hash(({expr}) * 7919 + {salt}) % 1000003) / 1000003.0)"


def _dimensions(con: duckdb.DuckDBPyConnection, *, customers: int, as_of: str) -> int:
    """Create the dimension tables (and the temp lookups the chunks join on); returns the
    number of stores."""
    n_stores = max(12, customers // 2000)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _city AS SELECT * FROM (VALUES "
        + _values([(i, *c) for i, c in enumerate(_CITIES)])
        + ") t(city_idx, province, city, region, lat, lon)"
    )
    con.execute(f"""
        CREATE OR REPLACE TABLE dim_store AS
        SELECT 'S' || lpad(CAST(i AS VARCHAR), 4, '0') AS store_code,
               c.city || '第' || CAST(i AS VARCHAR) || '店' AS name,
               CASE i % 4 WHEN 0 THEN 'street' WHEN 1 THEN 'mall'
                          WHEN 2 THEN 'transport_hub' ELSE 'community' END AS store_type,
               c.province, c.city, c.region,
               c.lat + (i % 7) * 0.01 AS latitude, c.lon + (i % 5) * 0.01 AS longitude,
               DATE '2018-01-01' + CAST(i * 11 % 1500 AS INTEGER) AS opened_on
        FROM range({n_stores}) r(i) JOIN _city c ON c.city_idx = i % {len(_CITIES)}
    """)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _store AS SELECT CAST(substr(store_code, 2) AS BIGINT)"
        " AS store_idx, store_code, province, city FROM dim_store"
    )
    con.execute(
        "CREATE OR REPLACE TABLE dim_channel AS SELECT * FROM (VALUES "
        + _values(_CHANNELS)
        + ") t(channel_code, name, name_en, kind, domain, platform)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _cat AS SELECT * FROM (VALUES "
        + _values([(i, *c) for i, c in enumerate(_CATEGORIES)])
        + ") t(cat_idx, category_code, category_name, parent_category_code, replenish_days,"
        " base_price)"
    )
    n_cat = len(_CATEGORIES)
    con.execute(f"""
        CREATE OR REPLACE TABLE dim_product AS
        SELECT 'SKU' || lpad(CAST(i AS VARCHAR), 4, '0') AS sku,
               c.category_name || '-' || {_flavor_expr("i")} || '-' || CAST(i AS VARCHAR) AS name,
               c.category_code, c.category_name, c.parent_category_code,
               {_pick("i", _BRANDS, 3)} AS brand,
               {_flavor_expr("i")} AS flavor,
               CAST(round(c.base_price * (0.8 + (i % 5) * 0.1), 1) AS DECIMAL(12, 2)) AS price,
               DATE '{as_of}' - CAST((i * 37) % 900 AS INTEGER) AS launch_date,
               c.replenish_days
        FROM range(70) r(i) JOIN _cat c ON c.cat_idx = i % {n_cat}
    """)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _prod AS SELECT CAST(substr(sku, 4) AS BIGINT) AS p_idx,"
        " sku, name, price FROM dim_product"
    )
    return n_stores


# The fact tables of the customers ``lo <= i < hi``, as SELECTs over the temp tables ``_c``
# (customers of the chunk, with their integer index), ``_ord`` (orders) and ``_lines`` (lines,
# integer keys), which ``_chunk_temps`` creates. Every key and random draw is a function of the
# customer, order and line numbers only, so a world is the same however it is chunked.
def _chunk_temps(
    con: duckdb.DuckDBPyConnection, *, lo: int, hi: int, n_stores: int, as_of: str
) -> None:
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _c AS
        WITH base AS (
          SELECT i, 'C' || lpad(CAST(i AS VARCHAR), 9, '0') AS customer_id,
                 CAST(floor({_u("i", 1)} * {n_stores}) AS BIGINT) AS store_idx,
                 {_u("i", 2)} AS u_gender, {_u("i", 3)} AS u_age, {_u("i", 4)} AS u_reg,
                 {_u("i", 5)} AS u_contact
          FROM range({lo}, {hi}) r(i)
        )
        SELECT b.*, s.store_code, s.province, s.city,
               CASE WHEN b.u_contact < 0.9 THEN s.store_code END AS home_store_code
        FROM base b JOIN _store s ON s.store_idx = b.store_idx
    """)
    # orders: ~10 % prospects, a long tail of heavy buyers; each customer favours one channel
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _ord AS
        WITH c AS (
          SELECT i, customer_id, home_store_code,
                 CASE WHEN {_u("i", 11)} < 0.1 THEN 0
                      ELSE 1 + CAST(floor(pow({_u("i", 12)}, 2) * 14) AS INTEGER) END
                      AS n_orders,
                 CAST(floor({_u("i", 13)} * 8) AS INTEGER) AS fav_channel,
                 CAST(floor({_u("i", 14)} * 720) AS INTEGER) AS span_days
          FROM _c
        )
        SELECT c.customer_id, c.i, k, c.i * 16 + k AS oid, c.home_store_code,
               CASE WHEN {_u("c.i * 16 + k", 21)} < 0.7 THEN c.fav_channel
                    ELSE CAST(floor({_u("c.i * 16 + k", 22)} * 8) AS INTEGER) END AS ch_idx,
               CAST(floor({_u("c.i * 16 + k", 23)} * (c.span_days + 1)) AS INTEGER) AS days_ago,
               CAST(floor({_u("c.i * 16 + k", 24)} * 14) AS INTEGER) + 8 AS hour,
               {_u("c.i * 16 + k", 25)} AS u_status, {_u("c.i * 16 + k", 26)} AS u_coupon,
               1 + CAST(floor(pow({_u("c.i * 16 + k", 27)}, 1.1) * 8) AS INTEGER) AS n_lines
        FROM c, range(15) r(k) WHERE k < c.n_orders
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lines AS
        SELECT o.oid, o.ch_idx, o.customer_id, l,
               (CAST(floor({_u("o.i", 31)} * 70) AS BIGINT) * (1 - CAST(l % 2 AS BIGINT))
                + CAST(floor({_u("o.oid * 8 + l", 33)} * 70) AS BIGINT) * CAST(l % 2 AS BIGINT))
               % 70 AS p_idx,
               CAST(1 + floor({_u("o.oid * 8 + l", 32)} * 3) AS INTEGER) AS quantity
        FROM _ord o, range(9) r(l)
        WHERE l < o.n_lines
    """)


def _customers_sql(as_of: str) -> str:
    return f"""
        SELECT b.customer_id,
               '会员' || CAST(b.i AS VARCHAR) AS name,
               CASE WHEN b.u_gender < 0.62 THEN 'F' WHEN b.u_gender < 0.95 THEN 'M' END AS gender,
               CASE WHEN b.u_age < 0.85 THEN DATE '{as_of}'
                    - CAST(365.25 * (16 + b.u_age * 50) AS INTEGER) END AS birthday,
               '+86138' || lpad(CAST(b.i AS VARCHAR), 8, '0') AS phone,
               CASE WHEN b.u_contact < 0.4 THEN 'm' || CAST(b.i AS VARCHAR) || '@example.com'
                    END AS email,
               b.province, b.city, b.home_store_code,
               CASE WHEN b.u_reg < 0.95 THEN TIMESTAMP '{as_of} 10:00:00'
                    - to_days(CAST(b.u_reg * 1400 AS INTEGER)) END AS registered_at,
               TIMESTAMP '{as_of} 09:00:00' - to_days(CAST(b.u_reg * 1450 AS INTEGER))
                    AS first_seen_at,
               CAST(NULL AS TIMESTAMP) AS last_seen_at,
               CASE WHEN b.u_contact < 0.5 THEN ['pos', 'miniapp'] ELSE ['pos'] END AS sources,
               CASE WHEN b.u_contact < 0.7 THEN true WHEN b.u_contact < 0.8 THEN false END
                    AS consent_sms,
               CASE WHEN b.u_contact < 0.4 THEN true END AS consent_email,
               CASE WHEN b.u_contact < 0.75 THEN true END AS consent_wechat,
               CASE WHEN b.u_contact < 0.3 THEN true END AS consent_app_push
        FROM _c b
    """


_ORDER_LINES_SQL = """
    SELECT CASE WHEN l.ch_idx = 0 THEN 'pos' ELSE 'online' END AS source,
           'O' || CAST(l.oid AS VARCHAR) AS order_id,
           CAST(l.l + 1 AS INTEGER) AS line_no,
           p.sku, p.name AS product_name,
           l.quantity,
           p.price AS unit_price,
           CAST(0 AS DECIMAL(12, 2)) AS discount,
           CAST(p.price * l.quantity AS DECIMAL(12, 2)) AS amount,
           l.customer_id
    FROM _lines l JOIN _prod p ON p.p_idx = l.p_idx
"""


def _orders_sql(as_of: str) -> str:
    chan = (
        "CASE ch_idx "
        + " ".join(f"WHEN {i} THEN '{c[0]}'" for i, c in enumerate(_CHANNELS))
        + " END"
    )
    return f"""
        WITH amt AS (
          SELECT l.oid, sum(CAST(p.price * l.quantity AS DECIMAL(12, 2))) AS gross
          FROM _lines l JOIN _prod p ON p.p_idx = l.p_idx GROUP BY l.oid
        )
        SELECT CASE WHEN ch_idx = 0 THEN 'pos' ELSE 'online' END AS source,
               'O' || CAST(o.oid AS VARCHAR) AS order_id,
               CASE WHEN ch_idx = 0 THEN 'pos:' ELSE 'online:' END || o.customer_id
                    AS record_key,
               o.customer_id,
               {chan} AS channel_code,
               CASE WHEN ch_idx IN (0, 5, 6, 7) THEN coalesce(o.home_store_code, 'S0000') END
                    AS store_code,
               CASE WHEN ch_idx = 7 THEN 'E' || lpad(CAST(o.i % 50 AS VARCHAR), 4, '0') END
                    AS staff_code,
               TIMESTAMP '{as_of} 00:00:00' - to_days(o.days_ago) + to_hours(o.hour)
                    + to_minutes(CAST(o.oid % 60 AS INTEGER)) AS ordered_at,
               CASE WHEN o.u_status < 0.94 THEN 'paid' WHEN o.u_status < 0.97 THEN 'cancelled'
                    ELSE 'returned' END AS status,
               CASE WHEN ch_idx = 0 THEN 'in_store' WHEN ch_idx = 5 THEN 'delivery'
                    WHEN ch_idx = 6 THEN 'group_pickup' WHEN ch_idx IN (3, 4) THEN 'express'
                    ELSE 'pickup' END AS fulfillment,
               CASE WHEN o.oid % 3 = 0 THEN 'wechat_pay' WHEN o.oid % 3 = 1 THEN 'alipay'
                    ELSE 'card' END AS payment_method,
               CAST(a.gross AS DECIMAL(12, 2)) AS gross_amount,
               CAST(CASE WHEN o.u_coupon < 0.2 THEN round(a.gross * 0.1, 2) ELSE 0 END
                    AS DECIMAL(12, 2)) AS discount_amount,
               CAST(a.gross - CASE WHEN o.u_coupon < 0.2 THEN round(a.gross * 0.1, 2) ELSE 0 END
                    AS DECIMAL(12, 2)) AS paid_amount,
               CASE WHEN o.u_coupon < 0.2 THEN 'CP' || CAST(o.oid % 97 AS VARCHAR) END
                    AS coupon_code
        FROM _ord o JOIN amt a ON a.oid = o.oid
    """


_EV_TYPES = [
    "store_visit",
    "page_view",
    "product_view",
    "add_to_cart",
    "share",
    "referral",
    "coupon_claim",
    "message_click",
    "group_buy_join",
    "group_buy_lead",
]


def _events_sql(as_of: str) -> str:
    ev = "CASE t " + " ".join(f"WHEN {i} THEN '{t}'" for i, t in enumerate(_EV_TYPES)) + " END"
    return f"""
        WITH c AS (
          SELECT i, customer_id, home_store_code,
                 CAST(floor(pow({_u("i", 41)}, 2) * 20) AS INTEGER) AS n_events
          FROM _c
        ), e AS (
          SELECT c.*, k, c.i * 20 + k AS eid,
                 CASE WHEN {_u("c.i * 20 + k", 42)} < 0.3 THEN 0
                      WHEN {_u("c.i * 20 + k", 42)} < 0.5 THEN 2
                      ELSE CAST(floor({_u("c.i * 20 + k", 43)} * 10) AS INTEGER) END AS t,
                 CAST(floor({_u("c.i * 20 + k", 44)} * 400) AS INTEGER) AS days_ago
          FROM c, range(20) r(k) WHERE k < c.n_events
        )
        SELECT 'tracking' AS source, 'E' || CAST(eid AS VARCHAR) AS event_id,
               'tracking:' || customer_id AS record_key, customer_id,
               {ev} AS event_type,
               TIMESTAMP '{as_of} 00:00:00' - to_days(days_ago)
                    + to_hours(CAST(9 + eid % 12 AS INTEGER)) AS occurred_at,
               CASE WHEN t = 0 THEN 'POS' WHEN t IN (8, 9) THEN 'GROUPBUY'
                    WHEN eid % 3 = 0 THEN 'APP' WHEN eid % 3 = 1 THEN 'MINIAPP'
                    ELSE 'WECOM' END AS channel_code,
               CASE WHEN t = 0 THEN coalesce(home_store_code, 'S0000') END AS store_code,
               CASE WHEN t IN (2, 3) THEN 'SKU' || lpad(CAST(eid % 70 AS VARCHAR), 4, '0') END
                    AS sku,
               '{{}}' AS properties
        FROM e
    """


def _reviews_sql(as_of: str) -> str:
    return f"""
        SELECT 'online' AS source, 'RO' || CAST(o.oid AS VARCHAR) AS review_id,
               CASE WHEN o.ch_idx = 0 THEN 'pos:' ELSE 'online:' END || o.customer_id
                    AS record_key,
               o.customer_id, 'O' || CAST(o.oid AS VARCHAR) AS order_id, p.sku,
               CAST(1 + floor(pow({_u("o.oid", 51)}, 0.4) * 5) AS INTEGER) AS rating,
               CASE WHEN {_u("o.oid", 52)} < 0.5 THEN '味道不错，下次还来' END AS text,
               TIMESTAMP '{as_of} 00:00:00' - to_days(o.days_ago) + to_hours(o.hour)
                    + to_minutes(CAST(o.oid % 60 AS INTEGER)) + INTERVAL 2 DAY AS created_at
        FROM _ord o JOIN _lines l ON l.oid = o.oid AND l.l = 0
        JOIN _prod p ON p.p_idx = l.p_idx
        WHERE o.u_status < 0.94 AND {_u("o.oid", 50)} < 0.12
    """


FACTS = ("customers", "orders", "order_lines", "events", "reviews")


def _chunk_facts(con: duckdb.DuckDBPyConnection, as_of: str) -> dict[str, str]:
    """The SELECTs of the chunk's fact tables (after ``_chunk_temps``)."""
    return {
        "customers": _customers_sql(as_of),
        "orders": _orders_sql(as_of),
        "order_lines": _ORDER_LINES_SQL,
        "events": _events_sql(as_of),
        "reviews": _reviews_sql(as_of),
    }


def _drop_temps(con: duckdb.DuckDBPyConnection) -> None:
    for t in ("_c", "_ord", "_lines"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def create_world(
    con: duckdb.DuckDBPyConnection,
    *,
    customers: int = 300,
    as_of: str = AS_OF,
    chunk: int = 1_000_000,
) -> None:
    """Create the contract tables for ``customers`` customers in ``con`` (replacing them),
    ``chunk`` customers at a time."""
    n_stores = _dimensions(con, customers=customers, as_of=as_of)
    for lo in range(0, max(customers, 1), chunk):
        _chunk_temps(con, lo=lo, hi=min(customers, lo + chunk), n_stores=n_stores, as_of=as_of)
        for name, sql in _chunk_facts(con, as_of).items():
            if lo == 0:
                con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")
            else:
                con.execute(f"INSERT INTO {name} {sql}")
    _drop_temps(con)


def write_world(
    out: Path,
    *,
    customers: int,
    as_of: str = AS_OF,
    chunk: int = 1_000_000,
    threads: int = 2,
    memory: str = "4GB",
    log: Callable[[str], None] | None = None,
) -> None:
    """Write the contract tables as Parquet files, ``out/<table>/part-NNNN.parquet`` (one
    file per chunk of ``chunk`` customers; the dimensions in one file each). Memory stays
    that of one chunk, so any scale can be generated."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"threads": threads, "memory_limit": memory})
    try:
        n_stores = _dimensions(con, customers=customers, as_of=as_of)
        for dim in ("dim_store", "dim_channel", "dim_product"):
            (out / dim).mkdir(exist_ok=True)
            con.execute(f"COPY {dim} TO '{out / dim / 'part-0000.parquet'}' (FORMAT PARQUET)")
        for n, lo in enumerate(range(0, customers, chunk)):
            _chunk_temps(con, lo=lo, hi=min(customers, lo + chunk), n_stores=n_stores, as_of=as_of)
            for name, sql in _chunk_facts(con, as_of).items():
                (out / name).mkdir(exist_ok=True)
                target = out / name / f"part-{n:04d}.parquet"
                con.execute(f"COPY ({sql}) TO '{target}' (FORMAT PARQUET, COMPRESSION ZSTD)")
            if log is not None:
                log(f"chunk {n}: customers {lo}..{min(customers, lo + chunk)} written")
        _drop_temps(con)
    finally:
        con.close()


def attach_world(con: duckdb.DuckDBPyConnection, world: Path) -> None:
    """Views named after the contract tables over a world written by ``write_world``."""
    for name in (*FACTS, "dim_store", "dim_channel", "dim_product"):
        files = str(world / name / "*.parquet").replace("'", "''")
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{files}')")


def _flavor_expr(i: str) -> str:
    return _pick(i, _FLAVORS, 5)


def _pick(i: str, items: list[str], n: int) -> str:
    return (
        f"CASE ({i}) % {n} "
        + " ".join(f"WHEN {k} THEN '{v}'" for k, v in enumerate(items[:n]))
        + " END"
    )


def world_tables(*, customers: int = 300, as_of: str = AS_OF) -> dict[str, pa.Table]:
    """The contract tables as Arrow tables."""
    con = duckdb.connect()
    try:
        create_world(con, customers=customers, as_of=as_of)
        return {t: con.sql(f"SELECT * FROM {t}").to_arrow_table() for t in TABLES}
    finally:
        con.close()
