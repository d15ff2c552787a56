"""Store traffic tables (step ``insight.traffic``), in SQL that DuckDB and Spark both run.

Inputs: ``std_traffic_counts`` and ``dim_traffic_door`` (the ``people_counter*`` mappings),
``dim_store`` (area, region), ``ins_order_facts`` (paid in-store orders: not online, with a
store). Times are the store's wall clock (the chain time zone), as the counters export them.

- ``trf_counter_flags``: a door's (or store's) day of counts that is not used, with the reason:
  ``unknown_store`` (no such store in the master), ``unknown_door`` (a door the store's
  counter registry does not list), and per store-day (``door_code`` null; people may come in
  by one door and leave by another) ``out_exceeds_in``: more people left than came in.
  Negative or unreadable counts never get this far: the mapping quarantines them.
- ``trf_hourly``: store × day × hour: visitors (people in), passers-by, in-store tickets,
  sales (fen), units, member tickets. A store-day with a flagged door has ``counted = false``
  (its visitors would be short) and no visitors.
- ``trf_kpi_daily`` / ``trf_kpi_weekly``: the same per day / ISO week, with 进店率, 进店转化率,
  客单价, 连带率, 坪效.
- ``trf_visits``: identified store visits (a member known by customer id) per store, day and
  kind, from the unified ``events``: check-ins, WiFi presence, self-checkout sessions, store
  visits, and face-vendor matches **only** where the member's latest face-recognition consent
  event at or before the match is a grant (PIPL art. 28-29: separate, explicit consent; a
  withdrawal ends it). ``trf_face_refused`` keeps the count of matches left out per store-day.
- ``trf_findings``: ``counter_stopped`` (a registered door that counted nobody, or stopped
  counting two hours or more before the store's last sale, on a day the store sold, from
  the door's first counted day on: not before its counter was installed) and
  ``traffic_without_sales`` (a counted store-day with at least MIN_VISITORS_NO_SALES visitors
  and no in-store ticket).
"""

from __future__ import annotations

VISIT_TYPES = (
    "store_visit",  # Store Visited
    "store_checked_in",  # Store Checked In: mini-program or WeCom 到店签到
    "wifi_presence_detected",  # WiFi Presence Detected: a WiFi/Bluetooth vendor
    "self_checkout_started",  # Self Checkout Started
)
FACE_MATCH = "face_matched"  # Face Matched: a face-recognition vendor's member match
FACE_GRANTED = "face_recognition_consent_granted"
FACE_WITHDRAWN = "face_recognition_consent_withdrawn"
MIN_VISITORS_NO_SALES = 30
STOP_GAP_HOURS = 2


def counts_sql(with_batch: bool) -> str:
    """``trf_counts``: a view over ``std_traffic_counts`` (no copy) with the day and hour, and
    the landed batch each row came from (to find the store-days a new batch touches)."""
    batch = "_batch_id" if with_batch else "CAST(NULL AS VARCHAR) AS _batch_id"
    return f"""
SELECT store_code, door_code, bucket_start, CAST(bucket_start AS DATE) AS day,
       hour(bucket_start) AS hour, in_count, out_count, passers_by, {batch}
FROM std_traffic_counts
WHERE store_code IS NOT NULL AND door_code IS NOT NULL AND bucket_start IS NOT NULL
"""


def _scoped(alias: str, scope: str | None, day: str | None = None, key: str = "day") -> str:
    """``TRUE``, or: the row's store-day (``day``: an expression over ``alias``, by default
    its day) is in table ``scope`` (columns store_code, ``key``)."""
    if scope is None:
        return "TRUE"
    return (
        f"EXISTS (SELECT 1 FROM {scope} a WHERE a.store_code = {alias}.store_code "
        f"AND a.{key} = {day or alias + '.day'})"
    )


# per landed batch, what the traffic tables were built from: a batch whose summary changed
# (reinterpreted with another mapping, a fixed quarantined row accepted) needs a full rebuild
BATCHES_SQL = """
SELECT _batch_id, count(*) AS n_rows, sum(in_count) AS in_sum, sum(out_count) AS out_sum,
       sum(coalesce(passers_by, 0)) AS passers_sum, min(bucket_start) AS first_bucket,
       max(bucket_start) AS last_bucket, min(store_code) AS first_store,
       max(store_code) AS last_store
FROM std_traffic_counts GROUP BY _batch_id
"""

