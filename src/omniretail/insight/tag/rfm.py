"""RFM scoring (RFM模型) and the eight classic groups.

R = days since the last paid order, F = paid orders, M = spend, over the buyers in
``customer_features``. Binning is configurable:

- ``quantile`` (default): each score is ``1 + floor(bins × (rank − 1) / buyers)`` with ties
  sharing a rank, so equal values always get equal scores on every engine;
- ``fixed``: business thresholds, e.g. R ≤ 30/90/180/365 days, F ≥ 2/3/5/8 orders.

A dimension is "high" (高) when the score is above the buyers' mean score; the three
high/low flags map to 重要价值 ... 一般挽留.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

GROUPS: dict[tuple[bool, bool, bool], tuple[str, str]] = {
    (True, True, True): ("重要价值", "important_value"),
    (True, False, True): ("重要发展", "important_develop"),
    (False, True, True): ("重要保持", "important_retain"),
    (False, False, True): ("重要挽留", "important_winback"),
    (True, True, False): ("一般价值", "general_value"),
    (True, False, False): ("一般发展", "general_develop"),
    (False, True, False): ("一般保持", "general_retain"),
    (False, False, False): ("一般挽留", "general_winback"),
}


@dataclass(frozen=True)
class RfmConfig:
    binning: Literal["quantile", "fixed"] = "quantile"
    bins: int = 5
    # fixed thresholds (ascending); a score is 1 + the number of thresholds met
    recency_days: tuple[int, ...] = field(default=(365, 180, 90, 30))
    frequency: tuple[int, ...] = field(default=(2, 3, 5, 8))
    monetary: tuple[float, ...] = field(default=(200.0, 500.0, 1000.0, 3000.0))

    def __post_init__(self) -> None:
        if self.binning not in ("quantile", "fixed"):
            raise ValueError(f"unknown RFM binning {self.binning!r}; use quantile or fixed")
        if self.bins < 2:
            raise ValueError("RFM needs at least 2 bins")


def _quantile(value: str, bins: int, descending: bool) -> str:
    order = f"{value} DESC" if descending else value
    return (
        f"CAST(1 + floor({bins} * CAST(rank() OVER (ORDER BY {order}) - 1 AS DOUBLE) "
        f"/ count(*) OVER ()) AS INTEGER)"
    )


def _fixed(value: str, thresholds: tuple[float, ...], below: bool) -> str:
    cmp = "<=" if below else ">="
    terms = " + ".join(f"CASE WHEN {value} {cmp} {t} THEN 1 ELSE 0 END" for t in thresholds)
    return f"CAST(1 + {terms} AS INTEGER)"


def rfm_sql(config: RfmConfig | None = None) -> str:
    cfg = config or RfmConfig()
    if cfg.binning == "quantile":
        r = _quantile("recency_days", cfg.bins, descending=True)
        f = _quantile("orders_total", cfg.bins, descending=False)
        m = _quantile("net_sales_total", cfg.bins, descending=False)
    else:
        r = _fixed("recency_days", cfg.recency_days, below=True)
        f = _fixed("orders_total", cfg.frequency, below=False)
        m = _fixed("net_sales_total", cfg.monetary, below=False)
    cases = " ".join(
        f"WHEN r_high = {str(k[0]).lower()} AND f_high = {str(k[1]).lower()} "
        f"AND m_high = {str(k[2]).lower()} THEN '{v[0]}'"
        for k, v in GROUPS.items()
    )
    codes = " ".join(f"WHEN '{zh}' THEN '{code}'" for zh, code in GROUPS.values())
    return f"""
WITH scored AS (
  SELECT customer_id, recency_days, orders_total AS frequency, net_sales_total AS monetary,
         {r} AS r_score, {f} AS f_score, {m} AS m_score
  FROM customer_features WHERE orders_total > 0
), flagged AS (
  SELECT *,
    r_score * count(*) OVER () > sum(r_score) OVER () AS r_high,
    f_score * count(*) OVER () > sum(f_score) OVER () AS f_high,
    m_score * count(*) OVER () > sum(m_score) OVER () AS m_high
  FROM scored
), grouped AS (
  SELECT *, CASE {cases} END AS rfm_group FROM flagged
)
SELECT customer_id, recency_days, frequency, monetary, r_score, f_score, m_score,
       CAST(r_score AS VARCHAR) || CAST(f_score AS VARCHAR) || CAST(m_score AS VARCHAR)
         AS rfm_code,
       r_high, f_high, m_high, rfm_group,
       CASE rfm_group {codes} END AS rfm_group_code
FROM grouped
"""
