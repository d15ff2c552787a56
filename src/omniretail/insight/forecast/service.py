"""Demand forecasting services: accuracy on an imported source, forecasts and suggestions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from omniretail.insight.forecast import evaluation, policy, quantiles, series
from omniretail.insight.forecast.errors import (
    BadReplenishmentInput,
    SuggestionAlreadyDecided,
    SuggestionNotFound,
    UnknownSource,
)
from omniretail.insight.forecast.models import ReplenishmentSuggestion
from omniretail.insight.forecast.schemas import Decision, SuggestionRead, SuggestRequest
from omniretail.omnichannel.inventory import service as inventory_service
from omniretail.omnichannel.product import service as product_service
from omniretail.omnichannel.store import service as store_service
from omniretail.platform.engine import open_published
from omniretail.platform.errors import InvalidInput
from omniretail.platform.timezone import to_wall_clock


def evaluate_source(
    *,
    source: str,
    freq: str = "week",
    horizon: int = 8,
    windows: int = 3,
    top: int = 100,
    season_length: int | None = None,
    methods: list[str] | None = None,
    on_method: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The protocol of :mod:`evaluation` on the top SKUs of an imported source, read from the
    published analytics snapshot (the std_ tables the pipeline built from the landed files)."""
    if freq not in series.STEP_DAYS:
        raise InvalidInput(f"--freq must be week or day, not {freq!r}", field="freq")
    if top < 1:
        raise InvalidInput("--top must be at least 1", field="top")
    eng = open_published()
    if eng is None:
        raise UnknownSource(
            "nothing is published yet: import the file, then run `omniretail pipeline run` "
            "(or `omniretail quality reprocess --publish`)",
            field="source",
        )
    with eng:
        panel = series.top_sku_panel(eng, source=source, freq=cast(series.Freq, freq), top=top)
    report = evaluation.evaluate(
        panel.values,
        horizon=horizon,
        windows=windows,
        season_length=season_length or (52 if freq == "week" else 7),
        methods=methods,
        on_method=on_method,
    )
    return {
        "source": source,
        "freq": freq,
        "horizon": horizon,
        "windows": windows,
        "series": len(panel.keys),
        "periods": panel.periods,
        "first_period": panel.start.isoformat(),
        **report,
        "test_cutoffs": [panel.period_start(c).isoformat() for c in report["test_cutoffs"]],
    }


# --- replenishment suggestions (operational store) -------------------------------------------


def _store_forecasts(store_code: str, start: date | None, days: int) -> tuple[date, dict[str, Any]]:
    """Per SKU of the store: (mean demand over ``days`` days from ``start``, NB size per day)
    from the published ``fc_daily``."""
    from omniretail.platform.engine.snapshot import NoPublishedSnapshot

    eng = open_published()
    if eng is None or not eng.table_exists("fc_daily"):
        raise NoPublishedSnapshot(
            "no published forecasts yet: run `omniretail pipeline run`", field="store_code"
        )
    with eng:
        first: date | None = eng.scalar("SELECT min(day) FROM fc_daily")
        day0 = start or first
        if day0 is None:
            raise NoPublishedSnapshot("the forecast table is empty", field="store_code")
        rows = eng.fetch_rows(
            "SELECT sku, sum(forecast) AS cover, avg(nb_size) AS k, count(*) AS n "
            "FROM fc_daily WHERE store_code = ? AND day >= ? AND day < ? GROUP BY sku",
            [store_code, day0, day0 + timedelta(days=days)],
        )
    return day0, {r["sku"]: r for r in rows}


