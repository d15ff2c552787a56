"""Pipeline step ``ingest_events`` (order 90): drain the event inbox into landing Parquet.

Each run takes the inbox rows not yet drained, writes one landing batch per source
(``landing/<source>/<batch_id>.parquet``, interpreted by the shipped ``segment_events``
mapping) and marks the rows with the batch id in the same transaction that records the
batch. A crash in between leaves an unregistered file that is ignored and rewritten.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select, update

from omniretail.cdp.ingest.mapping import shipped_mapping
from omniretail.cdp.ingest.models import EventInbox, LandingBatch
from omniretail.cdp.ingest.service import new_batch_id
from omniretail.platform.db import session_scope
from omniretail.platform.pipeline import PipelineContext, step

CHUNK = 200_000
FIELDS = ("messageId", "type", "event", "name", "userId", "anonymousId", "previousId", "groupId")
JSON_FIELDS = ("context", "properties", "traits")


def _table(rows: list[Any], source: str, batch_id: str) -> pa.Table:
    payloads = [json.loads(r.payload) for r in rows]
    cols: dict[str, Any] = {f: [_text(p.get(f)) for p in payloads] for f in FIELDS}
    cols["timestamp"] = [_text(p.get("timestamp") or p.get("originalTimestamp")) for p in payloads]
    cols["receivedAt"] = [r.received_at.isoformat() for r in rows]
    for f in JSON_FIELDS:
        vals = []
        for p in payloads:
            v = p.get(f)
            if f == "traits" and v is None:
                v = (p.get("context") or {}).get("traits")
            vals.append(json.dumps(v, ensure_ascii=False) if v is not None else None)
        cols[f] = vals
    cols["payload"] = [r.payload for r in rows]
    table = pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})
    n = len(rows)
    loaded = rows[-1].received_at.replace(tzinfo=None)
    return (
        table.append_column("_source", pa.array([source] * n, pa.string()))
        .append_column("_batch_id", pa.array([batch_id] * n, pa.string()))
        .append_column(
            "_file", pa.array([f"event_inbox#{rows[0].id}-{rows[-1].id}"] * n, pa.string())
        )
        .append_column("_row", pa.array(range(1, n + 1), pa.int64()))
        .append_column("_loaded_at", pa.array([loaded] * n, pa.timestamp("us")))
    )


def _text(v: Any) -> str | None:
    if v is None:
        return None
    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def drain_inbox(ctx: PipelineContext) -> dict[str, Any]:
    mapping_text = shipped_mapping("segment_events").read_text(encoding="utf-8")
    landing = ctx.settings.landing_dir
    drained: dict[str, int] = {}
    while True:
        with session_scope() as s:
            rows = list(
                s.execute(
                    select(
                        EventInbox.id, EventInbox.source, EventInbox.received_at, EventInbox.payload
                    )
                    .where(EventInbox.drained_batch.is_(None))
                    .order_by(EventInbox.id)
                    .limit(CHUNK)
                )
            )
            if not rows:
                break
            by_source: dict[str, list[Any]] = {}
            for r in rows:
                by_source.setdefault(r.source, []).append(r)
            for source, part in by_source.items():
                batch_id = new_batch_id()
                dest = landing / source / f"{batch_id}.parquet"
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_suffix(".parquet.tmp")
                pq.write_table(_table(part, source, batch_id), tmp, compression="zstd")
                tmp.replace(dest)
                s.add(
                    LandingBatch(
                        batch_id=batch_id,
                        source=source,
                        file=f"event_inbox#{part[0].id}-{part[-1].id}",
                        sha256=f"inbox:{part[0].id}-{part[-1].id}",
                        rows=len(part),
                        status="landed",
                        path=str(dest.relative_to(landing)),
                        mapping=mapping_text,
                    )
                )
                ids = [r.id for r in part]
                for i in range(0, len(ids), 5000):
                    s.execute(
                        update(EventInbox)
                        .where(EventInbox.id.in_(ids[i : i + 5000]))
                        .values(drained_batch=batch_id)
                    )
                drained[source] = drained.get(source, 0) + len(part)
    return {"drained": drained, "events": sum(drained.values())}


@step("ingest_events", order=90)
def ingest_events(ctx: PipelineContext) -> dict[str, Any]:
    """Drain the events API inbox into landing Parquet (then ``standardize`` reads it)."""
    return drain_inbox(ctx)


@step("ingest_orders", order=95)
def ingest_orders(ctx: PipelineContext) -> dict[str, Any]:
    """Land omniretail's own orders changed since the last run (then ``standardize`` reads
    them like any channel export)."""
    from omniretail.cdp.ingest.orders import drain_orders

    with session_scope() as s:
        return drain_orders(s)
