"""The analytics engine adapter.

Analytics code is engine-neutral: it emits SQL in one canonical dialect (DuckDB's) and
calls the few methods below. Each engine adapter (DuckDB here, Spark in ``spark.py``)
transpiles with sqlglot where needed, executes and materializes. No ``if engine ==``
outside this package.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from omniretail.platform.engine.dialect import ident

CANONICAL_DIALECT = "duckdb"


class AnalyticsEngine(ABC):
    """A handful of methods every engine implements."""

    name: str = "abstract"
    # the pipeline's results on this engine are a file ``publish_snapshot`` can copy for readers
    publishes_snapshot: bool = False

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run a statement in the canonical dialect, discarding any result."""

    @abstractmethod
    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a query in the canonical dialect and return the result as Arrow."""

    @abstractmethod
    def materialize(self, name: str, sql: str, *, scratch: bool = False) -> None:
        """Create or replace table ``name`` from a canonical-dialect query.

        ``scratch``: an intermediate result of one step, read only by this engine object and
        dropped or replaced before the step ends. The engine may keep it out of durable storage
        (DuckDB: a TEMP table in memory that spills to disk; Spark: a checkpointed frame instead
        of a warehouse table)."""

    @abstractmethod
    def register_arrow(self, name: str, table: pa.Table, *, scratch: bool = False) -> None:
        """Make an Arrow table queryable (as a table) under ``name`` (``scratch`` as in
        :meth:`materialize`)."""

    @abstractmethod
    def register_parquet(self, name: str, paths: Sequence[Path] | Path | str) -> None:
        """Make Parquet files (a file, a list or a glob) queryable under ``name``."""

    @abstractmethod
    def table_exists(self, name: str) -> bool: ...

    @abstractmethod
    def write_parquet(self, sql: str, path: Path) -> None:
        """Write the result of a query to one Parquet file."""

    @abstractmethod
    def list_tables(self, prefix: str = "") -> list[str]:
        """The tables and views whose name starts with ``prefix`` (the catalogue, any engine)."""

    @abstractmethod
    def columns(self, name: str) -> dict[str, str]:
        """Column name → type of a table or view, in the canonical dialect's type names
        (``VARCHAR``, ``BIGINT``, ``DOUBLE``, ``DECIMAL(18,2)``, ``DATE``, ``TIMESTAMP``,
        ``VARCHAR[]``…), in column order."""

    @abstractmethod
    def drop(self, name: str) -> None:
        """Drop a table or view if it exists."""

    @abstractmethod
    def create_view(self, name: str, sql: str) -> None:
        """Create or replace a view: ``sql`` is evaluated where it is read (no copy)."""

    def index(self, name: str, column: str) -> None:  # noqa: B027 - optional hook
        """Index ``column`` of table ``name`` for point lookups by the snapshot's readers (a
        page reading its 50 rows out of every customer's). Engines without indexes (Spark)
        leave it out: the lookup still answers the same, by a scan. Call it after
        :meth:`materialize` (replacing the table drops its index)."""

    def append(self, name: str, sql: str) -> None:
        """Add the rows of a canonical-dialect query to table ``name`` (same columns)."""
        self.execute(f"INSERT INTO {ident(name)} {sql}")

    def adopt(self, name: str, work: str, columns: Sequence[str], keep: str) -> None:
        """Make table ``name`` the rows of table ``work`` (alias ``t``) for which the SQL
        condition ``keep`` holds, with only ``columns`` in that order; ``work`` is gone after.
        This default copies them; an engine that can delete in place and rename a table
        overrides it (no second copy of a large table)."""
        cols = ", ".join(ident(c) for c in columns)
        self.materialize(name, f"SELECT {cols} FROM {ident(work)} t WHERE coalesce({keep}, FALSE)")
        self.drop(work)

    def replace_rows(self, name: str, keys_table: str, keys: Sequence[str], sql: str) -> None:
        """Replace the rows of table ``name`` whose ``keys`` appear in table ``keys_table``
        with the rows of a canonical-dialect query (same columns): an incremental refresh of a
        slice (e.g. the store-days a new batch touched). This default rewrites the table once;
        an engine that can delete in place overrides it."""
        on = " AND ".join(f"k.{ident(c)} = t.{ident(c)}" for c in keys)
        cols = ", ".join(ident(c) for c in self.columns(name))
        self.materialize(
            name,
            f"SELECT {cols} FROM {ident(name)} t WHERE NOT EXISTS "
            f"(SELECT 1 FROM {ident(keys_table)} k WHERE {on}) "
            f"UNION ALL SELECT {cols} FROM ({sql}) a",
        )

    def explode(self, sql: str, column: str, alias: str, position: str) -> str:
        """A canonical query of ``sql``'s rows, one per element of its list ``column`` (as
        ``alias``, with its 1-based ``position``); an empty or missing list keeps its row
        (element null, position 1)."""
        c, a, p = ident(column), ident(alias), ident(position)
        return (
            f"SELECT *, unnest(CASE WHEN len({c}) > 0 THEN {c} ELSE [NULL] END) AS {a}, "
            f"unnest(range(1, greatest(coalesce(len({c}), 0), 1) + 1)) AS {p} FROM ({sql}) x"
        )

    def fetch_rows(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.fetch_arrow(sql, params).to_pylist()
        return rows

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        rows = self.fetch_arrow(sql, params)
        if rows.num_rows == 0:
            return None
        return rows.column(0)[0].as_py()

    def register_arrow_view(self, name: str, table: pa.Table) -> None:
        """Make a small Arrow table (a request's intermediate result) queryable under ``name``
        on this connection only, without copying it into storage; replaces an earlier one."""
        raise NotImplementedError(f"the {self.name} engine cannot register Arrow views")

    def splink_api(self) -> Any:
        """Splink's database API bound to this engine's connection or session, so Splink's
        inputs and outputs are this engine's tables."""
        raise NotImplementedError(f"Splink has no adapter for the {self.name!r} engine")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""

    def __enter__(self) -> AnalyticsEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