# the master data the traffic tables depend on (stores' region and area, the door registry):
# when it changes, every store-day may change
MASTER_SQL = """
SELECT md5(coalesce(string_agg(k, ',' ORDER BY k), '')) AS fingerprint FROM (
  SELECT concat_ws('|', 's', store_code, coalesce(region, ''),
                   coalesce(CAST(area_m2 AS VARCHAR), '')) AS k FROM dim_store
  UNION ALL
  SELECT concat_ws('|', 'd', store_code, door_code) AS k FROM dim_traffic_door
) m
"""

DOOR_FIRST_SQL = """
SELECT store_code, door_code, min(day) AS first_day FROM trf_counts
GROUP BY store_code, door_code
"""


def flags_sql(scope: str | None = None, counts: str = "trf_counts") -> str:
    """``trf_counter_flags`` (of the store-days in ``scope``, or all; ``counts``: a table with
    at least those store-days' counts)."""
    return f"""
WITH d AS (
  SELECT store_code, door_code, day, sum(in_count) AS in_count, sum(out_count) AS out_count
  FROM {counts} c WHERE {_scoped("c", scope)} GROUP BY store_code, door_code, day
),
known AS (SELECT DISTINCT store_code FROM dim_store),
door AS (
  SELECT d.store_code, d.door_code, d.day, d.in_count, d.out_count,
         CASE WHEN k.store_code IS NULL THEN 'unknown_store' ELSE 'unknown_door' END AS reason
  FROM d
  LEFT JOIN known k ON k.store_code = d.store_code
  LEFT JOIN dim_traffic_door g ON g.store_code = d.store_code AND g.door_code = d.door_code
  WHERE k.store_code IS NULL OR g.door_code IS NULL
),
store_day AS (
  SELECT d.store_code, CAST(NULL AS VARCHAR) AS door_code, d.day,
         sum(d.in_count) AS in_count, sum(d.out_count) AS out_count,
         'out_exceeds_in' AS reason
  FROM d JOIN known k ON k.store_code = d.store_code
  GROUP BY d.store_code, d.day
  HAVING sum(d.out_count) > sum(d.in_count)
)
SELECT * FROM door UNION ALL SELECT * FROM store_day
"""


FLAGS_SQL = flags_sql()

SALES_HOURLY_SQL = """
SELECT store_code, order_day AS day, order_hour AS hour,
       count(*) AS orders,
       CAST(round(sum(paid_amount) * 100) AS BIGINT) AS sales_fen,
       CAST(sum(units) AS BIGINT) AS units,
       CAST(sum(CASE WHEN customer_id IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS member_orders
FROM ins_order_facts
WHERE status = 'paid' AND NOT online AND store_code IS NOT NULL
GROUP BY store_code, order_day, order_hour
"""


def hourly_sql(
    scope: str | None = None, counts: str = "trf_counts", *, one_row_an_hour: bool = False
) -> str:
    """``trf_hourly`` (of the store-days in ``scope``, or all; ``counts`` as in flags_sql).
    ``one_row_an_hour``: the caller knows no store counts two rows in one hour (one door, hourly
    buckets: ``UNIQUE_HOURS_SQL`` is 0), so the counts are taken as they are instead of being
    summed per store × day × hour (a hash aggregate with one group per row)."""
    if one_row_an_hour:
        visitors = "CAST(c.in_count AS BIGINT) AS visitors"
        passers = "CAST(c.passers_by AS BIGINT) AS passers_by"
        group = ""
    else:
        visitors = "CAST(sum(c.in_count) AS BIGINT) AS visitors"
        passers = "CAST(sum(c.passers_by) AS BIGINT) AS passers_by"
        group = "GROUP BY c.store_code, c.day, c.hour"
    return f"""
WITH bad AS (SELECT DISTINCT store_code, day FROM trf_counter_flags b WHERE {_scoped("b", scope)}),
known AS (SELECT DISTINCT store_code FROM dim_store),
t AS (
  SELECT c.store_code, c.day, c.hour, {visitors}, {passers}
  FROM {counts} c JOIN known k ON k.store_code = c.store_code
  LEFT JOIN bad b ON b.store_code = c.store_code AND b.day = c.day
  WHERE b.store_code IS NULL AND {_scoped("c", scope, "c.day")}
  {group}
),
x AS (SELECT * FROM trf_sales_hourly s WHERE {_scoped("s", scope)}),
counted AS (SELECT DISTINCT store_code, day FROM t)
SELECT coalesce(t.store_code, x.store_code) AS store_code, coalesce(t.day, x.day) AS day,
       coalesce(t.hour, x.hour) AS hour,
       (cd.store_code IS NOT NULL) AS counted,
       CASE WHEN cd.store_code IS NOT NULL THEN coalesce(t.visitors, 0) END AS visitors,
       t.passers_by,
       coalesce(x.orders, 0) AS orders, coalesce(x.sales_fen, 0) AS sales_fen,
       coalesce(x.units, 0) AS units, coalesce(x.member_orders, 0) AS member_orders
FROM t FULL OUTER JOIN x
  ON x.store_code = t.store_code AND x.day = t.day AND x.hour = t.hour
LEFT JOIN counted cd ON cd.store_code = coalesce(t.store_code, x.store_code)
  AND cd.day = coalesce(t.day, x.day)
"""


