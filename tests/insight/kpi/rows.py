"""Row builders for the KPI tests' hand-made ``ins_order_facts``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any


def order_row(
    oid: str,
    day: date,
    code: str | None,
    *,
    status: str = "paid",
    customer: str = "C1",
    paid: str = "50.00",
    discount: str = "5.00",
    units: int = 1,
) -> dict[str, Any]:
    """One order of store S001 on the POS channel, with coupon ``code`` (or none)."""
    return {
        "order_id": oid,
        "order_day": day,
        "store_code": "S001",
        "channel_code": "pos",
        "status": status,
        "customer_id": customer,
        "paid_amount": Decimal(paid),
        "discount_amount": Decimal(discount),
        "units": units,
        "coupon_code": code,
    }
