"""Serving recommendations from the published snapshot (推荐结果查询).

Request handlers never scan the event log or even DuckDB: when a new snapshot is published,
the small precomputed tables of the ``recommendations`` step (sorted by key) are read once into
Arrow columns with a key → row-range index, so a request is a dictionary lookup and a slice.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from omniretail.insight.recommend import model_store
from omniretail.insight.recommend.errors import RecommendationsNotReady, UnknownItem
from omniretail.platform.config import Settings
from omniretail.platform.engine import published_path
from omniretail.platform.engine.snapshot import RUN_PIPELINE, NoPublishedSnapshot
from omniretail.platform.errors import NotFound

POPULAR_KEY = "*"  # customer_recommendations rows for customers with no history yet
PRODUCT_COLUMNS = ("name", "category_code", "category_name", "price")


@dataclass
class _Keyed:
    """A table sorted by ``key`` with the row range of each key."""

    rows: list[dict[str, Any]]
    ranges: dict[str, tuple[int, int]]

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection, sql: str, key: str) -> _Keyed:
        table: pa.Table = con.sql(sql).to_arrow_table()
        keys = np.asarray(table.column(key).to_pylist(), dtype=object)
        rows: list[dict[str, Any]] = table.drop_columns([key]).to_pylist()
        ranges: dict[str, tuple[int, int]] = {}
        if len(keys):
            starts = np.r_[0, np.flatnonzero(keys[1:] != keys[:-1]) + 1]
            ends = np.r_[starts[1:], len(keys)]
            ranges = {str(keys[s]): (int(s), int(e)) for s, e in zip(starts, ends, strict=True)}
        return cls(rows, ranges)

    def get(self, key: str, limit: int) -> list[dict[str, Any]] | None:
        span = self.ranges.get(key)
        if span is None:
            return None
        start, end = span
        return self.rows[start : min(end, start + limit)]


@dataclass
class _Snapshot:
    stamp: tuple[str, int]
    recs: _Keyed | None
    likely: _Keyed | None
    together: _Keyed | None
    products: dict[str, dict[str, Any]] | None
    homes: dict[str, str | None] | None  # customer id -> home store code
    by_store: dict[str, list[str]]  # home store code -> its customers
    metrics: list[dict[str, Any]]

    def knows(self, customer_id: str) -> bool:
        return self.homes is None or customer_id in self.homes

    def visible(self, customer_id: str, store_codes: Collection[str] | None) -> bool:
        """Whether a caller limited to ``store_codes`` (None: every store) may see a customer:
        only customers whose home store is one of them (unknown home: nobody limited)."""
        if store_codes is None:
            return True
        home = self.homes.get(customer_id) if self.homes is not None else None
        return home is not None and home in store_codes

    def customers_of(self, store_codes: Collection[str]) -> list[str]:
        return [c for code in dict.fromkeys(store_codes) for c in self.by_store.get(code, [])]


_lock = threading.Lock()
_current: list[_Snapshot] = []


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


def _load(path: str, stamp: tuple[str, int]) -> _Snapshot:
    con = duckdb.connect(path, read_only=True)
    try:
        tables = _tables(con)

        def keyed(table: str, sql: str, key: str) -> _Keyed | None:
            return _Keyed.load(con, sql, key) if table in tables else None

        products = None
        if "dim_product" in tables:
            cols = {
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'dim_product'"
                ).fetchall()
            }
            present = [c for c in PRODUCT_COLUMNS if c in cols]
            select = ", ".join(["CAST(sku AS VARCHAR) AS sku", *present])
            products = {
                str(r["sku"]): {c: r[c] for c in present}
                for r in con.sql(f"SELECT {select} FROM dim_product").to_arrow_table().to_pylist()
            }
        homes: dict[str, str | None] | None = None
        by_store: dict[str, list[str]] = {}
        if "customers" in tables:
            has_home = con.execute(
                "SELECT count(*) FROM information_schema.columns "
                "WHERE table_name = 'customers' AND column_name = 'home_store_code'"
            ).fetchone()
            home_sql = "CAST(home_store_code AS VARCHAR)" if has_home and has_home[0] else "NULL"
            homes = {
                str(c): (None if h is None else str(h))
                for c, h in con.execute(
                    f"SELECT CAST(customer_id AS VARCHAR), {home_sql} FROM customers"
                ).fetchall()
            }
            for customer, home in homes.items():
                if home is not None:
                    by_store.setdefault(home, []).append(customer)
        metrics: list[dict[str, Any]] = []
        if "recommendation_model_metrics" in tables:
            metrics = (
                con.sql("SELECT algorithm, metric, value FROM recommendation_model_metrics")
                .to_arrow_table()
                .to_pylist()
            )
        return _Snapshot(
            stamp=stamp,
            recs=keyed(
                "customer_recommendations",
                "SELECT customer_id, rank, sku, score FROM customer_recommendations "
                "ORDER BY customer_id, rank",
                "customer_id",
            ),
            likely=keyed(
                "product_likely_customers",
                "SELECT sku, rank, customer_id, score FROM product_likely_customers "
                "ORDER BY sku, rank",
                "sku",
            ),
            together=keyed(
                "product_bought_together",
                "SELECT sku, rank, other_sku, together, confidence, lift "
                "FROM product_bought_together ORDER BY sku, rank",
                "sku",
            ),
            products=products,
            homes=homes,
            by_store=by_store,
            metrics=metrics,
        )
    finally:
        con.close()


def _stamp(settings: Settings | None) -> tuple[str, int] | None:
    path = published_path(settings)
    try:
        return (str(path), path.stat().st_mtime_ns)
    except FileNotFoundError:
        return None


def snapshot_loaded(settings: Settings | None = None) -> bool:
    """Whether the serving view of the current published snapshot is in memory already (so
    :func:`snapshot` returns without reading; an async caller loads it in a thread first)."""
    stamp = _stamp(settings)
    return stamp is None or bool(_current and _current[0].stamp == stamp)


def snapshot(settings: Settings | None = None) -> _Snapshot:
    """The serving view of the published snapshot, reloaded when a new one is published."""
    stamp = _stamp(settings)
    if stamp is None:
        raise NoPublishedSnapshot(f"no analytics snapshot is published yet: {RUN_PIPELINE}")
    path = stamp[0]
    if _current and _current[0].stamp == stamp:
        return _current[0]
    with _lock:
        if not _current or _current[0].stamp != stamp:
            _current[:] = [_load(path, stamp)]
        return _current[0]


def _ready(table: _Keyed | None, name: str) -> _Keyed:
    if table is None:
        raise RecommendationsNotReady(
            f"the snapshot has no {name!r} table yet; run the recommendations pipeline step",
            field="snapshot",
        )
    return table


def _with_product(snap: _Snapshot, row: dict[str, Any], sku: str) -> dict[str, Any]:
    if snap.products is None:
        return row
    return {**row, **snap.products.get(sku, {})}


def _check_product(snap: _Snapshot, sku: str) -> None:
    if snap.products is not None and sku not in snap.products:
        raise UnknownItem(f"product {sku!r} does not exist", field="sku")


def customer_recommendations(
    *,
    customer_id: str,
    k: int = 10,
    store_codes: Collection[str] | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Top-k products for a customer; customers with no purchases get the popular list.

    With ``store_codes`` (a caller limited to some stores), a customer of another store is
    answered exactly like an unknown one (404), so the caller cannot tell that it exists.
    """
    snap = snapshot(settings)
    recs = _ready(snap.recs, "customer_recommendations")
    if not snap.visible(customer_id, store_codes):
        raise NotFound(f"customer {customer_id!r} does not exist", field="customer_id")
    rows = recs.get(customer_id, k)
    basis = "personal"
    if rows is None:
        if not snap.knows(customer_id):
            raise NotFound(f"customer {customer_id!r} does not exist", field="customer_id")
        rows = recs.get(POPULAR_KEY, k) or []
        basis = "popular"
    items = [_with_product(snap, r, r["sku"]) for r in rows]
    return {"customer_id": customer_id, "basis": basis, "items": items}


