"""The real UCI Online Retail II export through the shipped mapping (docs/ingest.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from omniretail.cdp.ingest import service
from omniretail.cdp.ingest.mapping import shipped_mapping
from omniretail.cdp.quality import service as quality
from omniretail.platform.db import session_scope
from tests.cdp.quality.helpers import standardize

UCI = (
    Path(__file__).resolve().parents[3].parent / "shared" / "data" / "online_retail_II_sample.xlsx"
)

pytestmark = pytest.mark.skipif(
    not UCI.is_file(), reason="../shared/data/online_retail_II_sample.xlsx (UCI sample) is absent"
)


def test_uci_export_imports_with_every_row_accounted_for(sqlite_session: Any) -> None:
    with session_scope() as s:
        res = service.import_with_mapping_file(
            s, source=None, mapping_path=shipped_mapping("uci_online_retail_ii"), files=[UCI]
        )
    assert res[0].rows == 34_766  # both sheets: 14,269 + 20,497
    landing = service.get_settings().landing_dir
    eng, _ = standardize()
    try:
        raw = eng.fetch_rows(
            f"SELECT count(*) FILTER (WHERE starts_with(Invoice, 'C')) AS cancel_lines, "
            f'count(*) FILTER (WHERE "Customer ID" IS NULL) AS anonymous_lines '
            f"FROM read_parquet('{landing}/uci_online_retail_ii/*.parquet')"
        )[0]
        orders = eng.fetch_rows(
            "SELECT status, count(*) AS n, count(*) FILTER (WHERE record_key IS NULL) AS anon "
            "FROM std_orders GROUP BY 1 ORDER BY 1"
        )
        n_customers = eng.scalar("SELECT count(*) FROM std_identity_records")
        kinds = {
            r["line_kind"]: r["n"]
            for r in eng.fetch_rows(
                "SELECT line_kind, count(*) AS n FROM std_order_lines GROUP BY 1"
            )
        }
        neg = eng.scalar(
            "SELECT count(*) FROM std_order_lines WHERE line_kind = 'return' AND quantity >= 0"
        )
    finally:
        eng.close()
    assert raw == {"cancel_lines": 761, "anonymous_lines": 601}
    assert n_customers == 262
    assert sum(o["n"] for o in orders) == 1_742
    assert {o["status"] for o in orders} == {"paid", "returned"}
    assert any(o["anon"] > 0 for o in orders)  # anonymous invoices kept with record_key null
    assert neg == 0  # every return line has a negative quantity
    with session_scope() as s:
        rep = quality.report(s, source="uci_online_retail_ii")[0]
    assert rep["rows_read"] == 34_766
    assert rep["rows_read"] == rep["accepted"] + rep["duplicates"] + rep["quarantined"]
    assert rep["duplicates"] == 515
    assert (
        rep["classified"]["invoice_kind"]["credit_note"] + rep["classified"]["invoice_kind"]["sale"]
        == rep["accepted"]
    )
    assert rep["classified"]["line_class"]["adjustment"] == kinds["adjustment"]
    assert kinds["adjustment"] > 1_000  # POST, M, D, C2, ADJUST rows, classified explicitly
    assert rep["classified"]["order_without_identity"] == 590  # 601 lines minus 11 duplicates
