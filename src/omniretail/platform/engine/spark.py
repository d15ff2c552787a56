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

import os
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
from omniretail.platform.engine.dialect import ident
from omniretail.platform.engine.warehouse import (
    VIEWS,
    bind_views,
    drop_view,
    save_view,
    saved_views,
    versions,
)


@lru_cache(maxsize=512)
def to_spark_sql(sql: str) -> str:
    """Transpile one canonical (DuckDB) statement to Spark SQL."""
    trees = sqlglot.parse(sql, read=CANONICAL_DIALECT)
    if len(trees) != 1 or trees[0] is None:
        raise ValueError(f"expected one SQL statement, got {len(trees)}")
    return str(_rewrite(trees[0]).sql("spark", pretty=False))


@lru_cache(maxsize=64)
def _java_format(fmt: str) -> str:
    """A strptime format (``%Y-%m-%d``) as Spark's datetime pattern (``yyyy-MM-dd``)."""
    out = sqlglot.transpile(f"strptime(x, '{fmt}')", read=CANONICAL_DIALECT, write="spark")[0]
    return out[out.index("'") + 1 : out.rindex("'")]


def _rewrite(tree: Any) -> Any:
    """The DuckDB constructs sqlglot leaves as they are, in Spark's terms."""
    from sqlglot import exp

    aliases = {t.alias_or_name for t in tree.find_all(exp.Table)}
    aliases |= {s.alias for s in tree.find_all(exp.Subquery) if s.alias}

    lists = (exp.ArrayFilter, exp.Array, exp.ArrayConcat, exp.ArrayDistinct, exp.Flatten)

    def is_list(node: Any) -> bool:
        if isinstance(node, exp.Filter):  # list(x) FILTER (WHERE …)
            node = node.this
        if isinstance(node, lists) or type(node).__name__.startswith("Array"):
            return True
        return isinstance(node, exp.Anonymous) and node.name.lower().startswith("list_")

    def keep_nulls() -> Any:
        return exp.Anonymous(
            this="map",
            expressions=[exp.Literal.string("ignoreNullFields"), exp.Literal.string("false")],
        )

    def sub(node: Any) -> Any:
        # a node a rewrite keeps inside its replacement, rewritten too: transform() does not
        # visit the children of a node it has replaced (epoch() inside json_object() stayed
        # UNIX_TIMESTAMP, and golden_sources named another source than the golden value's)
        return node.copy().transform(fix)

    def fix(node: Any) -> Any:
        ordered = _ordered_list(node, sub)
        if ordered is not None:
            return ordered
        if isinstance(node, exp.Identifier) and not node.quoted and not node.name.isascii():
            # DuckDB reads 门店编码 bare (mapping rules are written so); Spark needs backticks
            return exp.Identifier(this=node.name, quoted=True)
        name = node.name.lower() if isinstance(node, exp.Anonymous) else ""
        if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.JSON):
            # JSON is text that parses: DuckDB keeps the text as given, NULL if it does not
            value = node.this
            if isinstance(value, exp.Cast) and value.to.is_type(exp.DataType.Type.VARCHAR):
                value = value.this
            parsed = exp.Anonymous(this="try_parse_json", expressions=[sub(value)])
            return exp.Case(
                ifs=[
                    exp.If(
                        this=exp.Not(this=exp.Is(this=parsed, expression=exp.Null())),
                        true=exp.Cast(this=sub(value), to=exp.DataType.build("STRING")),
                    )
                ]
            )
        if type(node).__name__ == "RegexpFullMatch" or name == "regexp_full_match":
            # the whole text must match: Spark's RLIKE finds a match anywhere, so anchor it
            value, pattern = (
                (node.this, node.expression)
                if not isinstance(node, exp.Anonymous)
                else tuple(node.expressions)
            )
            anchored = (
                exp.Literal.string(f"^(?:{pattern.name})$")
                if isinstance(pattern, exp.Literal)
                else exp.func(
                    "concat", exp.Literal.string("^(?:"), sub(pattern), exp.Literal.string(")$")
                )
            )
            return exp.RegexpLike(this=sub(value), expression=anchored)
        if isinstance(node, exp.JSONObject):
            # json_object('k', v, …) → the same compact text from a struct (nulls kept)
            pairs: list[Any] = []
            for kv in node.expressions:
                pairs += [kv.this.copy(), sub(kv.expression)]
            return exp.func("to_json", exp.func("named_struct", *pairs), keep_nulls())
        if isinstance(node, exp.Avg) and not isinstance(node.this, exp.Distinct | exp.Cast):
            # DuckDB averages decimals (avg(CASE … THEN 1.0 …)) as DOUBLE; Spark keeps a
            # DECIMAL of the argument's scale + 4 and rounds the mean
            value = node.this.copy().transform(fix)
            return exp.Avg(this=exp.Cast(this=value, to=exp.DataType.build("DOUBLE")))
        if isinstance(node, exp.TimeToUnix) and not node.args.get("format"):
            # DuckDB's epoch(ts) is a DOUBLE with the fraction of a second; sqlglot writes
            # UNIX_TIMESTAMP, whole seconds: two records seen in one second then tie (the
            # golden record's "recent" rule picked another source)
            micros = exp.Anonymous(
                this="unix_micros",
                expressions=[
                    exp.Cast(
                        this=node.this.copy().transform(fix), to=exp.DataType.build("TIMESTAMP")
                    )
                ],
            )
            return exp.Paren(
                this=exp.Div(
                    this=exp.Cast(this=micros, to=exp.DataType.build("DOUBLE")),
                    expression=exp.Literal.number(1000000),
                )
            )
        weekday_part = _weekday_part(node)
        if weekday_part is not None:
            # DuckDB: isodow 1 = Monday … 7 = Sunday, dayofweek/dow 0 = Sunday … 6 = Saturday.
            # sqlglot writes (DAYOFWEEK(x) % 7) + 1 and DAYOFWEEK(x) with Spark's 1 = Sunday
            # (both off by one or two); Spark's weekday(x) is 0 = Monday
            iso, value = weekday_part
            monday0 = exp.Anonymous(this="weekday", expressions=[value.copy().transform(fix)])
            if iso:
                return exp.Paren(this=exp.Add(this=monday0, expression=exp.Literal.number(1)))
            return exp.Paren(
                this=exp.Mod(
                    this=exp.Paren(this=exp.Add(this=monday0, expression=exp.Literal.number(1))),
                    expression=exp.Literal.number(7),
                )
            )
        if isinstance(node, exp.Length) and is_list(node.this):
            return exp.ArraySize(this=sub(node.this))  # len(list) is its size, not text's
        if name == "to_json" and len(node.expressions) == 1:
            arg = node.expressions[0]
            if isinstance(arg, exp.Column) and not arg.table and arg.name in aliases:
                # to_json(r) of a whole row: Spark wants the row as a struct
                star = exp.Column(this=exp.Star(), table=exp.to_identifier(arg.name))
                arg = exp.Struct(expressions=[star])
            # DuckDB writes null fields ({"sku":null}); Spark drops them unless told
            return exp.func("to_json", sub(arg), keep_nulls())
        if name == "try_strptime" and len(node.expressions) == 2:
            value, fmts = node.expressions
            items = fmts.expressions if isinstance(fmts, exp.Array) else [fmts]
            tries = [
                exp.Anonymous(
                    this="try_to_timestamp",
                    expressions=[sub(value), exp.Literal.string(_java_format(f.name))],
                )
                for f in items
            ]
            return (
                tries[0] if len(tries) == 1 else exp.Coalesce(this=tries[0], expressions=tries[1:])
            )
        return node

    return tree.transform(fix)


