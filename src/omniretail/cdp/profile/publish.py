"""Publish golden records and identities to the operational store (``customer``,
``customer_identity``) in bulk.

Only what changed since the last publish is written: the rows published last time are kept as
Parquet (with a hash per customer), the difference is computed in the analytics engine, and
the store receives it in bulk at the driver level: the rows are staged in a temporary table
(SQLite: one ``executemany`` on the sqlite3 connection; PostgreSQL: ``COPY``), then one
``INSERT .. SELECT .. ON CONFLICT DO UPDATE`` (or ``UPDATE .. FROM``, ``DELETE .. IN``) moves
them into place, in key order, inside the caller's transaction. Values go through the column
types' own bind processing, so what is stored is what the ORM would have stored. If the store
does not hold what the snapshot says (a new or restored database), everything is written again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import FromClause, bindparam, delete, func, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from omniretail.cdp.profile.models import Customer, CustomerIdentity
from omniretail.omnichannel.store import service as store_service
from omniretail.platform.config import Settings
from omniretail.platform.db import utcnow
from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.timezone import CHAIN_TZ

# SQLite page cache while bulk-loading (KiB, as a negative cache_size): the indexes of
# customer_identity and customer stay in memory instead of being spilled and re-read.
SQLITE_BULK_CACHE_KIB = 512 * 1024
IDENTITY_KINDS = (
    "member_id",
    "phone",
    "email",
    "unionid",
    "openid",
    "platform_buyer_id",
    "wecom_external_userid",
)
CUSTOMER_COLUMNS = (
    "customer_id",
    "name",
    "gender",
    "birthday",
    "phone",
    "email",
    "province",
    "city",
    "address",
    "home_store_code",
    "home_store_id",
    "registered_at",
    "first_seen_at",
    "last_seen_at",
    "sources",
    "records",
    "consent_sms",
    "consent_email",
    "consent_wechat",
    "consent_app_push",
    "golden",
)


def _snapshot(settings: Settings, name: str) -> Any:
    return settings.analytics_dir / "identity" / f"published_{name}.parquet"


@contextmanager
def bulk_load(session: Session) -> Iterator[None]:
    """A large page cache for a bulk load on this session's SQLite connection (main and temporary
    tables), restored afterwards; PostgreSQL needs nothing."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    before = {
        schema: int(raw.execute(f"PRAGMA {schema}.cache_size").fetchone()[0])
        for schema in ("main", "temp")
    }
    for schema in before:
        raw.execute(f"PRAGMA {schema}.cache_size = -{SQLITE_BULK_CACHE_KIB}")
    try:
        yield
    finally:
        for schema, size in before.items():
            raw.execute(f"PRAGMA {schema}.cache_size = {size}")


def _bound(values: pa.ChunkedArray, proc: Callable[[Any], Any] | None) -> list[Any]:
    """Python values of a column as bound to the driver: ``proc`` runs once per distinct value
    (dates, timestamps and JSON documents repeat a lot), its results are spread back."""
    if proc is None:
        return values.to_pylist()  # type: ignore[no-any-return]
    enc = values.combine_chunks().dictionary_encode()
    distinct = [proc(v) for v in enc.dictionary.to_pylist()]
    null = proc(None)
    return [null if i is None else distinct[i] for i in enc.indices.to_pylist()]


