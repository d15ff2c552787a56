"""Serving recommendations from the published snapshot (推荐结果查询).

Request handlers never scan the event log: they read the small tables the ``recommendations``
pipeline step precomputed, sorted by key, through one read-only DuckDB connection per published
snapshot (a cursor per call; a new snapshot is picked up when the file changes).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import duckdb

from omniretail.insight.recommend import model_store
from omniretail.insight.recommend.errors import RecommendationsNotReady, UnknownItem
from omniretail.platform.config import Settings
from omniretail.platform.engine import published_path
from omniretail.platform.errors import NotFound

POPULAR_KEY = "*"  # customer_recommendations rows for customers with no history yet

_lock = threading.Lock()
_state: dict[str, Any] = {}


def _cursor(settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    path = published_path(settings)
    if not path.exists():
        raise RecommendationsNotReady(
            "no published snapshot yet; run `omniretail pipeline run`", field="snapshot"
        )
    stamp = (str(path), path.stat().st_mtime_ns)
    with _lock:
        if _state.get("stamp") != stamp:
            con = duckdb.connect(str(path), read_only=True)
            tables = {
                r[0]
                for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            }
            _state.update(stamp=stamp, con=con, tables=tables)
        con = _state["con"]
    cursor: duckdb.DuckDBPyConnection = con.cursor()
    return cursor


def _tables() -> set[str]:
    tables: set[str] = _state.get("tables", set())
    return tables


def _require(table: str) -> None:
    if table not in _tables():
        raise RecommendationsNotReady(
            f"the snapshot has no {table!r} table yet; run the recommendations pipeline step",
            field="snapshot",
        )


def _rows(cur: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    res = cur.execute(sql, params)
    names = [d[0] for d in res.description or []]
    return [dict(zip(names, row, strict=True)) for row in res.fetchall()]


def _product_columns() -> tuple[str, str]:
    if "dim_product" in _tables():
        return (
            ", p.name, p.category_code, p.category_name, p.price",
            " LEFT JOIN dim_product p ON p.sku = r.sku",
        )
    return "", ""


def customer_recommendations(
    *, customer_id: str, k: int = 10, settings: Settings | None = None
) -> dict[str, Any]:
    """Top-k products for a customer; customers with no purchases get the popular list."""
    cur = _cursor(settings)
    _require("customer_recommendations")
    cols, join = _product_columns()
    sql = (
        f"SELECT r.rank, r.sku, r.score{cols} FROM customer_recommendations r{join} "
        "WHERE r.customer_id = ? ORDER BY r.rank LIMIT ?"
    )
    items = _rows(cur, sql, [customer_id, k])
    basis = "personal"
    if not items:
        if "customers" in _tables():
            known = cur.execute(
                "SELECT 1 FROM customers WHERE customer_id = ? LIMIT 1", [customer_id]
            ).fetchone()
            if known is None:
                raise NotFound(f"customer {customer_id!r} does not exist", field="customer_id")
        items = _rows(cur, sql, [POPULAR_KEY, k])
        basis = "popular"
    return {"customer_id": customer_id, "basis": basis, "items": items}


def _check_product(cur: duckdb.DuckDBPyConnection, sku: str) -> None:
    if "dim_product" in _tables():
        row = cur.execute("SELECT 1 FROM dim_product WHERE sku = ? LIMIT 1", [sku]).fetchone()
        if row is None:
            raise UnknownItem(f"product {sku!r} does not exist", field="sku")


def likely_customers(*, sku: str, n: int = 100, settings: Settings | None = None) -> dict[str, Any]:
    """The n customers most likely to buy a product (new products included)."""
    cur = _cursor(settings)
    _require("product_likely_customers")
    rows = _rows(
        cur,
        "SELECT rank, customer_id, score FROM product_likely_customers WHERE sku = ? "
        "ORDER BY rank LIMIT ?",
        [sku, n],
    )
    if not rows:
        _check_product(cur, sku)
    return {"sku": sku, "customers": rows}


def bought_together(*, sku: str, k: int = 10, settings: Settings | None = None) -> dict[str, Any]:
    """Products most often in the same order as ``sku`` (by lift)."""
    cur = _cursor(settings)
    _require("product_bought_together")
    cols, join = _product_columns()
    join = join.replace("p.sku = r.sku", "p.sku = r.other_sku")
    rows = _rows(
        cur,
        f"SELECT r.rank, r.other_sku AS sku, r.together, r.confidence, r.lift{cols} "
        f"FROM product_bought_together r{join} WHERE r.sku = ? ORDER BY r.rank LIMIT ?",
        [sku, k],
    )
    if not rows:
        _check_product(cur, sku)
    return {"sku": sku, "items": rows}


def model_metrics(settings: Settings | None = None) -> list[dict[str, Any]]:
    """The offline evaluation stored by the last pipeline run (algorithm, metric, value)."""
    cur = _cursor(settings)
    if "recommendation_model_metrics" not in _tables():
        return []
    return _rows(cur, "SELECT algorithm, metric, value FROM recommendation_model_metrics", [])


def customers_for_new_product(
    *, attributes: Mapping[str, Any], n: int = 100, settings: Settings | None = None
) -> dict[str, Any]:
    """Cold start: the customers most likely to like a product that is not sold yet."""
    model = model_store.load(settings)
    frame = model.score_users_for_item(attributes=dict(attributes), n=n)
    return {
        "attributes": dict(attributes),
        "algorithm": model.name,
        "customers": [
            {"rank": i + 1, "customer_id": str(r.user_id), "score": float(str(r.score))}
            for i, r in enumerate(frame.itertuples(index=False))
        ],
    }
