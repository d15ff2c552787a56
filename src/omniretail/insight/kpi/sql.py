"""KPI definitions (seed 001 §8): canonical SQL over ``ins_order_facts`` and friends.

Measures of a period × (store, channel, region):
sales 销售额, orders 订单数, aov 客单价, units_per_order 件单数 (basket size),
active_members 活跃会员 (members with a paid order), new_members 新会员 (first paid order in
the period), returning_members 回头客 (active − new), repurchase_rate 复购率 (active members with
paid orders on 2+ days in the period / active), member_sales_share 会员销售占比,
coupon_orders 用券订单 (paid orders with a coupon), coupon_claims 领券数 (coupons issued in
the period, one per coupon code: claim events and the coupon service's own coupons, see
``coupon_issues_sql``), coupon_claims_redeemed (of those, the coupons used on a paid order or
redeemed through the coupon service, at any time up to the data's end), coupon_members (members
who received at least one of them), coupon_redemption_rate 核销率
(coupon_claims_redeemed / coupon_claims: at most 1, since only issued coupons count), with
growth vs the previous period (环比) and the same period last year (同比).

A coupon counts for the store, channel and region where it was issued: a claim event's store and
channel (the POS ledger's issuing store, the app or mini-program where it was claimed); a coupon
of the coupon service (a campaign's, the coupon center's) was not issued at a till or in a sales
channel, so it counts for the member's home store and no channel (an empty channel).
"""

from __future__ import annotations

from omniretail.platform.auth.scope import StoreScope
from omniretail.platform.engine.dialect import r6

GRAINS = {"day": "1 DAY", "week": "7 DAY", "month": "1 MONTH"}
DIMENSIONS = {"store": "store_code", "channel": "channel_code", "region": "region"}
MEASURES = (
    "sales",
    "orders",
    "aov",
    "units_per_order",
    "active_members",
    "new_members",
    "returning_members",
    "repurchase_rate",
    "member_sales_share",
    "coupon_orders",
    "coupon_claims",
    "coupon_claims_redeemed",
    "coupon_members",
    "coupon_redemption_rate",
)


def _ratio(num: str, den: str) -> str:
    return f"CASE WHEN ({den}) > 0 THEN {r6(f'CAST({num} AS DOUBLE) / ({den})')} END"


def _rate_change(now: str, then: str) -> str:
    """The redemption rate's change (rate now − rate then, as a fraction: 0.05 = 5 points)."""
    rate = "CAST({0}.coupon_claims_redeemed AS DOUBLE) / {0}.coupon_claims"
    return (
        f"CASE WHEN {now}.coupon_claims > 0 AND {then}.coupon_claims > 0 "
        f"THEN {r6(rate.format(now) + ' - ' + rate.format(then))} END"
    )


# Where coupons are issued: claim events (the POS coupon ledger, app / mini-program claims) and,
# when the ``marketing.coupons`` step exported them, the coupon service's own coupons
# (``mkt_coupons``), attributed to the member's home store and no channel.
_CLAIM_EVENTS = """
SELECT coalesce(json_extract_string(e.properties, '$.coupon'), 'event:' || e.event_id) AS code,
       e.occurred_at AS issued_at, e.customer_id, e.store_code, e.channel_code,
       false AS service_redeemed
FROM events e WHERE e.event_type = 'coupon_claim'
"""
_SERVICE_COUPONS = """
SELECT m.code, m.issued_at, m.customer_id, cu.home_store_code AS store_code,
       CAST(NULL AS VARCHAR) AS channel_code, m.status = 'redeemed' AS service_redeemed
FROM mkt_coupons m LEFT JOIN customers cu ON cu.customer_id = m.customer_id
"""
# the first issue of a code decides its time, member, store and channel (null flags keep the
# tie-breaks the same on every engine)
_FIRST = "min({'t': issued_at, 'sn': store_code IS NULL, 's': store_code, \
'cn': channel_code IS NULL, 'c': channel_code, 'un': customer_id IS NULL, 'u': customer_id})"