# how many store-days have two count rows in one hour (several doors, or buckets shorter than
# an hour): per store-day (thousands of groups, not one per row) the bits of the hours seen
# against the rows; 0 lets trf_hourly skip its per-hour sums
UNIQUE_HOURS_SQL = """
SELECT count(*) FROM (
  SELECT count(*) AS n, bit_or(CAST(1 AS BIGINT) << CAST(hour AS INTEGER)) AS hours
  FROM trf_counts GROUP BY store_code, day
) g WHERE bit_count(hours) <> n
"""


HOURLY_SQL = hourly_sql()


def _types(types: tuple[str, ...]) -> str:
    return ", ".join(f"'{t}'" for t in types)


VISIT_EVENTS_SQL = f"""
SELECT e.customer_id, e.store_code, e.occurred_at, CAST(e.occurred_at AS DATE) AS day,
       e.event_type,
       row_number() OVER (ORDER BY e.customer_id, e.occurred_at, e.store_code, e.event_type)
         AS visit_id
FROM events e
WHERE e.customer_id IS NOT NULL AND e.store_code IS NOT NULL AND e.occurred_at IS NOT NULL
  AND e.event_type IN ({_types((*VISIT_TYPES, FACE_MATCH))})
"""

FACE_CONSENT_SQL = f"""
WITH m AS (SELECT * FROM trf_visit_events WHERE event_type = '{FACE_MATCH}'),
c AS (
  SELECT customer_id, occurred_at, event_type FROM events
  WHERE customer_id IS NOT NULL AND occurred_at IS NOT NULL
    AND event_type IN ('{FACE_GRANTED}', '{FACE_WITHDRAWN}')
),
r AS (
  SELECT m.visit_id, c.event_type,
         row_number() OVER (PARTITION BY m.visit_id ORDER BY c.occurred_at DESC,
           CASE WHEN c.event_type = '{FACE_WITHDRAWN}' THEN 0 ELSE 1 END) AS rn
  FROM m JOIN c ON c.customer_id = m.customer_id AND c.occurred_at <= m.occurred_at
)
SELECT m.customer_id, m.store_code, m.occurred_at, m.day,
       CASE WHEN r.event_type = '{FACE_GRANTED}' THEN 1 ELSE 0 END AS consented
FROM m LEFT JOIN r ON r.visit_id = m.visit_id AND r.rn = 1
"""

VISITS_SQL = f"""
SELECT store_code, day, event_type AS kind, count(*) AS events,
       count(DISTINCT customer_id) AS members
FROM trf_visit_events WHERE event_type <> '{FACE_MATCH}'
GROUP BY store_code, day, event_type
UNION ALL
SELECT store_code, day, '{FACE_MATCH}' AS kind, count(*) AS events,
       count(DISTINCT customer_id) AS members
FROM trf_face_checked WHERE consented = 1
GROUP BY store_code, day
"""

FACE_REFUSED_SQL = """
SELECT store_code, day, count(*) AS matches FROM trf_face_checked
WHERE consented = 0 GROUP BY store_code, day
"""

IDENTIFIED_SQL = f"""
SELECT store_code, day, count(DISTINCT customer_id) AS identified FROM (
  SELECT store_code, day, customer_id FROM trf_visit_events WHERE event_type <> '{FACE_MATCH}'
  UNION ALL
  SELECT store_code, day, customer_id FROM trf_face_checked WHERE consented = 1
) v GROUP BY store_code, day
"""

NO_IDENTIFIED_SQL = (
    "SELECT CAST(NULL AS VARCHAR) AS store_code, CAST(NULL AS DATE) AS day,"
    " CAST(0 AS BIGINT) AS identified WHERE FALSE"
)


