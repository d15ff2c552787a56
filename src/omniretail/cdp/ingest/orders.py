"""Land omniretail's own operational orders (``omnichannel.order``) in analytics through the
same landing path as any channel export: the orders changed since analytics last received them
(``version > landed_version``) are written to a Parquet file, imported as one landing batch with
the shipped mapping ``omniretail_orders``, and marked landed in the same transaction as the
batch record — a crash before the commit lands nothing and marks nothing, so the next drain
sends them again; nothing is sent twice once committed.

The first landing of an order carries its lines; later changes (paid, fulfilled, returned ...)
carry only the order's header, whose latest values win in standardize. Every row declares its
channel (name and kind from the channel master), so an order's channel is never unknown. An order
that names only a customer id is linked through that customer's phone/unionid, so identity
resolution puts it in the customer's history.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from omniretail.cdp.ingest import service as ingest_service
from omniretail.cdp.ingest.mapping import load_mapping, shipped_mapping
from omniretail.cdp.profile import service as profile_service
from omniretail.omnichannel.channel import service as channel_service
from omniretail.omnichannel.channel.schemas import ChannelRead
from omniretail.omnichannel.order import service as order_service
from omniretail.omnichannel.order.schemas import OrderLanding
from omniretail.platform.config import get_settings
from omniretail.platform.timezone import to_wall_clock

SOURCE = "omniretail_orders"
# how an operational status counts in analytics: sales are status 'paid' (a fulfilled or partly
# returned order is still a sale, at what was kept), a cancelled or fully returned one is not
ANALYTICS_STATUS = {
    "placed": "created",
    "paid": "paid",
    "fulfilled": "paid",
    "partially_returned": "paid",
    "returned": "returned",
    "cancelled": "cancelled",
}
_TEXT = (
    "order_id",
    "channel_code",
    "store_code",
    "staff_id",
    "buyer_key",
    "member_id",
    "phone",
    "unionid",
    "openid",
    "ordered_at",
    "status",
    "fulfillment",
    "payment_method",
    "gross_amount",
    "discount_amount",
    "paid_amount",
    "coupon_code",
    "live_code",
    "live_link",
    "sku",
    "product_name",
    "quantity",
    "unit_price",
    "line_discount",
    "line_amount",
)
_CHANNEL = ("channel_name", "channel_name_en", "channel_kind", "channel_domain")
SCHEMA = pa.schema(
    [pa.field(c, pa.string()) for c in (*_TEXT, *_CHANNEL)] + [pa.field("line_no", pa.int32())]
)


def _yuan(fen: int) -> str:
    return str(Decimal(fen) / 100)


def _header(o: OrderLanding, ids: dict[str, str], channel: ChannelRead | None) -> dict[str, Any]:
    buyer = {k: v for k, v in (o.buyer or {}).items() if v}
    if not buyer and o.customer_id:
        buyer = ids
    key = o.customer_id or buyer.get("member_id") or buyer.get("phone") or buyer.get("unionid")
    payments = [t for t in o.tenders if t.kind == "payment"]
    return {
        "order_id": order_service.order_ref(o.channel_code, o.external_id),
        "channel_code": o.channel_code,
        "store_code": o.store_code,
        "staff_id": o.staff_id,
        "buyer_key": key if buyer else None,
        "member_id": buyer.get("member_id"),
        "phone": buyer.get("phone"),
        "unionid": buyer.get("unionid"),
        "openid": buyer.get("openid"),
        "ordered_at": to_wall_clock(o.ordered_at).strftime("%Y-%m-%d %H:%M:%S"),
        "status": ANALYTICS_STATUS[o.status],
        "fulfillment": o.fulfillment,
        "payment_method": payments[0].method if payments else None,
        "gross_amount": _yuan(o.gross_fen + o.shipping_fen),
        "discount_amount": _yuan(o.discount_fen),
        "paid_amount": _yuan(o.total_fen - o.refunded_fen),
        "coupon_code": o.coupon_codes[0] if o.coupon_codes else None,
        "live_code": o.live_code,
        "live_link": o.live_link,
        # the order declares its channel (master data), so analytics never finds it unknown
        "channel_name": channel.name if channel else None,
        "channel_name_en": channel.name_en if channel else None,
        "channel_kind": channel.kind if channel else None,
        "channel_domain": channel.domain if channel else None,
    }


def drain_orders(session: Session, *, limit: int = 50_000) -> dict[str, int]:
    """Land the orders changed since the last drain; returns what was landed."""
    orders = order_service.orders_to_land(session, limit=limit)
    if not orders:
        return {"orders": 0, "rows": 0, "lines": 0}
    need = [o.customer_id for o in orders if o.customer_id and not o.buyer]
    ids = profile_service.identifiers_of(session, customer_ids=need) if need else {}
    channels = {c.code: c for c in channel_service.list_channels(session, active_only=False)}
    rows: list[dict[str, Any]] = []
    lines = 0
    for o in orders:
        head = _header(o, ids.get(o.customer_id or "", {}), channels.get(o.channel_code))
        if o.landed_version > 0:
            rows.append(head)
            continue
        for ln in o.lines:
            rows.append(
                {
                    **head,
                    "line_no": ln.line_no,
                    "sku": ln.sku,
                    "product_name": ln.name,
                    "quantity": str(ln.quantity),
                    "unit_price": _yuan(ln.unit_price_fen),
                    "line_discount": _yuan(ln.discount_fen),
                    "line_amount": _yuan(ln.amount_fen),
                }
            )
            lines += 1
    settings = get_settings()
    settings.ensure_dirs()
    tmp = settings.home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / f"orders-{uuid.uuid4().hex}.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), path)
    try:
        mapping, text = load_mapping(shipped_mapping("omniretail_orders"))
        ingest_service.import_files(
            session, source=SOURCE, mapping=mapping, mapping_text=text, files=[path]
        )
    finally:
        path.unlink(missing_ok=True)
    order_service.mark_landed(session, versions={o.id: o.version for o in orders})
    return {"orders": len(orders), "rows": len(rows), "lines": lines}