def suggest(session: Session, *, data: SuggestRequest) -> list[SuggestionRead]:
    """Order suggestions for one store: order up to the ``service_level`` quantile of demand
    over lead time + review period, minus stock on hand (the inventory ledger) and approved
    orders still on their way, in whole packs (the product master). Re-running replaces the
    proposals of that day that nobody decided yet; decided ones are kept as they are."""
    store_service.get_store(session, code=data.store_code)  # UnknownStore names the code
    cover_days = data.lead_time_days + data.review_days
    day0, fc = _store_forecasts(data.store_code, data.review_date, cover_days)
    if not fc:
        return []
    skus = sorted(fc)
    products = product_service.get_products(session, skus=skus)
    existing = {
        s.sku: s
        for s in session.scalars(
            select(ReplenishmentSuggestion).where(
                ReplenishmentSuggestion.store_code == data.store_code,
                ReplenishmentSuggestion.review_date == day0,
            )
        )
    }
    in_transit: dict[str, int] = {}
    for s in session.scalars(
        select(ReplenishmentSuggestion).where(
            ReplenishmentSuggestion.store_code == data.store_code,
            ReplenishmentSuggestion.status == "approved",
            ReplenishmentSuggestion.review_date < day0,
            ReplenishmentSuggestion.review_date
            >= day0 - timedelta(days=max(data.lead_time_days, 1)),
        )
    ):
        in_transit[s.sku] = in_transit.get(s.sku, 0) + int(s.approved_qty or 0)
    mean = np.array([float(fc[k]["cover"]) for k in skus])
    days_seen = np.array([max(int(fc[k]["n"]), 1) for k in skus], dtype=np.float64)
    mean = mean * cover_days / days_seen  # past the forecast's end: the same daily rate
    k_cover = np.array([float(fc[k]["k"] or quantiles.MAX_K) for k in skus]) * cover_days
    level = quantiles.nb_quantile(mean, k_cover, data.service_level)
    on_hand = np.array([_on_hand(session, data.store_code, k) for k in skus], dtype=np.float64)
    on_order = np.array([in_transit.get(k, 0) for k in skus], dtype=np.float64)
    packs = np.array([products[k].pack_size if k in products else 1 for k in skus])
    qty = policy.order_quantity(level, on_hand=on_hand, on_order=on_order, pack_size=packs)
    out: list[ReplenishmentSuggestion] = []
    for i, sku in enumerate(skus):
        row = existing.get(sku)
        if row is not None and row.status != "proposed":
            out.append(row)
            continue
        if row is None:
            row = ReplenishmentSuggestion(
                store_code=data.store_code, sku=sku, review_date=day0, status="proposed"
            )
            session.add(row)
        row.forecast_cover = round(float(mean[i]), 3)
        row.order_up_to = int(level[i])
        row.safety_stock = int(max(level[i] - mean[i], 0))
        row.on_hand, row.on_order = int(on_hand[i]), int(on_order[i])
        row.pack_size = int(packs[i])
        row.lead_time_days, row.review_days = data.lead_time_days, data.review_days
        row.service_level = data.service_level
        row.suggested_qty = int(qty[i])
        out.append(row)
    session.flush()
    return [SuggestionRead.model_validate(r) for r in out]


def _on_hand(session: Session, store_code: str, sku: str) -> int:
    """Stock on hand from the inventory ledger; 0 where it has no record for the pair."""
    from omniretail.omnichannel.inventory.errors import UnknownLocation, UnknownSku

    try:
        return max(inventory_service.get_level(session, location=store_code, sku=sku).on_hand, 0)
    except (UnknownLocation, UnknownSku):
        return 0


def list_suggestions(
    session: Session, *, store_code: str, status: str | None = None, review_date: date | None = None
) -> list[SuggestionRead]:
    q = select(ReplenishmentSuggestion).where(ReplenishmentSuggestion.store_code == store_code)
    if status:
        q = q.where(ReplenishmentSuggestion.status == status)
    if review_date:
        q = q.where(ReplenishmentSuggestion.review_date == review_date)
    q = q.order_by(
        ReplenishmentSuggestion.review_date.desc(),
        ReplenishmentSuggestion.suggested_qty.desc(),
        ReplenishmentSuggestion.sku,
    )
    return [SuggestionRead.model_validate(r) for r in session.scalars(q)]


def get_suggestion(session: Session, *, suggestion_id: int) -> SuggestionRead:
    row = session.get(ReplenishmentSuggestion, suggestion_id)
    if row is None:
        raise SuggestionNotFound(f"没有编号为 {suggestion_id} 的补货建议", field="suggestion_id")
    return SuggestionRead.model_validate(row)


