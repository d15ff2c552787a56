"""Demand series from the analytics engine: engine-neutral SQL, then one dense array.

Demand is what customers took: the quantity of sale lines (``line_kind = 'sale'``, positive
quantity) on paid orders. Cancelled orders, returns, charges and adjustments (postage, bank
fees...) are not demand. Periods are calendar days or ISO weeks (starting Monday); a last
period the data does not cover to its end is dropped, and periods without sales are 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np

from omniretail.insight.forecast.errors import UnknownSource
from omniretail.insight.forecast.methods import Array
from omniretail.platform.engine.base import AnalyticsEngine

Freq = Literal["day", "week"]
STEP_DAYS = {"day": 1, "week": 7}


def demand_lines_sql(source: str | None, *, table_lines: str, table_orders: str) -> str:
    """Sale lines of paid orders: ``sku, store_code, ordered_at, quantity``."""
    where = "" if source is None else f" AND o.source = '{source.replace(chr(39), '')}'"
    return f"""
SELECT l.sku, o.store_code, o.ordered_at, CAST(l.quantity AS DOUBLE) AS quantity
FROM {table_lines} l JOIN {table_orders} o ON o.source = l.source AND o.order_id = l.order_id
WHERE coalesce(o.status, 'paid') = 'paid' AND coalesce(l.line_kind, 'sale') = 'sale'
  AND l.quantity > 0 AND o.ordered_at IS NOT NULL AND l.sku IS NOT NULL{where}
"""


def period_sql(freq: Freq, column: str) -> str:
    return (
        f"CAST(date_trunc('week', {column}) AS DATE)"
        if freq == "week"
        else f"CAST({column} AS DATE)"
    )


@dataclass(frozen=True)
class Panel:
    """Dense demand: ``values[i, t]`` is series ``keys[i]`` in period ``start + t * step``."""

    keys: list[str]
    start: date
    freq: Freq
    values: Array

    @property
    def periods(self) -> int:
        return int(self.values.shape[1])

    def period_start(self, t: int) -> date:
        return self.start + timedelta(days=STEP_DAYS[self.freq] * t)


def sources(engine: AnalyticsEngine) -> list[str]:
    if not engine.table_exists("std_orders"):
        return []
    return [r["source"] for r in engine.fetch_rows("SELECT DISTINCT source FROM std_orders")]


def top_sku_panel(engine: AnalyticsEngine, *, source: str, freq: Freq, top: int) -> Panel:
    """The ``top`` SKUs of an imported source by periods with sales (ties by SKU), dense."""
    known = sources(engine)
    if source not in known:
        raise UnknownSource(
            f"no imported orders for source {source!r}; imported sources: "
            f"{', '.join(sorted(known)) or 'none'} (import, then run `omniretail pipeline run`)",
            field="source",
        )
    lines = demand_lines_sql(source, table_lines="std_order_lines", table_orders="std_orders")
    p = period_sql(freq, "ordered_at")
    step = STEP_DAYS[freq]
    sql = f"""
WITH l AS (SELECT sku, {p} AS period, ordered_at, quantity FROM ({lines}) x),
b AS (SELECT min(period) AS p0, max(period) AS p1, max(ordered_at) AS t1 FROM l),
c AS (
    SELECT l.* FROM l, b
    WHERE l.period < CASE WHEN CAST(b.t1 AS DATE) >= b.p1 + INTERVAL {step - 1} DAY
                          THEN b.p1 + INTERVAL {step} DAY ELSE b.p1 END
),
top AS (
    SELECT sku, row_number() OVER (ORDER BY count(DISTINCT period) DESC, sku) AS rk
    FROM c GROUP BY sku
)
SELECT top.rk, c.sku, c.period, sum(c.quantity) AS qty,
       (SELECT min(period) FROM c) AS p0, (SELECT max(period) FROM c) AS p1
FROM c JOIN top ON top.sku = c.sku
WHERE top.rk <= {int(top)}
GROUP BY top.rk, c.sku, c.period
"""
    t = engine.fetch_arrow(sql)
    if t.num_rows == 0:
        raise UnknownSource(f"source {source!r} has no sale lines on paid orders", field="source")
    rk = np.asarray(t.column("rk").to_numpy(), dtype=np.int64) - 1
    period = t.column("period").to_pylist()
    p0: date = t.column("p0")[0].as_py()
    p1: date = t.column("p1")[0].as_py()
    n_periods = (p1 - p0).days // step + 1
    col = np.array([(d - p0).days // step for d in period], dtype=np.int64)
    n = int(rk.max()) + 1
    values = np.zeros((n, n_periods))
    np.add.at(values, (rk, col), np.asarray(t.column("qty").to_numpy(), dtype=np.float64))
    keys = [""] * n
    for r, s in zip(rk.tolist(), t.column("sku").to_pylist(), strict=True):
        keys[r] = s
    return Panel(keys=keys, start=p0, freq=freq, values=values)
