"""One pipeline, two engines: the insight steps on DuckDB and on Spark (local mode) over the
same small world give identical tags, RFM, lifecycle, segment members, KPIs and basket rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from omniretail.insight.kpi import service as kpi_service
from omniretail.insight.segment import service as segment_service
from tests.insight.conftest import load_world, run_insight

pytestmark = pytest.mark.spark

RULES: list[dict[str, Any]] = [
    {
        "all": [
            {"field": "gender", "op": "eq", "value": "F"},
            {
                "any": [
                    {"field": "rfm_group", "op": "in", "value": ["重要价值", "重要发展"]},
                    {"field": "lifecycle_stage", "op": "eq", "value": "dormant"},
                ]
            },
            {"purchase": {"category": "DUCK_NECK", "min_times": 2, "days": 365}},
            {"not": {"no_event": {"type": "store_visit", "days": 180}}},
            {"field": "sales_total", "op": "gte", "value": 100},
        ]
    },
    {
        "any": [
            {"field": "value_tier", "op": "in", "value": ["gold", "diamond"]},
            {"event": {"type": "share", "min_times": 1, "days": 90}},
        ]
    },
]


@pytest.fixture(scope="module")
def spark_engine(small_world, tmp_path_factory) -> Iterator[Any]:
    pytest.importorskip("pyspark")
    from omniretail.platform.engine.spark import SparkEngine, build_session

    engine = SparkEngine(session=build_session("local[2]", shuffle_partitions=2))
    load_world(engine, small_world)
    run_insight(engine, tmp_path_factory.mktemp("spark-home"))
    yield engine
    engine.close()


def _norm(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, float):
        return round(v, 9)
    if hasattr(v, "date") and not isinstance(v, date):
        return v
    return v


def _rows(engine: Any, sql: str) -> list[dict[str, Any]]:
    return [{k: _norm(v) for k, v in r.items()} for r in engine.fetch_rows(sql)]


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("customer_tags", "customer_id"),
        ("rfm", "customer_id"),
        ("lifecycle", "customer_id"),
        ("customer_features", "customer_id"),
        ("ins_customer_category_day", "category_code, order_day, customer_id"),
        ("kpi_daily", "day, store_code, channel_code"),
        ("kpi_cohorts", "cohort_month, months_since"),
        ("kpi_province", "province, city"),
        ("kpi_summary", "as_of"),
        ("basket_pairs", "level, antecedent, consequent"),
        ("basket_bundles", "antecedent, consequent"),
    ],
)
def test_tables_identical(insight_duckdb, spark_engine, table: str, key: str) -> None:
    sql = f"SELECT * FROM {table} ORDER BY {key}"
    duck = _rows(insight_duckdb, sql)
    spark = _rows(spark_engine, sql)
    assert len(duck) == len(spark) > 0
    for d, s in zip(duck, spark, strict=True):
        diff = {k: (d[k], s.get(k)) for k in d if d[k] != s.get(k)}
        assert not diff, f"{table} row {d.get(key.split(',')[0])}: {diff}"


@pytest.mark.parametrize("rule", RULES)
def test_segment_members_identical(insight_duckdb, spark_engine, rule) -> None:
    duck = segment_service.segment_member_ids(insight_duckdb, rule)
    spark = segment_service.segment_member_ids(spark_engine, rule)
    assert duck == spark
    assert len(duck) > 0
    counted = segment_service.count_segment(spark_engine, rule, breakdown=True)
    assert counted["count"] == len(duck)


def test_kpi_report_identical(insight_duckdb, spark_engine) -> None:
    args = {"grain": "month", "by": ["channel"], "start": "2026-01-01"}
    duck = [
        {k: _norm(v) for k, v in r.items()} for r in kpi_service.kpi_report(insight_duckdb, **args)
    ]
    spark = [
        {k: _norm(v) for k, v in r.items()} for r in kpi_service.kpi_report(spark_engine, **args)
    ]
    assert duck == spark
    assert len(duck) > 0