def decide(
    session: Session,
    *,
    suggestion_id: int,
    decision: Decision,
    user: str,
    now: datetime | None = None,
) -> SuggestionRead:
    """Approve (with the suggested or an edited quantity) or reject, once; who and when are
    recorded. A second decision on the same suggestion is refused, not applied."""
    row = session.get(ReplenishmentSuggestion, suggestion_id, with_for_update=True)
    if row is None:
        raise SuggestionNotFound(f"没有编号为 {suggestion_id} 的补货建议", field="suggestion_id")
    if row.status != "proposed":
        when = f"{to_wall_clock(row.decided_at):%Y-%m-%d %H:%M}" if row.decided_at else "—"
        raise SuggestionAlreadyDecided(
            f"补货建议 {suggestion_id} 已于 {when} 由 {row.decided_by} "
            f"{'批准' if row.status == 'approved' else '拒绝'}",
            field="suggestion_id",
        )
    qty = row.suggested_qty if decision.quantity is None else decision.quantity
    if decision.approve and qty % max(row.pack_size, 1):
        raise BadReplenishmentInput(
            f"数量 {qty} 不是整箱（每箱 {row.pack_size} 件）", field="quantity"
        )
    row.status = "approved" if decision.approve else "rejected"
    row.approved_qty = qty if decision.approve else None
    row.decided_by = user
    row.decided_at = now or datetime.now(UTC)
    row.note = decision.note
    session.flush()
    return SuggestionRead.model_validate(row)


# --- console reads of the published forecasts ------------------------------------------------

LEVELS = (
    ("category", "品类", "Category"),
    ("sku", "商品", "SKU"),
    ("region_category", "大区 × 品类", "Region × category"),
    ("city_category", "城市 × 品类", "City × category"),
    ("store_category", "门店 × 品类", "Store × category"),
    ("store_sku", "门店 × 商品", "Store × SKU"),
)
STORE_LEVELS = ("store_category", "store_sku")
_KEY_SQL = {
    "category": "category_code",
    "sku": "sku",
    "region_category": "region || ' · ' || category_code",
    "city_category": "city || ' · ' || category_code",
    "store_category": "store_code || ' · ' || category_code",
    "store_sku": "store_code || ' · ' || sku",
}


def forecast_store_codes() -> list[str]:
    eng = open_published()
    if eng is None:
        return []
    with eng:
        if not eng.table_exists("fc_daily"):
            return []
        return [
            r["s"]
            for r in eng.fetch_rows("SELECT DISTINCT store_code AS s FROM fc_daily ORDER BY 1")
        ]


def forecast_vs_actual(
    *, level: str, key: str | None, store_codes: list[str] | None
) -> dict[str, Any] | None:
    """Weekly forecast, P90 and actual of one level (one key, or all of it) from
    ``fc_backtest``; a store-bound user sees only the store levels of their stores."""
    levels = [lv for lv in LEVELS if store_codes is None or lv[0] in STORE_LEVELS]
    if level not in {lv[0] for lv in levels}:
        level = levels[0][0]
    eng = open_published()
    if eng is None:
        return None
    with eng:
        if not eng.table_exists("fc_backtest"):
            return None
        where, params = ["level = ?"], [level]
        if store_codes is not None:
            where.append("list_contains(?, store_code)")
            params.append(store_codes)  # type: ignore[arg-type]
        keys = [
            r["k"]
            for r in eng.fetch_rows(
                f"SELECT DISTINCT {_KEY_SQL[level]} AS k FROM fc_backtest "
                f"WHERE {' AND '.join(where)} ORDER BY 1 LIMIT 500",
                params,
            )
        ]
        if key:
            where.append(f"{_KEY_SQL[level]} = ?")
            params.append(key)
        weeks = eng.fetch_rows(
            "SELECT CAST(week_start AS VARCHAR) AS week, sum(forecast) AS forecast, "
            "sum(p90) AS p90, sum(actual) AS actual FROM fc_backtest "
            f"WHERE {' AND '.join(where)} GROUP BY week_start ORDER BY week_start",
            params,
        )
        err = eng.fetch_rows(
            "SELECT sum(abs(actual - forecast)) AS ae, sum(actual) AS a, sum(forecast) AS f "
            f"FROM fc_backtest WHERE {' AND '.join(where)}",
            params,
        )[0]
    actual = float(err["a"] or 0)
    return {
        "levels": levels,
        "options": keys,
        "weeks": weeks,
        "wape": float(err["ae"]) / actual if actual else None,
        "bias": (float(err["f"]) - actual) / actual if actual else None,
        "forecast_total": float(err["f"] or 0),
        "actual_total": actual,
    }