def coupon_issues_sql(service_coupons: bool = False) -> str:
    """Coupons issued, one row per code (a claim without a code is its own coupon), with the
    first issue's time, member, store and channel and whether the coupon was redeemed: used on
    a paid order, or redeemed through the coupon service (a service coupon that is also on an
    order's coupon_code is still one coupon, redeemed once). Only issued coupons count, so the
    redemption rate is <= 100%."""
    src = _CLAIM_EVENTS + (f"UNION ALL {_SERVICE_COUPONS}" if service_coupons else "")
    return f"""
SELECT i.code, i.issued_at, i.customer_id, i.store_code, i.channel_code,
       (i.service_redeemed OR r.code IS NOT NULL) AS redeemed FROM (
  SELECT code, {_FIRST}.t AS issued_at, {_FIRST}.u AS customer_id, {_FIRST}.s AS store_code,
         {_FIRST}.c AS channel_code,
         max(CASE WHEN service_redeemed THEN 1 ELSE 0 END) = 1 AS service_redeemed
  FROM ({src}) u GROUP BY code
) i LEFT JOIN (
  SELECT DISTINCT coupon_code AS code FROM ins_order_facts
  WHERE status = 'paid' AND coupon_code IS NOT NULL
) r ON r.code = i.code
"""


COUPON_ISSUES_SQL = coupon_issues_sql()

KPI_DAILY_SQL = """
SELECT o.order_day AS day, o.store_code, o.channel_code, s.region,
       count(*) FILTER (WHERE o.status = 'paid') AS orders,
       CAST(coalesce(sum(o.paid_amount) FILTER (WHERE o.status = 'paid'), 0) AS DECIMAL(18, 2))
         AS sales,
       CAST(coalesce(sum(o.discount_amount) FILTER (WHERE o.status = 'paid'), 0)
         AS DECIMAL(18, 2)) AS discount,
       coalesce(sum(o.units) FILTER (WHERE o.status = 'paid'), 0) AS units,
       count(*) FILTER (WHERE o.status = 'paid' AND o.customer_id IS NOT NULL) AS member_orders,
       CAST(coalesce(sum(o.paid_amount) FILTER (WHERE o.status = 'paid'
                     AND o.customer_id IS NOT NULL), 0) AS DECIMAL(18, 2)) AS member_sales,
       count(DISTINCT CASE WHEN o.status = 'paid' THEN o.customer_id END) AS buyers,
       count(*) FILTER (WHERE o.status = 'paid' AND o.coupon_code IS NOT NULL) AS coupon_orders,
       count(*) FILTER (WHERE o.status = 'returned') AS returned_orders,
       count(*) FILTER (WHERE o.status = 'cancelled') AS cancelled_orders,
       CAST(coalesce(-sum(o.paid_amount) FILTER (WHERE o.status = 'returned'
                     AND o.paid_amount < 0), 0) AS DECIMAL(18, 2)) AS returns,
       CAST(coalesce(sum(o.paid_amount) FILTER (WHERE o.status = 'paid'), 0)
            + coalesce(sum(o.paid_amount) FILTER (WHERE o.status = 'returned'
                       AND o.paid_amount < 0), 0) AS DECIMAL(18, 2)) AS net_sales
FROM ins_order_facts o LEFT JOIN dim_store s ON s.store_code = o.store_code
GROUP BY o.order_day, o.store_code, o.channel_code, s.region
"""