def _weekday_part(node: Any) -> tuple[bool, Any] | None:
    """(ISO numbering?, the date) for DuckDB's day-of-week functions — ``isodow(x)``,
    ``dayofweek(x)``, ``extract(isodow|dow|dayofweek FROM x)``, ``date_part('isodow', x)`` —
    or None for any other node."""
    from sqlglot import exp

    if isinstance(node, exp.DayOfWeekIso):
        return True, node.this
    if isinstance(node, exp.DayOfWeek):
        return False, node.this
    part, value = None, None
    if isinstance(node, exp.Extract):
        part, value = node.this.name.lower(), node.expression
    elif isinstance(node, exp.Anonymous) and node.name.lower() in ("date_part", "datepart"):
        first = node.expressions[0] if node.expressions else None
        if isinstance(first, exp.Literal) and len(node.expressions) == 2:
            part, value = first.name.lower(), node.expressions[1]
    if part in ("isodow", "dayofweekiso"):
        return True, value
    if part in ("dow", "dayofweek", "weekday"):
        return False, value
    return None


def _ordered_list(node: Any, fixed: Any) -> Any:
    """``list(v ORDER BY k1, k2 DESC …) [FILTER (WHERE …)]`` in Spark's terms, or None when
    ``node`` is no such aggregate. sqlglot writes ``collect_list(v)`` and drops the order;
    Spark has no ordered ``collect_list``, so the rows are collected as structs of their keys
    and value, sorted by a comparator that follows the keys' directions with NULL keys where
    DuckDB puts them (last, unless NULLS FIRST), and the values taken back out. A value of
    NULL is kept, as DuckDB's ``list`` keeps it (also once in ``list(DISTINCT v ORDER BY v)``).
    ``fixed(sub)`` is ``sub`` with the adapter's other rewrites applied."""
    from sqlglot import exp

    where = None
    agg = node
    if isinstance(node, exp.Filter):
        agg, where = node.this, node.expression
    if not isinstance(agg, exp.ArrayAgg) or not isinstance(agg.this, exp.Order):
        return None
    value, keys = agg.this.this, list(agg.this.expressions)
    cond = f" FILTER ({fixed(where).sql('spark')})" if where is not None else ""
    distinct = isinstance(value, exp.Distinct)
    if distinct:
        items = value.expressions
        if len(items) != 1 or any(k.this != items[0] for k in keys):
            raise ValueError(f"list(DISTINCT …) ordered by another expression: {node.sql()}")
        value = items[0]
    fields = [f"'k{i}', {fixed(k.this).sql('spark')}" for i, k in enumerate(keys)]
    fields.append(f"'v', {fixed(value).sql('spark')}")
    compare = "0"
    for i, k in reversed(list(enumerate(keys))):
        null = -1 if k.args.get("nulls_first") else 1  # -1: l's NULL key comes first
        less = 1 if k.args.get("desc") else -1
        compare = (  # both NULL, or equal: the next key decides
            f"CASE WHEN l.k{i} IS NULL AND r.k{i} IS NOT NULL THEN {null}"
            f" WHEN r.k{i} IS NULL AND l.k{i} IS NOT NULL THEN {-null}"
            f" WHEN l.k{i} < r.k{i} THEN {less} WHEN l.k{i} > r.k{i} THEN {-less}"
            f" ELSE {compare} END"
        )
    rows = f"collect_list(named_struct({', '.join(fields)})){cond}"
    if distinct:
        rows = f"array_distinct({rows})"
    text = f"transform(array_sort({rows}, (l, r) -> {compare}), e -> e.v)"
    return sqlglot.parse_one(text, read="spark")