def _ranked(frame: Any) -> list[dict[str, Any]]:
    return [
        {"rank": i + 1, "customer_id": str(r.user_id), "score": float(str(r.score))}
        for i, r in enumerate(frame.itertuples(index=False))
    ]


def likely_customers(
    *,
    sku: str,
    n: int = 100,
    store_codes: Collection[str] | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """The n customers most likely to buy a product (new products included).

    With ``store_codes``, only customers whose home store is one of them: the fitted model
    ranks just those customers, so a store manager still gets up to n of their own.
    """
    snap = snapshot(settings)
    rows = _ready(snap.likely, "product_likely_customers").get(sku, n)
    if rows is None:
        _check_product(snap, sku)
    if store_codes is not None:
        model = model_store.load(settings)
        rows = []
        if sku in model.item_index:
            among = snap.customers_of(store_codes)
            rows = _ranked(model.score_users_for_item(sku, n=n, among=among)) if among else []
    return {"sku": sku, "customers": rows or []}


def bought_together(*, sku: str, k: int = 10, settings: Settings | None = None) -> dict[str, Any]:
    """Products most often in the same order as ``sku`` (by lift)."""
    snap = snapshot(settings)
    rows = _ready(snap.together, "product_bought_together").get(sku, k)
    if rows is None:
        _check_product(snap, sku)
    items = [
        _with_product(
            snap,
            {**{c: v for c, v in r.items() if c != "other_sku"}, "sku": r["other_sku"]},
            r["other_sku"],
        )
        for r in rows or []
    ]
    return {"sku": sku, "items": items}


def model_metrics(settings: Settings | None = None) -> list[dict[str, Any]]:
    """The offline evaluation stored by the last pipeline run (algorithm, metric, value)."""
    return list(snapshot(settings).metrics)


def customers_for_new_product(
    *,
    attributes: Mapping[str, Any],
    n: int = 100,
    store_codes: Collection[str] | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Cold start: the customers most likely to like a product that is not sold yet (with
    ``store_codes``: only customers whose home store is one of them)."""
    model = model_store.load(settings)
    among = None if store_codes is None else snapshot(settings).customers_of(store_codes)
    frame = model.score_users_for_item(attributes=dict(attributes), n=n, among=among)
    return {"attributes": dict(attributes), "algorithm": model.name, "customers": _ranked(frame)}
