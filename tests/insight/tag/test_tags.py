"""Tag values checked against the raw contract tables computed independently in pandas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from omniretail.insight.tag.catalogue import all_tags
from omniretail.platform.engine.duckdb import DuckDBEngine
from tests.insight.conftest import load_world, run_insight


@pytest.fixture(scope="module")
def tags(insight_duckdb) -> pd.DataFrame:
    return (
        insight_duckdb.fetch_arrow("SELECT * FROM customer_tags")
        .to_pandas()
        .set_index("customer_id")
    )


def test_one_row_per_customer_one_column_per_tag(tags, small_world) -> None:
    assert len(tags) == small_world["customers"].num_rows
    assert list(tags.columns) == [t.id for t in all_tags()]


def test_order_totals_match_pandas(tags, small_world) -> None:
    orders = small_world["orders"].to_pandas()
    paid = orders[orders.status == "paid"]
    by_customer = paid.groupby("customer_id").agg(
        n=("order_id", "count"), sales=("paid_amount", lambda s: float(sum(s)))
    )
    joined = tags.join(by_customer, how="left")
    assert (joined["orders_total"] == joined["n"].fillna(0)).all()
    assert (joined["sales_total"] - joined["sales"].fillna(0)).abs().max() < 0.006
    returned = orders[orders.status == "returned"].groupby("customer_id").size()
    assert (tags["returned_orders"] == returned.reindex(tags.index).fillna(0)).all()


def test_most_active_channel_weighs_recent_orders_and_events(tags, small_world) -> None:
    orders = small_world["orders"].to_pandas()
    events = small_world["events"].to_pandas()
    as_of = max(
        orders.ordered_at.max().normalize(),
        events.occurred_at.max().normalize(),
        small_world["reviews"].to_pandas().created_at.max().normalize(),
    )

    def weight(ts: pd.Series) -> pd.Series:
        days = (as_of - ts.dt.normalize()).dt.days
        w = pd.Series(1, index=ts.index)
        w[days < 90] = 2
        w[days < 30] = 4
        return w.where(days < 180, 0)

    o = orders[orders.status == "paid"].copy()
    o["w"] = weight(o.ordered_at) * 2
    e = events.copy()
    e["w"] = weight(e.occurred_at)
    act = pd.concat(
        [o[["customer_id", "channel_code", "w"]], e[["customer_id", "channel_code", "w"]]]
    )
    act = act[act.w > 0].groupby(["customer_id", "channel_code"]).w.sum().reset_index()
    act = act.sort_values(["customer_id", "w", "channel_code"], ascending=[True, False, True])
    expected = act.drop_duplicates("customer_id").set_index("customer_id").channel_code
    got = tags.loc[expected.index, "most_active_channel"]
    assert (got == expected).all()


def test_preferred_store_falls_back_to_home_store(tags, small_world) -> None:
    customers = small_world["customers"].to_pandas().set_index("customer_id")
    no_orders = tags[tags.orders_total == 0]
    assert len(no_orders) > 0
    assert (
        no_orders.preferred_store.fillna("-")
        == customers.loc[no_orders.index].home_store_code.fillna("-")
    ).all()


def test_rfm_groups_and_lifecycle_stages(tags) -> None:
    buyers = tags[tags.orders_total > 0]
    assert buyers.rfm_group.notna().all()
    assert set(buyers.rfm_group) <= {
        "重要价值",
        "重要发展",
        "重要保持",
        "重要挽留",
        "一般价值",
        "一般发展",
        "一般保持",
        "一般挽留",
    }
    assert tags[tags.orders_total == 0].rfm_group.isna().all()
    assert (tags[tags.orders_total == 0].lifecycle_stage == "prospect").all()
    assert set(tags.lifecycle_stage) == {
        "prospect",
        "new",
        "growing",
        "mature",
        "dormant",
        "churned",
    }
    best = buyers[(buyers.rfm_r == 5) & (buyers.rfm_f == 5) & (buyers.rfm_m == 5)]
    assert (best.rfm_group == "重要价值").all()
    churned = tags[tags.lifecycle_stage == "churned"]
    dormant = tags[tags.lifecycle_stage == "dormant"]
    assert churned.days_since_last_order.min() > dormant.days_since_last_order.min()
    assert dormant.is_dormant.all()
    assert not tags[tags.lifecycle_stage != "dormant"].is_dormant.any()


def test_fixed_rfm_binning_from_config(small_world, tmp_path: Path) -> None:
    (tmp_path / "insight.json").write_text(
        '{"rfm": {"binning": "fixed", "recency_days": [365, 180, 90, 30],'
        ' "frequency": [2, 3, 5, 8], "monetary": [200, 500, 1000, 3000]}}'
    )
    engine = DuckDBEngine()
    load_world(engine, small_world)
    out = run_insight(engine, tmp_path, steps=["insight.features", "insight.rfm"])
    assert out["insight.rfm"]["binning"] == "fixed"
    rows = engine.fetch_rows(
        "SELECT f_score, min(frequency) AS lo, max(frequency) AS hi FROM rfm GROUP BY 1 ORDER BY 1"
    )
    assert rows[0]["hi"] == 1
    assert rows[-1]["lo"] >= 8
    engine.close()


def test_incremental_refresh_equals_full(small_world, tmp_path: Path) -> None:
    """Load the world without its last 20 days of orders, run, add them, run incrementally:
    the tags equal a full run over everything."""
    orders = small_world["orders"].to_pandas()
    cutoff = orders.ordered_at.max() - pd.Timedelta(days=20)
    engine = DuckDBEngine()
    load_world(engine, small_world)
    engine.materialize("orders_all", "SELECT * FROM orders")
    engine.materialize(
        "orders", f"SELECT * FROM orders_all WHERE ordered_at <= TIMESTAMP '{cutoff}'"
    )
    run_insight(engine, tmp_path)
    engine.materialize("orders", "SELECT * FROM orders_all")
    out = run_insight(engine, tmp_path, full=False)
    assert out["insight.features"]["mode"] == "incremental"
    assert out["insight.features"]["new_orders"] == int((orders.ordered_at > cutoff).sum())
    incremental = engine.fetch_arrow("SELECT * FROM customer_tags ORDER BY customer_id")
    run_insight(engine, tmp_path, full=True)
    full = engine.fetch_arrow("SELECT * FROM customer_tags ORDER BY customer_id")
    assert incremental.equals(full)
    engine.close()