def kpi_sql(period: str, scope: str | None = None) -> str:
    """KPIs per store × ``period`` (an expression over ``h.day``: the day or its ISO week);
    ``scope``: only the store-periods in that table (store_code, period_start)."""
    hs = _scoped("h", scope, period, "period_start")
    return f"""
WITH p AS (
  SELECT h.store_code, {period} AS period_start,
         min(CASE WHEN h.counted THEN 1 ELSE 0 END) = 1 AS counted,
         sum(h.visitors) AS visitors, sum(h.passers_by) AS passers_by,
         sum(h.orders) AS orders, sum(h.sales_fen) AS sales_fen, sum(h.units) AS units,
         sum(h.member_orders) AS member_orders
  FROM trf_hourly h WHERE {hs} GROUP BY h.store_code, {period}
),
i AS (
  SELECT h.store_code, {period} AS period_start, sum(h.identified) AS identified
  FROM trf_identified h WHERE {hs} GROUP BY h.store_code, {period}
)
SELECT p.store_code, s.region, p.period_start, p.counted,
       CASE WHEN p.counted THEN p.visitors END AS visitors, p.passers_by,
       p.orders, p.sales_fen, p.units, p.member_orders,
       coalesce(i.identified, 0) AS identified,
       CASE WHEN p.counted AND p.visitors > 0
            THEN least(1.0, CAST(coalesce(i.identified, 0) AS DOUBLE) / p.visitors)
       END AS identified_share,
       CASE WHEN p.passers_by > 0 AND p.counted
            THEN CAST(p.visitors AS DOUBLE) / p.passers_by END AS entry_rate,
       CASE WHEN p.counted AND p.visitors > 0
            THEN CAST(p.orders AS DOUBLE) / p.visitors END AS conversion,
       CASE WHEN p.orders > 0 THEN CAST(p.sales_fen AS DOUBLE) / p.orders END AS ticket_fen,
       CASE WHEN p.orders > 0 THEN CAST(p.units AS DOUBLE) / p.orders END AS units_per_ticket,
       CASE WHEN s.area_m2 > 0 THEN p.sales_fen / 100.0 / s.area_m2 END AS sales_per_m2
FROM p LEFT JOIN dim_store s ON s.store_code = p.store_code
LEFT JOIN i ON i.store_code = p.store_code AND i.period_start = p.period_start
"""


DAY = "h.day"
WEEK = "CAST(date_trunc('week', h.day) AS DATE)"
KPI_DAILY_SQL = kpi_sql(DAY)
KPI_WEEKLY_SQL = kpi_sql(WEEK)


def findings_sql(scope: str | None = None, counts: str = "trf_counts") -> str:
    """``trf_findings`` (of the store-days in ``scope``, or all); doors count from their first
    counted day (``trf_door_first``)."""
    return f"""
WITH sold AS (
  SELECT store_code, day, max(hour) AS last_sale_hour FROM trf_hourly h
  WHERE orders > 0 AND {_scoped("h", scope)} GROUP BY store_code, day
),
door_day AS (
  SELECT store_code, door_code, day, sum(in_count) AS in_count,
         max(CASE WHEN in_count > 0 THEN hour END) AS last_count_hour
  FROM {counts} c WHERE {_scoped("c", scope)} GROUP BY store_code, door_code, day
)
SELECT 'counter_stopped' AS kind, s.store_code, g.door_code, s.day,
       CASE WHEN coalesce(dd.in_count, 0) = 0 THEN 'no_counts'
            ELSE 'stopped_after_hour_' || CAST(dd.last_count_hour AS VARCHAR) END AS detail
FROM sold s
JOIN dim_traffic_door g ON g.store_code = s.store_code
JOIN trf_door_first a ON a.store_code = g.store_code AND a.door_code = g.door_code
  AND s.day >= a.first_day
LEFT JOIN door_day dd ON dd.store_code = g.store_code AND dd.door_code = g.door_code
  AND dd.day = s.day
WHERE coalesce(dd.in_count, 0) = 0
   OR dd.last_count_hour + {STOP_GAP_HOURS} <= s.last_sale_hour
UNION ALL
SELECT 'traffic_without_sales' AS kind, store_code, CAST(NULL AS VARCHAR) AS door_code,
       period_start AS day,
       'visitors_' || CAST(visitors AS VARCHAR) AS detail
FROM trf_kpi_daily k
WHERE counted AND visitors >= {MIN_VISITORS_NO_SALES} AND orders = 0
  AND {_scoped("k", scope, "k.period_start")}
"""


FINDINGS_SQL = findings_sql()