def report_sql(
    grain: str,
    dims: list[str],
    start: str | None,
    end: str | None,
    *,
    service_coupons: bool = False,
    coupon_stores: list[str] | None = None,
) -> str:
    """Measures per period × ``dims`` with 环比 (previous period) and 同比 (last year).

    ``start``/``end`` are ISO dates (validated by the caller). ``service_coupons``: count the
    coupon service's coupons (``mkt_coupons``) too; ``coupon_stores``: only the coupons
    attributed to these stores (a store-scoped user)."""
    step = GRAINS[grain]
    last_year = "364 DAY" if grain == "week" else "1 YEAR"
    if grain == "day":
        period = "o.order_day"
    else:
        period = f"CAST(date_trunc('{grain}', o.order_day) AS DATE)"
    claim_period = period.replace("o.order_day", "CAST(e.issued_at AS DATE)")
    cols = [DIMENSIONS[d] for d in dims]
    g = "".join(f", {c}" for c in cols)
    go = "".join(f", o.{c}" for c in cols)
    # a coupon's store, channel and region are where it was issued (see coupon_issues_sql)
    claim_keys = [f", {'s.region' if c == 'region' else 'e.' + c}" for c in cols]
    claim_cols = "".join(f"{k} AS {c}" for k, c in zip(claim_keys, cols, strict=True))
    claim_where = ""
    if coupon_stores is not None:
        claim_where += f" AND {StoreScope.of_codes(coupon_stores).sql('e.store_code')}"

    def same(alias: str) -> str:
        return "".join(f" AND {alias}.{c} IS NOT DISTINCT FROM b.{c}" for c in cols)

    inner = ""
    outer = ""
    if start:
        inner += f" AND o.order_day >= DATE '{start}' - INTERVAL 13 MONTH"
        claim_where += f" AND CAST(e.issued_at AS DATE) >= DATE '{start}' - INTERVAL 13 MONTH"
        outer += f" AND b.period >= DATE '{start}'"
    if end:
        inner += f" AND o.order_day <= DATE '{end}'"
        claim_where += f" AND CAST(e.issued_at AS DATE) <= DATE '{end}'"
        outer += f" AND b.period <= DATE '{end}'"
    return f"""
WITH fo AS (
  SELECT customer_id, min(order_day) AS first_day FROM ins_order_facts
  WHERE status = 'paid' AND customer_id IS NOT NULL GROUP BY customer_id
), o2 AS (
  SELECT o.*, {period} AS period, s.region
  FROM ins_order_facts o LEFT JOIN dim_store s ON s.store_code = o.store_code
  WHERE true {inner}
), rep AS (
  SELECT period{g}, count(*) FILTER (WHERE buy_days >= 2) AS repeat_members FROM (
    SELECT period{g}, customer_id, count(DISTINCT order_day) AS buy_days
    FROM o2 WHERE status = 'paid' AND customer_id IS NOT NULL
    GROUP BY period{g}, customer_id
  ) d GROUP BY period{g}
), claims AS (
  SELECT {claim_period} AS period{claim_cols}, count(*) AS coupon_claims,
         count(*) FILTER (WHERE e.redeemed) AS coupon_claims_redeemed,
         count(DISTINCT e.customer_id) AS coupon_members
  FROM ({coupon_issues_sql(service_coupons)}) e
  LEFT JOIN dim_store s ON s.store_code = e.store_code
  WHERE true {claim_where}
  GROUP BY {claim_period}{"".join(claim_keys)}
), agg AS (
  SELECT o.period{go},
    CAST(coalesce(sum(o.paid_amount) FILTER (WHERE o.status = 'paid'), 0) AS DOUBLE) AS sales,
    count(*) FILTER (WHERE o.status = 'paid') AS orders,
    coalesce(sum(o.units) FILTER (WHERE o.status = 'paid'), 0) AS units,
    count(DISTINCT CASE WHEN o.status = 'paid' THEN o.customer_id END) AS active_members,
    count(DISTINCT CASE WHEN o.status = 'paid' AND fo.first_day >= o.period
          AND fo.first_day < CAST(o.period + INTERVAL {step} AS DATE)
          THEN o.customer_id END) AS new_members,
    CAST(coalesce(sum(o.paid_amount) FILTER (WHERE o.status = 'paid'
         AND o.customer_id IS NOT NULL), 0) AS DOUBLE) AS member_sales,
    count(*) FILTER (WHERE o.status = 'paid' AND o.coupon_code IS NOT NULL) AS coupon_orders,
    CAST(coalesce(-sum(o.paid_amount) FILTER (WHERE o.status = 'returned'
         AND o.paid_amount < 0), 0) AS DOUBLE) AS returns
  FROM o2 o LEFT JOIN fo ON fo.customer_id = o.customer_id
  GROUP BY o.period{go}
), keys AS (
  SELECT period{g} FROM agg UNION SELECT period{g} FROM claims
), m AS (
  SELECT b.period{"".join(f", b.{c}" for c in cols)},
         coalesce(a.sales, 0) AS sales, coalesce(a.orders, 0) AS orders,
         coalesce(a.units, 0) AS units, coalesce(a.active_members, 0) AS active_members,
         coalesce(a.new_members, 0) AS new_members,
         coalesce(a.member_sales, 0) AS member_sales,
         coalesce(a.coupon_orders, 0) AS coupon_orders,
         coalesce(a.returns, 0) AS returns,
         coalesce(r.repeat_members, 0) AS repeat_members,
         coalesce(c.coupon_claims, 0) AS coupon_claims,
         coalesce(c.coupon_claims_redeemed, 0) AS coupon_claims_redeemed,
         coalesce(c.coupon_members, 0) AS coupon_members
  FROM keys b LEFT JOIN agg a ON a.period = b.period{same("a")}
  LEFT JOIN rep r ON r.period = b.period{same("r")}
  LEFT JOIN claims c ON c.period = b.period{same("c")}
)
SELECT b.period{"".join(f", b.{c}" for c in cols)},
  {r6("b.sales")} AS sales, b.orders,
  {r6("b.returns")} AS returns, {r6("b.sales - b.returns")} AS net_sales,
  {_ratio("b.sales", "b.orders")} AS aov,
  {_ratio("b.units", "b.orders")} AS units_per_order,
  b.active_members, b.new_members, b.active_members - b.new_members AS returning_members,
  {_ratio("b.repeat_members", "b.active_members")} AS repurchase_rate,
  {_ratio("b.member_sales", "b.sales")} AS member_sales_share,
  b.coupon_orders, b.coupon_claims, b.coupon_claims_redeemed, b.coupon_members,
  {_ratio("b.coupon_claims_redeemed", "b.coupon_claims")} AS coupon_redemption_rate,
  {_ratio("b.sales - p.sales", "p.sales")} AS sales_growth_prev,
  {_ratio("b.sales - y.sales", "y.sales")} AS sales_growth_yoy,
  {_ratio("b.orders - p.orders", "p.orders")} AS orders_growth_prev,
  {_ratio("b.orders - y.orders", "y.orders")} AS orders_growth_yoy,
  {_ratio("b.active_members - p.active_members", "p.active_members")} AS active_growth_prev,
  {_ratio("b.active_members - y.active_members", "y.active_members")} AS active_growth_yoy,
  {_ratio("b.coupon_claims - p.coupon_claims", "p.coupon_claims")} AS coupon_claims_growth_prev,
  {_ratio("b.coupon_claims - y.coupon_claims", "y.coupon_claims")} AS coupon_claims_growth_yoy,
  {_rate_change("b", "p")} AS coupon_redemption_rate_change_prev,
  {_rate_change("b", "y")} AS coupon_redemption_rate_change_yoy
FROM m b
LEFT JOIN m p ON p.period = CAST(b.period - INTERVAL {step} AS DATE){same("p")}
LEFT JOIN m y ON y.period = CAST(b.period - INTERVAL {last_year} AS DATE){same("y")}
WHERE true {outer}
ORDER BY b.period{"".join(f", b.{c}" for c in cols)}
"""


