"""Search every store and file of an instance for values: every table of the operational
store (SQLite, and its file's bytes), every Parquet file and every DuckDB database under
OMNIRETAIL_HOME, and the bytes of every other file there."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb


def _duckdb_hits(con: duckdb.DuckDBPyConnection, relation: str, needles: list[str]) -> int:
    cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
    if not cols:
        return 0
    text = " || '|' || ".join(f"coalesce(CAST(\"{c}\" AS VARCHAR), '')" for c in cols)
    cond = " OR ".join(f"strpos({text}, '{n}') > 0" for n in needles)
    row = con.execute(f"SELECT count(*) FROM {relation} WHERE {cond}").fetchone()
    return int(row[0]) if row else 0


def search(home: Path, needles: list[str]) -> dict[str, int]:
    """``{place: rows or files containing one of the needles}`` (places with hits only)."""
    hits: dict[str, int] = {}
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        rel = str(path.relative_to(home))
        if path.suffix == ".parquet":
            con = duckdb.connect()
            n = _duckdb_hits(con, f"read_parquet('{path}')", needles)
            con.close()
        elif path.suffix == ".duckdb":
            con = duckdb.connect(str(path), read_only=True)
            n = 0
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall():
                k = _duckdb_hits(con, f'"{t}"', needles)
                if k:
                    hits[f"{rel}:{t}"] = k
            con.close()
        elif path.suffix == ".db":
            con2 = sqlite3.connect(path)
            n = 0
            for (t,) in con2.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
                cols = [r[1] for r in con2.execute(f'PRAGMA table_info("{t}")')]
                cond = " OR ".join(
                    f'instr(CAST("{c}" AS TEXT), ?) > 0' for c in cols for _ in needles
                )
                k = con2.execute(
                    f'SELECT count(*) FROM "{t}" WHERE {cond}', [n_ for _ in cols for n_ in needles]
                ).fetchone()[0]
                if k:
                    hits[f"{rel}:{t}"] = k
            con2.close()
            data = path.read_bytes()
            n = sum(data.count(x.encode()) for x in needles)
        else:
            data = path.read_bytes()
            n = sum(data.count(x.encode()) for x in needles)
        if n:
            hits[rel] = n
    return hits
