"""Returns netted on the real UCI Online Retail II export (../shared/data): credit notes are
returns (after fulfilment), not cancellations, and reduce RFM monetary, net sales and the
return-rate tags (issue 16)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from omniretail.cdp.ingest import service
from omniretail.cdp.ingest.mapping import shipped_mapping
from omniretail.platform import pipeline
from omniretail.platform.config import get_settings
from omniretail.platform.db import session_scope
from omniretail.platform.engine import open_engine

UCI = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "online_retail_II_sample.xlsx"
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not UCI.is_file(), reason="../shared/data/online_retail_II_sample.xlsx absent"
    ),
]

STEPS = [
    "standardize", "omnichannel.master", "identity", "unify",
    "insight.features", "insight.rfm", "insight.lifecycle", "insight.tags", "insight.kpis",
]  # fmt: skip


def test_credit_notes_are_netted(sqlite_session: Any) -> None:
    with session_scope() as s:
        service.import_with_mapping_file(
            s, source=None, mapping_path=shipped_mapping("uci_online_retail_ii"), files=[UCI]
        )
    settings = get_settings()
    eng = open_engine(settings=settings)
    try:
        ctx = pipeline.PipelineContext(engine=eng, settings=settings)
        pipeline.run(ctx, only=STEPS)
        c = eng.fetch_rows(
            "SELECT f.sales_total, f.returns_total, f.net_sales_total, f.returned_orders,"
            " f.cancelled_orders, r.monetary FROM customer_features f"
            " JOIN rfm r USING (customer_id)"
            " WHERE f.customer_id = (SELECT customer_id FROM identity_map"
            "   WHERE record_key LIKE '%12503' LIMIT 1)"
        )
        totals = eng.fetch_rows(
            "SELECT count(*) FILTER (WHERE returned_orders > 0) AS with_returns,"
            " count(*) FILTER (WHERE cancelled_orders > 0) AS with_cancellations,"
            " sum(returns_total) AS returns FROM customer_features"
        )[0]
        kpi = eng.fetch_rows(
            "SELECT sum(sales) AS sales, sum(returns) AS returns, sum(net_sales) AS net,"
            " sum(returned_orders) AS returned, sum(cancelled_orders) AS cancelled FROM kpi_daily"
        )[0]
        tag = eng.scalar("SELECT count(*) FROM customer_tags WHERE return_rate > 0")
    finally:
        eng.close()
    assert len(c) == 1, c
    row = c[0]
    # customer 12503 returned everything they bought: £1,126 paid, £1,126 credited
    assert row["sales_total"] == pytest.approx(1126, abs=1)
    assert row["returns_total"] == pytest.approx(row["sales_total"], abs=0.01)
    assert row["net_sales_total"] == pytest.approx(0, abs=0.01)
    assert row["monetary"] == pytest.approx(0, abs=0.01)
    assert row["returned_orders"] > 0
    assert row["cancelled_orders"] == 0
    # the raw file, independently: credit notes of identified customers, duplicates dropped
    raw = pd.concat(pd.read_excel(UCI, sheet_name=None).values()).drop_duplicates()
    credit = raw[raw["Invoice"].astype(str).str.startswith("C") & raw["Customer ID"].notna()]
    assert totals["with_returns"] == credit["Customer ID"].nunique() == 116
    assert totals["with_cancellations"] == 0
    assert totals["returns"] == pytest.approx(-(credit["Quantity"] * credit["Price"]).sum())
    assert totals["returns"] == pytest.approx(63_181.41, abs=0.01)
    assert kpi["cancelled"] == 0
    assert kpi["returned"] == 303  # credit notes, all of them returns now (were "cancelled")
    assert float(kpi["net"]) == pytest.approx(float(kpi["sales"]) - float(kpi["returns"]), abs=1)
    assert tag == 116