COHORT_SQL = f"""
WITH fo AS (
  SELECT customer_id, CAST(date_trunc('month', min(order_day)) AS DATE) AS cohort
  FROM ins_order_facts WHERE status = 'paid' AND customer_id IS NOT NULL GROUP BY customer_id
), act AS (
  SELECT DISTINCT o.customer_id, CAST(date_trunc('month', o.order_day) AS DATE) AS month
  FROM ins_order_facts o WHERE o.status = 'paid' AND o.customer_id IS NOT NULL
), sizes AS (SELECT cohort, count(*) AS cohort_size FROM fo GROUP BY cohort)
SELECT f.cohort AS cohort_month,
       CAST((year(a.month) - year(f.cohort)) * 12 + month(a.month) - month(f.cohort) AS INTEGER)
         AS months_since,
       count(*) AS retained, s.cohort_size,
       {r6("CAST(count(*) AS DOUBLE) / s.cohort_size")} AS retention
FROM fo f JOIN act a ON a.customer_id = f.customer_id JOIN sizes s ON s.cohort = f.cohort
GROUP BY f.cohort, 2, s.cohort_size
"""

PROVINCE_SQL = f"""
SELECT coalesce(s.province, c.province) AS province, coalesce(s.city, c.city) AS city,
       count(*) AS orders, {r6("sum(o.paid_amount)")} AS sales,
       count(DISTINCT o.customer_id) AS members
FROM ins_order_facts o
LEFT JOIN dim_store s ON s.store_code = o.store_code
LEFT JOIN customers c ON c.customer_id = o.customer_id
WHERE o.status = 'paid'
GROUP BY 1, 2
"""


