"""tests/parity.py, the check the engine-parity tests rely on: it must see a difference in any
business column, and ignore only the values of the clock columns it names."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.parity import compare_snapshots


def _snapshot(path: Path, report: str, fitted_at: str | None, scored: float) -> Path:
    con = duckdb.connect(str(path))
    fitted = "NULL" if fitted_at is None else f"TIMESTAMP '{fitted_at}'"
    con.execute(
        f"CREATE TABLE customer_score_models AS SELECT 'clv' AS model, DATE '2026-10-31' AS as_of,"
        f" {fitted} AS fitted_at, '{report}' AS report"
    )
    con.execute(
        f"CREATE TABLE customer_scores AS SELECT 'c1' AS customer_id, {scored} AS p_alive,"
        " TIMESTAMP '2026-12-07 05:00:00' AS scored_at"
    )
    con.close()
    return path


def test_clock_columns_compare_by_count_business_columns_by_value(tmp_path: Path) -> None:
    ref = _snapshot(tmp_path / "a.duckdb", "{}", "2026-12-07 05:00:00", 0.5)
    later = _snapshot(tmp_path / "b.duckdb", "{}", "2026-12-07 05:11:00", 0.5)
    assert compare_snapshots(ref, later) == {}
    # a value in the report, a missing fit time, another score: each one is a difference
    assert set(compare_snapshots(ref, _snapshot(tmp_path / "c.duckdb", "{1}", None, 0.5))) == {
        "customer_score_models"
    }
    other = _snapshot(tmp_path / "d.duckdb", "{}", "2026-12-07 05:00:00", 0.51)
    assert set(compare_snapshots(ref, other)) == {"customer_scores"}
    # a timestamp that is not a named clock column is compared by value
    con = duckdb.connect(str(other))
    con.execute(
        "UPDATE customer_scores SET p_alive = 0.5, scored_at = scored_at + INTERVAL 1 SECOND"
    )
    con.close()
    assert set(compare_snapshots(ref, other)) == {"customer_scores"}


def test_fitted_at_present_in_one_run_only_differs(tmp_path: Path) -> None:
    ref = _snapshot(tmp_path / "a.duckdb", "{}", "2026-12-07 05:00:00", 0.5)
    diff = compare_snapshots(ref, _snapshot(tmp_path / "b.duckdb", "{}", None, 0.5))
    assert diff == {"customer_score_models": "fitted_at: (1,) values vs (0,)"}


def _metrics(path: Path, rows: list[tuple[str, str, float | None]]) -> Path:
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE recommendation_model_metrics (algorithm TEXT, metric TEXT, value DOUBLE)"
    )
    con.executemany("INSERT INTO recommendation_model_metrics VALUES (?, ?, ?)", rows)
    con.close()
    return path


def test_clock_rows_compare_by_presence_measures_by_value(tmp_path: Path) -> None:
    """The recommenders' fit and ranking seconds are times a run measured (CLOCK_ROWS); every
    other measure of the same table — nDCG, a metric named like no timing — by value."""
    rows = [("als", "ndcg@10", 0.25), ("als", "train_seconds", 0.1), ("als", "n", 3.0)]
    ref = _metrics(tmp_path / "a.duckdb", rows)
    slower = [("als", "ndcg@10", 0.25), ("als", "train_seconds", 2.5), ("als", "n", 3.0)]
    assert compare_snapshots(ref, _metrics(tmp_path / "b.duckdb", slower)) == {}
    for i, other in enumerate(
        (
            [("als", "ndcg@10", 0.26), ("als", "train_seconds", 0.1), ("als", "n", 3.0)],
            [("als", "ndcg@10", 0.25), ("als", "train_seconds", None), ("als", "n", 3.0)],
            [("als", "ndcg@10", 0.25), ("als", "train_seconds", 0.1), ("als", "n", 4.0)],
            [("als", "ndcg@10", 0.25), ("als", "inference_seconds", 0.1), ("als", "n", 3.0)],
        )
    ):
        got = compare_snapshots(ref, _metrics(tmp_path / f"c{i}.duckdb", other))
        assert set(got) == {"recommendation_model_metrics"}, other
