from __future__ import annotations

import pandas as pd
import pytest

from omniretail.insight.clv.datasets import CDNOW_CALIBRATION_END, cdnow_transactions
from omniretail.insight.clv.summary import SummarySpec
from omniretail.platform.engine.duckdb import DuckDBEngine
from omniretail.platform.errors import NotFound


@pytest.fixture(scope="session")
def cdnow_tx() -> pd.DataFrame:
    try:
        return cdnow_transactions()
    except NotFound as exc:
        pytest.skip(f"CDNOW sample unavailable: {exc.detail}")


@pytest.fixture(scope="session")
def cdnow_summary(cdnow_tx: pd.DataFrame):  # type: ignore[no-untyped-def]
    """The 2,357-customer, 39-week calibration summary, computed by our engine SQL."""
    import pyarrow as pa

    from omniretail.insight.clv.service import summarize

    with DuckDBEngine() as engine:
        engine.register_arrow("cdnow", pa.Table.from_pandas(cdnow_tx, preserve_index=False))
        spec = SummarySpec(
            source="cdnow",
            customer_col="customer_id",
            date_col="date",
            amount_col="amount",
            calibration_end=CDNOW_CALIBRATION_END,
            period="week",
        )
        return summarize(engine, spec)
