"""Compare two published snapshots (DuckDB files) table by table: the same tables, the same
rows, values equal — floats within a relative tolerance of 1e-6 (engines sum in different
orders), decimals as floats, timestamps without their zone (both engines run in UTC), lists
as sorted (DuckDB's list_distinct and Spark's array_distinct order elements differently).

Tables whose content depends on random initialization, not on the data, are compared by row
count only (``COUNT_ONLY``). Columns that hold nothing but the wall-clock time a run did
something (``CLOCK_COLUMNS``, named one by one) are compared by how many rows hold a value;
every other column of their table is compared as usual. Rows that hold such a time in a
long table of measures (``CLOCK_ROWS``: the recommenders' ``train_seconds``) are compared by
whether they hold a value; every other row of their table as usual."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

REL_TOL = 1e-6
# produced by models with random initialization or timings: the rows, not the values, match
COUNT_ONLY: frozenset[str] = frozenset()
# (table, column) → the time the run fitted/built it: differs between any two runs
CLOCK_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {("customer_score_models", "fitted_at")}  # insight/clv/pipeline.py: when the models ran
)

# table → (name column, value column, the names whose value is a duration a run measured)
CLOCK_ROWS: dict[str, tuple[str, str, frozenset[str]]] = {
    # insight/recommend/evaluate.py: seconds each algorithm took to fit and to rank
    "recommendation_model_metrics": (
        "metric",
        "value",
        frozenset({"train_seconds", "inference_seconds"}),
    ),
}


def _norm(v: Any) -> Any:
    if isinstance(v, Decimal):
        v = float(v)
    if isinstance(v, float):
        return ("float", v)
    if isinstance(v, datetime) and v.tzinfo is not None:
        return v.replace(tzinfo=None)
    if isinstance(v, list):  # a list column is a set of labels (fixes…): order is not data
        return tuple(sorted((_norm(x) for x in v), key=repr))
    if isinstance(v, dict):
        return tuple(sorted((k, _norm(x)) for k, x in v.items()))
    return v


def _key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # sort with floats rounded, so a last-digit difference does not reorder rows
    return tuple(
        (0, "")
        if v is None
        else (1, round(v[1], 4))
        if isinstance(v, tuple) and v[:1] == ("float",)
        else (1, repr(v))
        for v in row
    )


def _same(a: Any, b: Any) -> bool:
    if (
        isinstance(a, tuple)
        and a[:1] == ("float",)
        and isinstance(b, tuple)
        and b[:1] == ("float",)
    ):
        x, y = a[1], b[1]
        return (math.isnan(x) and math.isnan(y)) or math.isclose(
            x, y, rel_tol=REL_TOL, abs_tol=1e-9
        )
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def table_rows(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str]
) -> list[tuple[Any, ...]]:
    cols = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    rows = con.execute(f'SELECT {cols} FROM "{table}"').fetchall()
    return sorted((tuple(_norm(v) for v in r) for r in rows), key=_key)


def compare_table(
    a: duckdb.DuckDBPyConnection, b: duckdb.DuckDBPyConnection, table: str
) -> str | None:
    """None when equal, else what differs (the first differing row)."""
    ca = [r[0] for r in a.execute(f'DESCRIBE "{table}"').fetchall()]
    cb = [r[0] for r in b.execute(f'DESCRIBE "{table}"').fetchall()]
    if sorted(ca) != sorted(cb):
        return f"columns differ: {sorted(set(ca) ^ set(cb))}"
    clock = [c for c in ca if (table, c) in CLOCK_COLUMNS]
    for c in clock:
        na, nb = (con.execute(f'SELECT count("{c}") FROM "{table}"').fetchone() for con in (a, b))
        if na != nb:
            return f"{c}: {na} values vs {nb}"
    compared = [c for c in ca if c not in clock]
    ra, rb = table_rows(a, table, compared), table_rows(b, table, compared)
    if table in CLOCK_ROWS:
        name_col, value_col, names = CLOCK_ROWS[table]
        n, v = compared.index(name_col), compared.index(value_col)

        def timed(row: tuple[Any, ...]) -> tuple[Any, ...]:
            if row[n] not in names:
                return row
            return (*row[:v], ("clock", row[v] is not None), *row[v + 1 :])

        ra, rb = sorted(map(timed, ra), key=_key), sorted(map(timed, rb), key=_key)
    if len(ra) != len(rb):
        return f"{len(ra)} rows vs {len(rb)}"
    if table in COUNT_ONLY:
        return None
    for x, y in zip(ra, rb, strict=True):
        if not _same(x, y):
            diff = {c: (p, q) for c, p, q in zip(compared, x, y, strict=True) if not _same(p, q)}
            return f"row differs: {diff}"
    return None


def compare_snapshots(
    left: Path, right: Path, *, skip: frozenset[str] = frozenset()
) -> dict[str, str]:
    """Table → difference, for every table of ``left`` (the reference) that ``right`` lacks or
    holds differently; empty when the snapshots agree."""
    a = duckdb.connect(str(left), read_only=True)
    b = duckdb.connect(str(right), read_only=True)
    try:
        out: dict[str, str] = {}
        ta = {
            r[0] for r in a.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        tb = {
            r[0] for r in b.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        for table in sorted(ta - skip):
            if table not in tb:
                out[table] = "missing"
                continue
            diff = compare_table(a, b, table)
            if diff:
                out[table] = diff[:500]
        return out
    finally:
        a.close()
        b.close()