def _has_star_modifiers(tree: Any) -> bool:
    """``* EXCLUDE (…)`` / ``* REPLACE (…)``: DuckDB's, not Spark's."""
    from sqlglot import exp

    return any(
        star.args.get("except_") or star.args.get("except") or star.args.get("replace")
        for star in tree.find_all(exp.Star)
    )


def expand_stars(sql: str, columns: Any) -> str:
    """Spell out ``* EXCLUDE``/``* REPLACE`` (no Spark syntax) as column lists, from the
    tables' columns (``columns(name)`` → name → canonical type); other SQL is unchanged."""
    from sqlglot import exp
    from sqlglot.optimizer.qualify import qualify

    tree = sqlglot.parse_one(sql, read=CANONICAL_DIALECT)
    if not _has_star_modifiers(tree):
        return sql
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    schema: dict[str, object] = {}
    for table in tree.find_all(exp.Table):
        name = table.name
        if name and name not in ctes and name not in schema:
            schema[name] = columns(name)
    qualified = qualify(
        tree,
        schema=schema,
        dialect=CANONICAL_DIALECT,
        quote_identifiers=True,
        identify=True,
        validate_qualify_columns=False,
    )
    return str(qualified.sql(CANONICAL_DIALECT))


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
    import warnings

    # data crosses the Python boundary as Arrow, never through pandas: pyspark's warning about
    # pandas 3 does not concern this path (docs/scaling.md §5)
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # adaptive execution stays Spark's default (on); spark-defaults.conf may turn it off
        # DuckDB's semantics: a failed cast in TRY_CAST-free code is an error there and NULL
        # here only for bad data; x / 0 is NULL on both (ANSI mode would raise)
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
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


