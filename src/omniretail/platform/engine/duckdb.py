"""DuckDB adapter: the embedded default engine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.dialect import ident


class DuckDBEngine(AnalyticsEngine):
    name = "duckdb"
    publishes_snapshot = True

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        read_only: bool = False,
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> None:
        self.path = str(path) if path is not None else ":memory:"
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        self.con = duckdb.connect(self.path, read_only=read_only, config=config)
        self._arrow_refs: dict[str, pa.Table] = {}

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self.con.execute(sql, params)

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        rel = self.con.sql(sql, params=params)
        if rel is None:
            return pa.table({})
        table: pa.Table = rel.to_arrow_table()
        return table

    def materialize(self, name: str, sql: str, *, scratch: bool = False) -> None:
        kind = "TEMP TABLE" if scratch else "TABLE"
        self.con.execute(f"CREATE OR REPLACE {kind} {ident(name)} AS {sql}")

    def index(self, name: str, column: str) -> None:
        """An ART index, kept in the file and so in the published copy: a read-only reader
        finds a few keys through it instead of scanning the table."""
        self.con.execute(
            f"CREATE INDEX IF NOT EXISTS {ident(f'{name}__{column}')} ON {ident(name)}"
            f" ({ident(column)})"
        )

    def replace_rows(self, name: str, keys_table: str, keys: Sequence[str], sql: str) -> None:
        """In place, in one transaction: the slice's rows deleted, the query's inserted."""
        on = " AND ".join(f"k.{ident(c)} = t.{ident(c)}" for c in keys)
        cols = ", ".join(ident(c) for c in self.columns(name))
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(
                f"DELETE FROM {ident(name)} t WHERE EXISTS "
                f"(SELECT 1 FROM {ident(keys_table)} k WHERE {on})"
            )
            self.con.execute(f"INSERT INTO {ident(name)} ({cols}) SELECT {cols} FROM ({sql}) a")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def adopt(self, name: str, work: str, columns: Sequence[str], keep: str) -> None:
        """In place, in one transaction: the rows not kept deleted, the other columns dropped,
        the table renamed (DuckDB drops a column without rewriting the others)."""
        have = list(self.columns(work))
        extra = [c for c in have if c not in columns]
        if [c for c in have if c in columns] != list(columns) or len(set(columns) - set(have)):
            super().adopt(name, work, columns, keep)  # another order: copy
            return
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(f"DELETE FROM {ident(work)} t WHERE NOT coalesce({keep}, FALSE)")
            for c in extra:
                self.con.execute(f"ALTER TABLE {ident(work)} DROP COLUMN {ident(c)}")
            for (kind,) in self.con.execute(
                "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]
            ).fetchall():
                self.con.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {ident(name)}")
            self.con.execute(f"ALTER TABLE {ident(work)} RENAME TO {ident(name)}")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def register_arrow(self, name: str, table: pa.Table, *, scratch: bool = False) -> None:
        kind = "TEMP TABLE" if scratch else "TABLE"
        self._arrow_refs[name] = table
        self.con.register(f"__arrow_{name}", table)
        self.con.execute(f"CREATE OR REPLACE {kind} {ident(name)} AS SELECT * FROM __arrow_{name}")
        self.con.unregister(f"__arrow_{name}")
        del self._arrow_refs[name]

    def register_arrow_view(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def splink_api(self) -> Any:
        from splink import DuckDBAPI

        return DuckDBAPI(self.con)

    def register_parquet(self, name: str, paths: Sequence[Path] | Path | str) -> None:
        if isinstance(paths, str | Path):
            source = "'" + str(paths).replace("'", "''") + "'"
        else:
            source = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"
        self.con.execute(
            f"CREATE OR REPLACE VIEW {ident(name)} AS "
            f"SELECT * FROM read_parquet({source}, union_by_name = true)"
        )

    def table_exists(self, name: str) -> bool:
        rows = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchall()  # fetch to the end: duckdb 2 refuses new work while a result is open
        return bool(rows and rows[0][0])

    def list_tables(self, prefix: str = "") -> list[str]:
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE starts_with(table_name, ?) ORDER BY table_name",
            [prefix],
        ).fetchall()
        return [str(r[0]) for r in rows]

    def columns(self, name: str) -> dict[str, str]:
        rows = self.con.execute(f"DESCRIBE {ident(name)}").fetchall()
        return {str(r[0]): str(r[1]) for r in rows}

    def drop(self, name: str) -> None:
        rows = self.con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchall()
        for (kind,) in rows:
            what = "VIEW" if kind == "VIEW" else "TABLE"
            self.con.execute(f"DROP {what} IF EXISTS {ident(name)}")

    def create_view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE VIEW {ident(name)} AS {sql}")

    def write_parquet(self, sql: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        target = str(path).replace("'", "''")
        self.con.execute(f"COPY ({sql}) TO '{target}' (FORMAT PARQUET, COMPRESSION ZSTD)")

    def close(self) -> None:
        self.con.close()