def summary_sql(service_coupons: bool = False) -> str:
    """Headline KPIs over all the data. Coupons: issued (one per code), redeemed, and the issue
    rate = members who received at least one coupon / members (at most 1)."""
    return f"""
WITH paid AS (SELECT * FROM ins_order_facts WHERE status = 'paid'),
buyers AS (SELECT count(DISTINCT customer_id) AS n FROM paid WHERE customer_id IS NOT NULL),
rep AS (
  SELECT count(*) AS n FROM (
    SELECT customer_id FROM paid WHERE customer_id IS NOT NULL GROUP BY customer_id
    HAVING count(DISTINCT order_day) >= 2) t
),
rv AS (
  SELECT count(*) AS n, count(*) FILTER (WHERE rating = 5) AS promoters,
         count(*) FILTER (WHERE rating <= 3) AS detractors FROM reviews
),
issued AS ({coupon_issues_sql(service_coupons)}),
cp AS (
  SELECT count(*) AS claims, count(*) FILTER (WHERE redeemed) AS redeemed,
         (SELECT count(*) FROM paid WHERE coupon_code IS NOT NULL) AS coupon_orders,
         (SELECT count(*) FROM customers) AS members,
         (SELECT count(*) FROM customers
          WHERE customer_id IN (SELECT customer_id FROM issued)) AS coupon_members
  FROM issued i
)
SELECT (SELECT as_of FROM ins_as_of) AS as_of,
  {r6("(SELECT sum(paid_amount) FROM paid)")} AS sales,
  (SELECT count(*) FROM paid) AS orders,
  buyers.n AS buyers, cp.members,
  {_ratio("(SELECT sum(paid_amount) FROM paid WHERE customer_id IS NOT NULL)", "buyers.n")}
    AS cltv_historic,
  {_ratio("rep.n", "buyers.n")} AS repurchase_rate,
  rv.n AS nps_responses,
  CASE WHEN rv.n > 0 THEN {r6("100.0 * (rv.promoters - rv.detractors) / rv.n")} END AS nps,
  cp.claims AS coupons_issued, cp.redeemed AS coupons_redeemed, cp.coupon_orders,
  cp.coupon_members, {_ratio("cp.coupon_members", "cp.members")} AS coupon_issue_rate,
  {_ratio("cp.redeemed", "cp.claims")} AS coupon_redemption_rate
FROM buyers, rep, rv, cp
"""


SUMMARY_SQL = summary_sql()