def canonical_type(dtype: Any) -> str:
    """A Spark SQL type by its canonical (DuckDB) name."""
    from pyspark.sql import types as T

    simple = {
        T.StringType: "VARCHAR",
        T.LongType: "BIGINT",
        T.IntegerType: "INTEGER",
        T.ShortType: "SMALLINT",
        T.ByteType: "TINYINT",
        T.DoubleType: "DOUBLE",
        T.FloatType: "FLOAT",
        T.BooleanType: "BOOLEAN",
        T.DateType: "DATE",
        T.TimestampType: "TIMESTAMP",  # the session time zone is UTC
        T.TimestampNTZType: "TIMESTAMP",
        T.BinaryType: "BLOB",
    }
    for cls, name in simple.items():
        if isinstance(dtype, cls):
            return name
    if isinstance(dtype, T.DecimalType):
        return f"DECIMAL({dtype.precision},{dtype.scale})"
    if isinstance(dtype, T.ArrayType):
        return canonical_type(dtype.elementType) + "[]"
    if isinstance(dtype, T.MapType):
        return f"MAP({canonical_type(dtype.keyType)}, {canonical_type(dtype.valueType)})"
    if isinstance(dtype, T.StructType):
        inner = ", ".join(f"{ident(f.name)} {canonical_type(f.dataType)}" for f in dtype.fields)
        return f"STRUCT({inner})"
    return str(dtype.simpleString()).upper()


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
        self._exploded = 0
        self.warehouse = warehouse
        self.publishes_snapshot = warehouse is not None
        # scratch tables: one folder per engine (two engines never share one), see
        # _persist_scratch
        self._scratch: dict[str, Path] = {}
        self._scratch_dir = (
            warehouse.parent / "spark-scratch" / f"{os.getpid()}-{time.time_ns()}"
            if warehouse is not None
            else None
        )
        if warehouse is not None:
            warehouse.mkdir(parents=True, exist_ok=True)
            for table_dir in sorted(p for p in warehouse.iterdir() if p.is_dir()):
                latest = self._versions(table_dir) if table_dir.name != VIEWS else []
                if latest:
                    self._bind(table_dir.name, self.spark.read.parquet(str(latest[-1])))
            bind_views(saved_views(warehouse), lambda name, sql: self._bind(name, self._sql(sql)))

    @staticmethod
    def _versions(table_dir: Path) -> list[Path]:
        return versions(table_dir)

    # -- statements -----------------------------------------------------------------
    def _sql(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        if "EXCLUDE" in sql or "REPLACE" in sql:
            sql = expand_stars(sql, self.columns)
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
        if self.warehouse is None:
            self._bind(name, df.localCheckpoint(eager=True))
        elif scratch:
            self._persist_scratch(name, df)
        else:
            self._persist(name, df)

    def _persist(self, name: str, df: Any) -> None:
        assert self.warehouse is not None
        table_dir = self.warehouse / name
        old = self._versions(table_dir) if table_dir.exists() else []
        target = table_dir / f"v{time.time_ns()}"
        df.write.mode("overwrite").parquet(str(target))
        self._bind(name, self.spark.read.parquet(str(target)))
        drop_view(self.warehouse, name)  # a table now, where a view was
        for path in old:  # earlier versions are no longer read by any view
            shutil.rmtree(path, ignore_errors=True)

    def _persist_scratch(self, name: str, df: Any) -> None:
        """A step's intermediate table as Parquet in this engine's scratch folder (next to the
        warehouse, on the storage every executor reads), not a local checkpoint: an executor
        lost on a cluster takes its blocks with it, and a local checkpoint cannot be
        recomputed (``CHECKPOINT_RDD_BLOCK_ID_NOT_FOUND``). A replaced version stays until the
        table is dropped (a view or an ``explode`` over it may still read it); every version
        goes when the table is dropped and all of them when the engine closes."""
        assert self._scratch_dir is not None
        target = self._scratch_dir / name / f"v{time.time_ns()}"
        df.write.mode("overwrite").parquet(str(target))
        self._bind(name, self.spark.read.parquet(str(target)))
        self._scratch[name] = target

    def register_arrow(self, name: str, table: pa.Table, *, scratch: bool = False) -> None:
        df = self.spark.createDataFrame(table)
        if self.warehouse is None:
            self._bind(name, df.localCheckpoint(eager=True))
        elif scratch:
            self._persist_scratch(name, df)
        else:
            self._persist(name, df)

    def explode(self, sql: str, column: str, alias: str, position: str) -> str:
        from pyspark.sql import functions as F

        self._exploded += 1
        name = f"__explode_{self._exploded}"
        pos = f"__pos_{self._exploded}"
        df = self._sql(sql).select("*", F.posexplode_outer(column).alias(pos, alias))
        df = df.withColumn(position, F.coalesce(F.col(pos), F.lit(0)) + 1).drop(pos)
        self._bind(name, df)
        return f"SELECT * FROM {ident(name)}"

    def register_arrow_view(self, name: str, table: pa.Table) -> None:
        self._bind(name, self.spark.createDataFrame(table))

    def splink_api(self) -> Any:
        from splink import SparkAPI

        # Splink's intermediate tables break their lineage as Parquet in the checkpoint folder
        # (next to the warehouse, where every executor reads) or, without one, in memory
        if self.warehouse is not None:
            self.spark.sparkContext.setCheckpointDir(
                str(self.warehouse.parent / "spark-checkpoints")
            )
            method = "parquet"
        else:
            method = "persist"
        # our comparisons are plain SQL: no need for the jar of Splink's string-similarity UDFs
        return SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=self.spark, break_lineage_method=method, register_udfs_automatically=False
        )

    def register_parquet(self, name: str, paths: Sequence[Path] | Path | str) -> None:
        files = [str(paths)] if isinstance(paths, str | Path) else [str(p) for p in paths]
        df = self.spark.read.option("mergeSchema", "true").parquet(*files)
        self._bind(name, df)

    def table_exists(self, name: str) -> bool:
        return name in self._frames or bool(self.spark.catalog.tableExists(name))

    def list_tables(self, prefix: str = "") -> list[str]:
        names = set(self._frames) | {t.name for t in self.spark.catalog.listTables()}
        return sorted(n for n in names if n.startswith(prefix))

    def columns(self, name: str) -> dict[str, str]:
        schema = self.spark.table(name).schema
        return {f.name: canonical_type(f.dataType) for f in schema.fields}

    def create_view(self, name: str, sql: str) -> None:
        """A view (no copy); with a warehouse its SQL is kept there, so a later engine and the
        published snapshot have it too (as the DuckDB engine's file has its views)."""
        self._bind(name, self._sql(sql))
        if self.warehouse is not None:
            save_view(self.warehouse, name, sql)

    def append(self, name: str, sql: str) -> None:
        cols = ", ".join(ident(c) for c in self.columns(name))
        self.materialize(
            name, f"SELECT {cols} FROM {ident(name)} UNION ALL SELECT {cols} FROM ({sql}) a"
        )

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
        folder = self._scratch.pop(name, None)
        if folder is not None:
            shutil.rmtree(folder.parent, ignore_errors=True)

    def drop(self, name: str) -> None:
        """Drop a table or view (and its Parquet copy in the warehouse) if it exists."""
        self._forget(name)
        if self.warehouse is not None:
            shutil.rmtree(self.warehouse / name, ignore_errors=True)
            drop_view(self.warehouse, name)

    def close(self) -> None:
        for name in list(self._frames):
            self._forget(name)
        if self._scratch_dir is not None:
            shutil.rmtree(self._scratch_dir, ignore_errors=True)
        if self._owns_session:
            self.spark.stop()
