"""Survivorship when records tie on the rule's key: two records of one source seen at the same
time (a member list landed in one file gives every row the file's time) with different home
stores. Each engine used to keep whichever it met first; now the record key decides, the same
on DuckDB and on Spark (the published customers of both engines are compared row by row in
tests/platform/test_spark_cluster.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa
import pytest

from omniretail.cdp.profile.config import ProfileConfig
from omniretail.cdp.profile.golden import build_customers
from omniretail.platform.engine.duckdb import DuckDBEngine

pytestmark = pytest.mark.spark

LANDED = datetime(2026, 12, 7, 5, 0)


@pytest.fixture(scope="module")
def spark() -> Any:
    pytest.importorskip("pyspark")
    from omniretail.platform.engine.spark import build_session

    return build_session("local[2]", shuffle_partitions=2)


def test_tied_records_resolve_by_record_key_on_both_engines(spark) -> None:
    from omniretail.platform.engine.spark import SparkEngine

    # the record met first is not the one that survives
    records = pa.table(
        {
            "record_key": ["pos:0001", "pos:0002", "crm:9"],
            "source": ["pos", "pos", "crm"],
            "observed_at": [LANDED, LANDED, LANDED],
            "home_store_code": ["S0018", "S0003", None],
            "city": [None, None, "广州"],
        }
    )
    mapping = pa.table({"record_key": ["pos:0001", "pos:0002", "crm:9"], "customer_id": ["C1"] * 3})
    out = []
    for engine in (DuckDBEngine(), SparkEngine(session=spark.newSession())):
        try:
            engine.register_arrow("std_identity_records", records)
            engine.register_arrow("identity_map", mapping)
            assert build_customers(engine, ProfileConfig()) == 1
            out.append(
                engine.fetch_rows(
                    "SELECT home_store_code, city, golden_sources, sources FROM customers"
                )[0]
            )
        finally:
            engine.close()
    assert out[0] == out[1]
    assert out[0]["home_store_code"] == "S0003"  # pos:0002 > pos:0001
    assert out[0]["city"] == "广州"
    assert out[0]["sources"] == ["crm", "pos"]
