"""Issue 17: ``omniretail pipeline run --engine spark`` against a standalone Spark cluster (a
master and a worker on 127.0.0.1, tests/sparkcluster.py) builds the same tables as DuckDB for
the demo world.

One small demo world is imported once; the DuckDB run and then the Spark run each start from a
copy of that instance in the same folder (a record's ``observed_at`` is the time its file was
landed, so importing twice would make every table differ; a landed file's path names the
folder). Both run the whole pipeline, ``--full``, as an operator would, through the CLI; every
table of the two published snapshots is compared (tests/parity.py), and the operational
stores' customers. Identity runs without Splink, as in the steps' parity tests: its
probabilistic edges are compared there (tests/cdp/identity/test_engine_parity.py).

The cluster is sized as an operator would size it, in ``spark-defaults.conf`` under
``SPARK_CONF_DIR`` (docs/scaling.md §2): one executor of one core, two shuffle partitions —
at this size Spark's cost is per query and per task, not per row. The driver and the executor
JVMs compile with C1 only (``-XX:TieredStopAtLevel=1``): C2 spent more CPU compiling the
planning code of a few hundred short queries than it saved (the test used 451 CPU s instead of
573, docs/benchmarks.md "Test suite time"); Spark's results do not depend on it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow(minutes=6)]  # the longest test: runs first

SCALE = 0.002  # 200 people, 1,687 orders, 35 sources: the smallest world every step runs on
# the tables whose content the issue names; compare_snapshots checks every other one as well
KEY_TABLES = (
    "customers",
    "identity_map",
    "customer_tags",
    "rfm",
    "lifecycle",
    "customer_features",
    "kpi_daily",
    "kpi_summary",
    "customer_scores",
)
SPARK_DEFAULTS = """\
spark.executor.memory 512m
spark.executor.cores 1
spark.cores.max 1
spark.driver.memory 1g
spark.sql.shuffle.partitions 2
spark.default.parallelism 2
spark.sql.adaptive.coalescePartitions.initialPartitionNum 2
spark.locality.wait 0s
spark.sql.adaptive.enabled false
spark.sql.codegen.wholeStage false
spark.driver.extraJavaOptions -XX:TieredStopAtLevel=1
spark.executor.extraJavaOptions -XX:TieredStopAtLevel=1
"""


def _cli(home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 2400) -> str:
    exe = Path(sys.executable).parent / "omniretail"
    full = {
        **os.environ,
        "OMNIRETAIL_HOME": str(home),
        "OMNIRETAIL_DEMO": "1",
        **(env or {}),
    }
    full.pop("OMNIRETAIL_DATABASE_URL", None)  # each home its own SQLite store
    # a session of its own: on a timeout the CLI and the Spark driver (its JVM) end together
    proc = subprocess.Popen(
        [str(exe), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    if proc.returncode != 0:
        raise AssertionError(
            f"omniretail {' '.join(args)} failed ({proc.returncode}):\n{err[-4000:]}"
        )
    return out


def _steps(home: Path) -> dict[str, str]:
    log = json.loads((home / "analytics" / "pipeline_run.json").read_text())
    return {s["name"]: s.get("status", "?") for s in log["steps"]}


def _store_customers(home: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The operational store's customers and their identifiers (publish_customers), without
    row ids and the times the rows were written."""
    con = sqlite3.connect(home / "omniretail.db")
    try:
        cols = [r[1] for r in con.execute("PRAGMA table_info(customer)")]
        keep = ", ".join(f'"{c}"' for c in cols if c not in ("id", "created_at", "updated_at"))
        customers = con.execute(f"SELECT {keep} FROM customer").fetchall()
        identities = con.execute(
            "SELECT c.customer_id, i.kind, i.value, i.source, i.first_seen_at"
            " FROM customer_identity i JOIN customer c ON c.id = i.customer_pk"
        ).fetchall()
        return sorted(customers, key=repr), sorted(identities, key=repr)
    finally:
        con.close()


def test_pipeline_on_a_standalone_cluster_builds_what_duckdb_builds(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("no Java (scripts/system-deps.sh installs default-jre-headless)")
    import duckdb

    from omniretail.demo import generate_world
    from tests.parity import compare_snapshots
    from tests.sparkcluster import SparkCluster

    world, template = tmp_path / "world", tmp_path / "template"
    generate_world(world, scale=SCALE, seed=42)
    _cli(template, "init")
    (template / "config").mkdir(parents=True, exist_ok=True)
    (template / "config" / "identity.yaml").write_text("splink:\n  enabled: false\n")
    _cli(template, "import", "--world", str(world))
    # both engines run in the same home folder, one after the other: tables that name a landed
    # file's path (q_counter_batches.path) then agree
    spark_home, duck_home = tmp_path / "home", tmp_path / "duckdb"
    shutil.copytree(template, spark_home)
    _cli(spark_home, "pipeline", "run", "--engine", "duckdb", "--full")
    spark_home.rename(duck_home)
    shutil.copytree(template, spark_home)

    conf = tmp_path / "spark-conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text(SPARK_DEFAULTS)
    with SparkCluster(workers=1, cores=1, memory="768m") as cluster:
        t0 = time.perf_counter()
        _cli(
            spark_home,
            "pipeline", "run", "--engine", "spark", "--full",
            env={
                "OMNIRETAIL_SPARK_MASTER": cluster.url,
                "SPARK_LOCAL_IP": "127.0.0.1",
                "SPARK_CONF_DIR": str(conf),
                "PYSPARK_PYTHON": sys.executable,
            },
        )  # fmt: skip
        seconds = time.perf_counter() - t0
        apps = cluster.state()
    # the run was the cluster's: the master saw our application come and finish
    names = [a.get("name") for a in apps.get("completedapps", []) + apps.get("activeapps", [])]
    assert "omniretail" in names, f"the master saw no omniretail application: {names}"
    print(f"spark pipeline on the cluster: {seconds:.1f} s wall")

    duck_steps, spark_steps = _steps(duck_home), _steps(spark_home)
    assert list(spark_steps) == list(duck_steps)
    assert set(spark_steps.values()) <= {"done", "ok", "skipped"}, spark_steps

    duck_db = duck_home / "analytics" / "published.duckdb"
    spark_db = spark_home / "analytics" / "published.duckdb"
    con = duckdb.connect(str(spark_db), read_only=True)
    try:
        for table in KEY_TABLES:  # present and not empty, so "equal" is not "both empty"
            (n,) = con.execute(f'SELECT count(*) FROM "{table}"').fetchone() or (0,)
            assert n > 0, f"{table} is empty on Spark"
    finally:
        con.close()
    diffs = compare_snapshots(duck_db, spark_db)
    assert not diffs, "tables differ between DuckDB and Spark:\n" + "\n".join(
        f"  {t}: {d}" for t, d in sorted(diffs.items())
    )
    spark_store, duck_store = _store_customers(spark_home), _store_customers(duck_home)
    assert len(spark_store[0]) > 0
    assert spark_store == duck_store
