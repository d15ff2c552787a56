"""Publish golden records and identities to the operational store (``customer``,
``customer_identity``) in bulk.

Only what changed since the last publish is written: the rows published last time are kept as
Parquet (with a hash per customer), the difference is computed in the analytics engine, and
the store receives multi-row upserts (``INSERT .. ON CONFLICT DO UPDATE``, SQLite and
PostgreSQL) and deletes in chunks. If the store does not hold what the snapshot says (a new
or restored database), everything is written again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from sqlalchemy import Table, delete, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from omniretail.cdp.profile.models import Customer, CustomerIdentity
from omniretail.omnichannel.store.models import Store
from omniretail.platform.config import Settings
from omniretail.platform.engine.base import AnalyticsEngine

CHUNK = 5000
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


def _chunks(rows: list[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _upsert(session: Session, table: Table, rows: list[dict[str, Any]], keys: list[str]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for chunk in _chunks(rows):
        stmt = insert(table)
        cols = [c for c in chunk[0] if c not in keys]
        stmt = stmt.on_conflict_do_update(
            index_elements=keys, set_={c: stmt.excluded[c] for c in cols}
        )
        session.execute(stmt, chunk)


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
    engine: AnalyticsEngine, settings: Settings, session: Session
) -> dict[str, int]:
    stores = session.execute(select(Store.code, Store.id)).all()
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
    rows = engine.fetch_arrow(changed_sql).drop_columns(["row_hash"]).to_pylist()
    for row in rows:
        row["sources"] = json.loads(row["sources"]) if row["sources"] else None
        row["golden"] = json.loads(row["golden"]) if row["golden"] else None
        row["status"] = "active"
        row["merged_into"] = None
    _upsert(session, Customer.__table__, rows, ["customer_id"])  # type: ignore[arg-type]
    out["customers_written"] = len(rows)

    retired = engine.fetch_rows(
        f"""
        SELECT r.customer_id, any_value(c.related_customer_id) AS merged_into
        FROM ({retired_sql}) r
        LEFT JOIN identity_changes c ON c.customer_id = r.customer_id AND c.change = 'merged'
        GROUP BY r.customer_id
        """
    )
    for chunk in _chunks(retired):
        for row in chunk:
            session.execute(
                update(Customer)
                .where(Customer.customer_id == row["customer_id"])
                .values(
                    status="merged" if row["merged_into"] else "gone",
                    merged_into=row["merged_into"],
                )
            )
    out["customers_retired"] = len(retired)
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


def publish_identities(
    engine: AnalyticsEngine, settings: Settings, session: Session
) -> dict[str, int]:
    columns = set(engine.fetch_arrow("SELECT * FROM std_identity_records LIMIT 0").column_names)
    engine.materialize(
        "_pub_identities",
        f"""
        SELECT i.kind, left(i.value, 128) AS value, i.source,
               min(i.customer_id) AS customer_id, min(i.seen_at) AS first_seen_at
        FROM ({_identity_rows_sql(columns)}) i
        WHERE NOT EXISTS (
            SELECT 1 FROM identity_shared_values v
            WHERE v.kind = i.kind AND (v.value = i.value OR v.value = i.source || ':' || i.value))
        GROUP BY 1, 2, 3
        """,
    )
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
    changed = engine.fetch_arrow(changed_sql)
    needed = set(changed.column("customer_id").to_pylist())
    pks: dict[str, int] = {}
    ids = list(needed)
    for i in range(0, len(ids), CHUNK):
        part = ids[i : i + CHUNK]
        for cid, pk in session.execute(
            select(Customer.customer_id, Customer.id).where(Customer.customer_id.in_(part))
        ):
            pks[cid] = pk
    rows = []
    for row in changed.to_pylist():
        row["customer_pk"] = pks[row.pop("customer_id")]
        rows.append(row)
    _upsert(session, CustomerIdentity.__table__, rows, ["kind", "value", "source"])  # type: ignore[arg-type]
    removed = 0
    if gone_sql:
        gone = engine.fetch_rows(gone_sql)
        ci = CustomerIdentity
        for chunk in _chunks(gone, 500):
            session.execute(
                delete(ci).where(
                    tuple_(ci.kind, ci.value, ci.source).in_(
                        [(g["kind"], g["value"], g["source"]) for g in chunk]
                    )
                )
            )
        removed = len(gone)
    return {"identities_written": len(rows), "identities_removed": removed}


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
        engine.execute(f"DROP TABLE IF EXISTS {name}")
    for name in ("_pub_prev_customers", "_pub_prev_identities"):
        engine.execute(f"DROP VIEW IF EXISTS {name}")
