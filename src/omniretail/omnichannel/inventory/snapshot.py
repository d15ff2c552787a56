"""ERP/WMS stock snapshots through a declarative mapping: each row becomes a count of one
(location, SKU); a row that cannot be read is reported with its reason, never dropped silently.
A snapshot re-imported under the same id changes nothing (each count carries the key
``snapshot:<source>:<id>:<location>:<sku>``).

A mapping, e.g. for a WMS export with Chinese headers::

    {"source": "wms", "location": "仓库编码", "sku": "商品编码", "quantity": "库存数量",
     "location_map": {"WH-SH-01": "W1"}}
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy.orm import Session

from omniretail.omnichannel.inventory import service
from omniretail.omnichannel.inventory.errors import InventoryError
from omniretail.omnichannel.inventory.schemas import (
    SnapshotMapping,
    SnapshotResult,
    SnapshotRowError,
)


def import_rows(
    session: Session,
    *,
    mapping: SnapshotMapping,
    snapshot_id: str,
    rows: Iterable[Mapping[str, object]],
) -> SnapshotResult:
    adjusted = unchanged = n = 0
    rejected: list[SnapshotRowError] = []
    for i, row in enumerate(rows, start=1):
        n += 1
        raw_loc = str(row.get(mapping.location) or "").strip()
        raw_sku = str(row.get(mapping.sku) or "").strip()
        raw_qty = row.get(mapping.quantity)
        if not raw_loc or not raw_sku:
            field = mapping.location if not raw_loc else mapping.sku
            rejected.append(
                SnapshotRowError(
                    row=i, field=field, message_zh=f"缺少 {field}", message=f"{field} is empty"
                )
            )
            continue
        try:
            qty = int(float(str(raw_qty).strip()))
            if qty < 0 or float(str(raw_qty).strip()) != qty:
                raise ValueError
        except (TypeError, ValueError):
            rejected.append(
                SnapshotRowError(
                    row=i,
                    field=mapping.quantity,
                    message_zh=f"数量 {raw_qty!r} 不是非负整数",
                    message=f"quantity {raw_qty!r} is not a whole number ≥ 0",
                )
            )
            continue
        loc = mapping.location_map.get(raw_loc, raw_loc)
        sku = mapping.sku_map.get(raw_sku, raw_sku)
        try:
            delta = service.count(
                session,
                location=loc,
                sku=sku,
                counted=qty,
                key=f"snapshot:{mapping.source}:{snapshot_id}:{loc}:{sku}",
                ref=f"{mapping.source}:{snapshot_id}",
            )
        except InventoryError as e:
            rejected.append(
                SnapshotRowError(
                    row=i, field=e.field or "", message_zh=e.message_zh, message=e.detail
                )
            )
            continue
        if delta:
            adjusted += 1
        else:
            unchanged += 1
    return SnapshotResult(
        source=mapping.source, rows=n, adjusted=adjusted, unchanged=unchanged, rejected=rejected
    )


def read_file(path: Path) -> list[dict[str, object]]:
    """Rows of a CSV (UTF-8, with or without BOM, or GBK) or XLSX export."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        it = wb.active.iter_rows(values_only=True)  # type: ignore[union-attr]
        header = [str(h).strip() for h in next(it)]
        return [dict(zip(header, r, strict=False)) for r in it]
    data = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    return [dict(r) for r in csv.DictReader(io.StringIO(text))]


def import_file(
    session: Session, *, path: Path, mapping: SnapshotMapping, snapshot_id: str | None = None
) -> SnapshotResult:
    return import_rows(
        session, mapping=mapping, snapshot_id=snapshot_id or path.stem, rows=read_file(path)
    )