def _sqlite_text(values: pa.ChunkedArray, impl: TypeEngine[Any]) -> list[Any] | None:
    """A date or timestamp column as SQLite's DATE / DATETIME bind processors write it
    (``YYYY-MM-DD``, ``YYYY-MM-DD HH:MM:SS.ffffff``: the wall clock, any time zone ignored),
    formatted by Arrow for the whole column instead of once per value in Python; None when
    that does not apply (another storage format, a zoned or non-microsecond timestamp, a year
    outside 1000–9999), and the values then go through the processor one by one."""
    typ = values.type
    if isinstance(impl, sqlite.DATETIME) and pa.types.is_timestamp(typ):
        if impl._storage_format != sqlite.DATETIME._storage_format or typ.tz is not None:
            return None
        if typ.unit not in ("s", "ms", "us"):
            return None
        values = values.cast(pa.timestamp("us"))
        fmt = "%Y-%m-%d %H:%M:%S"  # seconds of a microsecond timestamp: SS.ffffff
    elif isinstance(impl, sqlite.DATE) and pa.types.is_date32(typ):
        if impl._storage_format != sqlite.DATE._storage_format:
            return None
        fmt = "%Y-%m-%d"
    else:
        return None
    if values.null_count < len(values):
        bounds = pc.min_max(values)  # type: ignore[attr-defined]
        if not all(1000 <= bounds[end].as_py().year <= 9999 for end in ("min", "max")):
            return None
    text: list[Any] = pc.strftime(values, format=fmt).to_pylist()  # type: ignore[attr-defined]
    return text


def _then(
    first: Callable[[Any], Any] | None, second: Callable[[Any], Any] | None
) -> Callable[[Any], Any] | None:
    if first is None or second is None:
        return first or second
    return lambda v: second(first(v))


def _stage(
    session: Session,
    name: str,
    columns: dict[str, TypeEngine[Any]],
    data: dict[str, pa.ChunkedArray],
    decode: dict[str, Callable[[Any], Any]] | None = None,
) -> int:
    """Load ``data`` (an Arrow column per column) into a new temporary table ``name`` at the
    driver level, each value bound as its column type binds it (after ``decode``, if given for
    the column); returns the number of rows."""
    conn = session.connection()
    dialect = conn.dialect
    raw = conn.connection.driver_connection
    assert raw is not None
    cols: list[list[Any]] = []
    for c, typ in columns.items():
        impl = typ.dialect_impl(dialect)
        first = decode.get(c) if decode else None
        # SQLite keeps a time's wall clock, with or without a zone: _chain_local changes nothing
        if dialect.name == "sqlite" and first in (None, _chain_local):
            text = _sqlite_text(data[c], impl)
            if text is not None:
                cols.append(text)
                continue
        cols.append(_bound(data[c], _then(first, impl.bind_processor(dialect))))
    n = len(cols[0]) if cols else 0
    names = ", ".join(columns)
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    if dialect.name == "sqlite":  # no declared types: values are kept exactly as bound
        conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({names})")
        marks = ", ".join("?" for _ in columns)
        raw.executemany(f"INSERT INTO {name} VALUES ({marks})", zip(*cols, strict=True))
        return n
    typed = ", ".join(f"{c} {t.compile(dialect=dialect)}" for c, t in columns.items())
    conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({typed})")
    with raw.cursor() as cur, cur.copy(f"COPY {name} ({names}) FROM STDIN") as copy:
        for row in zip(*cols, strict=True):
            copy.write_row(row)
    return n


