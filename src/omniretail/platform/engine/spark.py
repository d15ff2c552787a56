"""Apache Spark adapter (``pip install omniretail[spark]``).

Analytics code emits canonical DuckDB SQL; this adapter transpiles it to Spark SQL with
sqlglot and executes it. Tables are session temporary views over checkpointed DataFrames
(``localCheckpoint``), so a pipeline step reads the previous step's result without
recomputing its lineage. Data crosses the Python boundary as Arrow.

- ``OMNIRETAIL_SPARK_MASTER`` picks the cluster (default ``local[2]``); in local mode the
  shuffle uses a handful of partitions instead of Spark's 200.
- ``SparkEngine(session=spark)`` reuses an existing SparkSession (a notebook, a cluster job)
  and never stops it.
- With a ``warehouse`` directory (``open_engine("spark")`` uses ``analytics/spark`` under
  ``OMNIRETAIL_HOME``), every materialized table is also written there as Parquet (one
  versioned folder per table) and a new engine registers those tables again, so a later
  process — ``omniretail segment count --engine spark`` — sees what the pipeline built.
  Without one, tables live only in the session (checkpointed in memory/disk).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import sqlglot

from omniretail.platform.config import Settings, get_settings
from omniretail.platform.engine.base import CANONICAL_DIALECT, AnalyticsEngine


@lru_cache(maxsize=512)
def to_spark_sql(sql: str) -> str:
    """Transpile one canonical (DuckDB) statement to Spark SQL."""
    out = sqlglot.transpile(sql, read=CANONICAL_DIALECT, write="spark", pretty=False)
    if len(out) != 1:
        raise ValueError(f"expected one SQL statement, got {len(out)}")
    return out[0]


def _local_partitions(master: str) -> int | None:
    if not master.startswith("local"):
        return None
    inside = master[master.find("[") + 1 : master.find("]")] if "[" in master else "1"
    cores = 2 if inside in ("*", "") else int(inside) if inside.isdigit() else 2
    return max(2, cores * 2)


def build_session(
    master: str, *, app_name: str = "omniretail", shuffle_partitions: int | None = None
) -> Any:
    """A SparkSession tuned for omniretail (UTC, Arrow, small shuffles in local mode)."""
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.adaptive.enabled", "true")
    )
    partitions = shuffle_partitions or _local_partitions(master)
    if partitions:
        builder = (
            builder.config("spark.sql.shuffle.partitions", str(partitions))
            .config("spark.default.parallelism", str(partitions))
            .config("spark.driver.memory", "2g")
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine(AnalyticsEngine):
    name = "spark"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        session: Any = None,
        master: str | None = None,
        warehouse: Path | None = None,
    ) -> None:
        self._owns_session = session is None
        if session is None:
            settings = settings or get_settings()
            session = build_session(master or settings.spark_master)
            if warehouse is None:
                warehouse = settings.analytics_dir / "spark"
        self.spark = session
        self._frames: dict[str, Any] = {}
        self.warehouse = warehouse
        if warehouse is not None:
            warehouse.mkdir(parents=True, exist_ok=True)
            for table_dir in sorted(p for p in warehouse.iterdir() if p.is_dir()):
                latest = self._versions(table_dir)
                if latest:
                    self._bind(table_dir.name, self.spark.read.parquet(str(latest[-1])))

    @staticmethod
    def _versions(table_dir: Path) -> list[Path]:
        done = [p for p in table_dir.glob("v*") if (p / "_SUCCESS").exists()]
        return sorted(done, key=lambda p: int(p.name[1:]))

    # -- statements -----------------------------------------------------------------
    def _sql(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        spark_sql = to_spark_sql(sql)
        if params:
            return self.spark.sql(spark_sql, args=list(params))
        return self.spark.sql(spark_sql)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._sql(sql, params).collect()

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        table: pa.Table = self._sql(sql, params).toArrow()
        return table

    def _bind(self, name: str, df: Any) -> None:
        old = self._frames.get(name)
        df.createOrReplaceTempView(name)
        self._frames[name] = df
        if old is not None:
            old.unpersist()

    def materialize(self, name: str, sql: str, *, scratch: bool = False) -> None:
        df = self._sql(sql)
        if self.warehouse is None or scratch:
            self._bind(name, df.localCheckpoint(eager=True))
        else:
            self._persist(name, df)

    def _persist(self, name: str, df: Any) -> None:
        assert self.warehouse is not None
        table_dir = self.warehouse / name
        old = self._versions(table_dir) if table_dir.exists() else []
        target = table_dir / f"v{time.time_ns()}"
        df.write.mode("overwrite").parquet(str(target))
        self._bind(name, self.spark.read.parquet(str(target)))
        for path in old:  # earlier versions are no longer read by any view
            shutil.rmtree(path, ignore_errors=True)

    def register_arrow(self, name: str, table: pa.Table, *, scratch: bool = False) -> None:
        df = self.spark.createDataFrame(table)
        if self.warehouse is None or scratch:
            self._bind(name, df.localCheckpoint(eager=True))
        else:
            self._persist(name, df)

    def register_arrow_view(self, name: str, table: pa.Table) -> None:
        self._bind(name, self.spark.createDataFrame(table))

    def splink_api(self) -> Any:
        from splink import SparkAPI

        return SparkAPI(spark_session=self.spark)  # type: ignore[no-untyped-call]

    def register_parquet(self, name: str, paths: Sequence[Path] | Path | str) -> None:
        files = [str(paths)] if isinstance(paths, str | Path) else [str(p) for p in paths]
        df = self.spark.read.option("mergeSchema", "true").parquet(*files)
        self._bind(name, df)

    def table_exists(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def write_parquet(self, sql: str, path: Path) -> None:
        """Write one Parquet file (Spark writes a directory; its single part is moved)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
            out = Path(tmp) / "out"
            self._sql(sql).coalesce(1).write.mode("overwrite").parquet(str(out))
            parts = sorted(out.glob("part-*.parquet"))
            if not parts:
                raise RuntimeError(f"Spark wrote no Parquet part for {path}")
            shutil.move(str(parts[0]), str(path))

    def _forget(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        old = self._frames.pop(name, None)
        if old is not None:
            old.unpersist()

    def drop(self, name: str) -> None:
        """Drop a table (and its Parquet copy in the warehouse)."""
        self._forget(name)
        if self.warehouse is not None:
            shutil.rmtree(self.warehouse / name, ignore_errors=True)

    def close(self) -> None:
        for name in list(self._frames):
            self._forget(name)
        if self._owns_session:
            self.spark.stop()
