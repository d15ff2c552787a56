"""The Spark warehouse on disk: one folder per table, one ``v<ns>`` version folder of Parquet
parts per build (the latest finished one — with ``_SUCCESS`` — is current).

Readable without Spark: :func:`current_tables` lists each table's current version and
:func:`snapshot_from_warehouse` loads them into a DuckDB file (the published snapshot)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from omniretail.platform.engine.dialect import ident, string


def versions(table_dir: Path) -> list[Path]:
    """The finished versions of one table, oldest first."""
    done = [p for p in table_dir.glob("v*") if (p / "_SUCCESS").exists()]
    return sorted(done, key=lambda p: int(p.name[1:]))


def current_tables(warehouse: Path) -> dict[str, Path]:
    """Table name → its current version folder."""
    out: dict[str, Path] = {}
    if warehouse.exists():
        for table_dir in sorted(p for p in warehouse.iterdir() if p.is_dir()):
            found = versions(table_dir)
            if found:
                out[table_dir.name] = found[-1]
    return out


def snapshot_from_warehouse(warehouse: Path, target: Path) -> int:
    """Write every current warehouse table into a new DuckDB file; returns the table count."""
    tables = current_tables(warehouse)
    con = duckdb.connect(str(target))
    try:
        for name, folder in tables.items():
            # Spark writes at least one part, with the schema, even for an empty table
            files = "[" + ", ".join(string(str(p)) for p in sorted(folder.glob("*.parquet"))) + "]"
            con.execute(f"CREATE TABLE {ident(name)} AS SELECT * FROM read_parquet({files})")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return len(tables)