def _chain_local(value: Any) -> Any:
    """A wall-clock time of the analytics store (the chain's local time, no offset) as an
    instant: PostgreSQL would read a bare time in its session time zone; SQLite keeps the wall
    clock either way."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=CHAIN_TZ)
    return value


def _json(value: str | None) -> Any:
    return json.loads(value) if value else None


def _drop_stage(session: Session, name: str) -> None:
    session.connection().exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


def _types(table: FromClause, *names: str) -> dict[str, TypeEngine[Any]]:
    return {n: table.c[n].type for n in names}


def _now() -> Any:
    return bindparam("now", utcnow(), type_=Customer.__table__.c.updated_at.type)


def _customer_rows(engine: AnalyticsEngine) -> str:
    return """
        SELECT c.customer_id, left(c.name, 64) AS name, left(c.gender, 8) AS gender, c.birthday,
               left(c.phone, 32) AS phone, left(c.email, 128) AS email,
               left(c.province, 64) AS province, left(c.city, 64) AS city,
               left(c.address, 256) AS address, c.home_store_code, st.id AS home_store_id,
               c.registered_at, c.first_seen_at, c.last_seen_at,
               to_json(c.sources) AS sources, c.records,
               c.consent_sms, c.consent_email, c.consent_wechat, c.consent_app_push,
               c.golden_sources AS golden
        FROM customers c LEFT JOIN _pub_stores st ON st.code = c.home_store_code
    """


def publish_customers(
    engine: AnalyticsEngine,
    settings: Settings,
    session: Session,
    *,
    meanwhile: Callable[[], Any] | None = None,
) -> dict[str, int]:
    """Golden records to the store. ``meanwhile``: analytics work (the engine only, never the
    session) run in a background thread while the store is written, e.g.
    :func:`prepare_identities`: both sides wait on their own database, not on each other."""
    stores = list(store_service.store_ids_by_code(session).items())
    engine.register_arrow(
        "_pub_stores",
        pa.table(
            {
                "code": pa.array([r[0] for r in stores], pa.string()),
                "id": pa.array([r[1] for r in stores], pa.int64()),
            }
        ),
    )
    engine.materialize(
        "_pub_customers",
        f"SELECT *, md5(CAST(to_json(x) AS VARCHAR)) AS row_hash FROM ({_customer_rows(engine)}) x",
    )
    out: dict[str, int] = {}
    snap = _snapshot(settings, "customers")
    active = session.scalar(
        select(func.count()).select_from(Customer).where(Customer.status == "active")
    )
    incremental = False
    if snap.exists():
        engine.register_parquet("_pub_prev_customers", snap)
        incremental = int(engine.scalar("SELECT count(*) FROM _pub_prev_customers")) == active
    if incremental:
        changed_sql = (
            "SELECT n.* FROM _pub_customers n LEFT JOIN _pub_prev_customers p"
            " USING (customer_id) WHERE p.row_hash IS NULL OR p.row_hash <> n.row_hash"
        )
        retired_sql = (
            "SELECT p.customer_id FROM _pub_prev_customers p"
            " ANTI JOIN _pub_customers n USING (customer_id)"
        )
    else:
        changed_sql = "SELECT * FROM _pub_customers"
        retired_sql = (
            "SELECT customer_id FROM _pub_store_ids ANTI JOIN _pub_customers USING (customer_id)"
        )
        ids = session.execute(select(Customer.customer_id).where(Customer.status == "active"))
        engine.register_arrow(
            "_pub_store_ids", pa.table({"customer_id": pa.array([r[0] for r in ids], pa.string())})
        )
    data = engine.fetch_arrow(f"SELECT * FROM ({changed_sql}) ORDER BY customer_id")
    retired = engine.fetch_arrow(
        f"""
        SELECT r.customer_id, any_value(c.related_customer_id) AS merged_into
        FROM ({retired_sql}) r
        LEFT JOIN identity_changes c ON c.customer_id = r.customer_id AND c.change = 'merged'
        GROUP BY r.customer_id
        """
    )
    # from here on the store only: the engine is free for ``meanwhile``
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="publish-analytics") as pool:
        pending = pool.submit(meanwhile) if meanwhile is not None else None
        out.update(_write_customers(session, data, retired))
        if pending is not None:
            pending.result()
    return out


def _write_customers(session: Session, data: pa.Table, retired: pa.Table) -> dict[str, int]:
    """The changed golden records upserted, the retired ones marked (the store only)."""
    out: dict[str, int] = {}
    table = Customer.__table__
    n = data.num_rows
    columns = {c: data.column(c) for c in CUSTOMER_COLUMNS}
    columns["status"] = pa.chunked_array([pa.array(["active"] * n, pa.string())])
    columns["merged_into"] = pa.chunked_array([pa.nulls(n, pa.string())])
    cols = [*CUSTOMER_COLUMNS, "status", "merged_into"]
    written = _stage(
        session,
        "_pub_stage_customers",
        _types(table, *cols),
        columns,
        decode={
            "sources": _json,
            "golden": _json,
            "registered_at": _chain_local,
            "first_seen_at": _chain_local,
            "last_seen_at": _chain_local,
        },
    )
    if written:
        names = ", ".join(cols)
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "customer_id")
        session.execute(
            text(
                f"INSERT INTO customer ({names}, created_at, updated_at) "
                f"SELECT {names}, :now, :now FROM _pub_stage_customers WHERE true "
                f"ORDER BY customer_id "
                f"ON CONFLICT (customer_id) DO UPDATE SET {updates}"
            ).bindparams(_now())
        )
    _drop_stage(session, "_pub_stage_customers")
    out["customers_written"] = written

    status = pa.array(
        ["merged" if m else "gone" for m in retired.column("merged_into").to_pylist()],
        pa.string(),
    )
    n = _stage(
        session,
        "_pub_stage_retired",
        _types(table, "customer_id", "status", "merged_into"),
        {
            "customer_id": retired.column("customer_id"),
            "status": pa.chunked_array([status]),
            "merged_into": retired.column("merged_into"),
        },
    )
    if n:
        session.execute(
            text(
                "UPDATE customer SET status = s.status, merged_into = s.merged_into, "
                "updated_at = :now FROM _pub_stage_retired s "
                "WHERE customer.customer_id = s.customer_id"
            ).bindparams(_now())
        )
    _drop_stage(session, "_pub_stage_retired")
    out["customers_retired"] = n
    return out


def _identity_rows_sql(columns: set[str]) -> str:
    def value(kind: str) -> str:
        text = f"trim(CAST(s.{kind} AS VARCHAR))"
        return f"lower({text})" if kind == "email" else text

    parts = [
        f"SELECT m.customer_id, '{k}' AS kind, {value(k)} AS value, s.source,"
        f" coalesce(s.registered_at, s.observed_at) AS seen_at"
        f" FROM std_identity_records s JOIN identity_map m USING (record_key)"
        f" WHERE s.{k} IS NOT NULL AND trim(CAST(s.{k} AS VARCHAR)) <> ''"
        for k in IDENTITY_KINDS
        if k in columns
    ]
    parts.append(
        "SELECT m.customer_id, 'source_record_id' AS kind, s.source_record_id AS value, s.source,"
        " coalesce(s.registered_at, s.observed_at) AS seen_at"
        " FROM std_identity_records s JOIN identity_map m USING (record_key)"
    )
    return " UNION ALL ".join(parts)


def prepare_identities(engine: AnalyticsEngine) -> None:
    """The identities to publish, ``_pub_identities`` (the engine only)."""
    columns = set(engine.fetch_arrow("SELECT * FROM std_identity_records LIMIT 0").column_names)
    engine.materialize(
        "_pub_identities",
        f"""
        SELECT i.kind, left(i.value, 128) AS value, i.source,
               min(i.customer_id) AS customer_id, min(i.seen_at) AS first_seen_at
        FROM ({_identity_rows_sql(columns)}) i
        WHERE NOT EXISTS (
            SELECT 1 FROM identity_shared_values v WHERE v.kind = i.kind AND v.value = i.value)
          AND NOT EXISTS (
            SELECT 1 FROM identity_shared_values v
            WHERE v.kind = i.kind AND v.value = i.source || ':' || i.value)
        GROUP BY 1, 2, 3
        """,
    )


def publish_identities(
    engine: AnalyticsEngine, settings: Settings, session: Session, *, prepared: bool = False
) -> dict[str, int]:
    """The identities to the store; ``prepared``: :func:`prepare_identities` ran already."""
    if not prepared:
        prepare_identities(engine)
    snap = _snapshot(settings, "identities")
    stored = session.scalar(select(func.count()).select_from(CustomerIdentity))
    incremental = False
    if snap.exists():
        engine.register_parquet("_pub_prev_identities", snap)
        incremental = int(engine.scalar("SELECT count(*) FROM _pub_prev_identities")) == stored
    if incremental:
        changed_sql = (
            "SELECT n.* FROM _pub_identities n LEFT JOIN _pub_prev_identities p"
            " USING (kind, value, source)"
            " WHERE p.customer_id IS NULL OR p.customer_id <> n.customer_id"
        )
        gone_sql = (
            "SELECT kind, value, source FROM _pub_prev_identities"
            " ANTI JOIN _pub_identities USING (kind, value, source)"
        )
    else:
        session.execute(delete(CustomerIdentity))
        changed_sql = "SELECT * FROM _pub_identities"
        gone_sql = None
    changed = engine.fetch_arrow(f"SELECT * FROM ({changed_sql}) ORDER BY kind, value, source")
    ci = CustomerIdentity.__table__
    cols = ["kind", "value", "source", "customer_id", "first_seen_at"]
    types = _types(ci, "kind", "value", "source") | _types(Customer.__table__, "customer_id")
    types["first_seen_at"] = ci.c.first_seen_at.type
    n = _stage(
        session,
        "_pub_stage_identities",
        types,
        {c: changed.column(c) for c in cols},
    )
    if n:
        result = session.execute(
            text(
                "INSERT INTO customer_identity (customer_pk, kind, value, source, first_seen_at) "
                "SELECT c.id, s.kind, s.value, s.source, s.first_seen_at "
                "FROM _pub_stage_identities s JOIN customer c ON c.customer_id = s.customer_id "
                "WHERE true ORDER BY s.kind, s.value, s.source "
                "ON CONFLICT (kind, value, source) DO UPDATE SET "
                "customer_pk = excluded.customer_pk, first_seen_at = excluded.first_seen_at"
            )
        )
        if result.rowcount != n:  # type: ignore[attr-defined]
            missing = session.execute(
                text(
                    "SELECT s.customer_id FROM _pub_stage_identities s "
                    "LEFT JOIN customer c ON c.customer_id = s.customer_id WHERE c.id IS NULL"
                )
            ).first()
            raise RuntimeError(
                f"identities of customer {missing[0] if missing else '?'} cannot be published: "
                "the customer is not in the operational store"
            )
    _drop_stage(session, "_pub_stage_identities")
    removed = 0
    if gone_sql:
        gone = engine.fetch_arrow(gone_sql)
        removed = _stage(
            session,
            "_pub_stage_gone",
            _types(ci, "kind", "value", "source"),
            {c: gone.column(c) for c in ("kind", "value", "source")},
        )
        if removed:
            session.execute(
                text(
                    "DELETE FROM customer_identity WHERE (kind, value, source) IN "
                    "(SELECT kind, value, source FROM _pub_stage_gone)"
                )
            )
        _drop_stage(session, "_pub_stage_gone")
    return {"identities_written": n, "identities_removed": removed}


def _write_snapshot(engine: AnalyticsEngine, sql: str, path: Any) -> None:
    tmp = path.with_suffix(".parquet.tmp")
    engine.write_parquet(sql, tmp)
    os.replace(tmp, path)


def save_snapshots(engine: AnalyticsEngine, settings: Settings) -> None:
    """Remember what was published (call after the store transaction committed)."""
    _snapshot(settings, "customers").parent.mkdir(parents=True, exist_ok=True)
    _write_snapshot(engine, "SELECT * FROM _pub_customers", _snapshot(settings, "customers"))
    _write_snapshot(engine, "SELECT * FROM _pub_identities", _snapshot(settings, "identities"))


def cleanup(engine: AnalyticsEngine) -> None:
    for name in ("_pub_stores", "_pub_customers", "_pub_identities", "_pub_store_ids"):
        engine.drop(name)
    for name in ("_pub_prev_customers", "_pub_prev_identities"):
        engine.drop(name)
