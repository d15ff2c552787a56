"""The POS coupon issue ledger (门店券发放记录, exports/pos/coupons.csv): every coupon a till
redeems (优惠券号 on pos/sales.csv) was issued before it was used — to the member whose card
was shown, or at the till to a walk-in — so the world's coupons issued ≥ coupons redeemed.

App and mini-program coupons are issued by their ``Coupon Claimed`` events (events.py) with the
same code as on the order. The ledger only references member cards; it adds no identity
evidence (no identity entity in its mapping, no ``IdentityColumn`` in layout.py).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from omniretail.demo.context import World
from omniretail.demo.writers import concat, padded, take, timestamps, write_csv

REL = "exports/pos/coupons.csv"


def pos_coupon_codes(order: np.ndarray) -> pa.Array:
    """The code printed on the ticket of a POS order that used a coupon."""
    return concat("CP", padded(np.asarray(order) * 7 % 10**9, 9))


def write_pos_coupons(w: World) -> None:
    rng = w.rng("pos coupons")
    cl = w.channel_lines("pos")
    f = np.flatnonzero(cl.first & (cl.coupon_value > 0))
    day, secs = cl.day[f], cl.secs[f]
    before = rng.integers(1, 31, len(f))  # claimed 1-30 days before the visit
    issue_day = np.maximum(day - before, 0)
    issue_secs = np.where(
        issue_day == day, np.maximum(secs - 3600, 0), rng.integers(9 * 3600, 21 * 3600, len(f))
    )
    src = w.sources["pos"]
    rec = cl.record[f]
    table = pa.table(
        {
            "券号": pos_coupon_codes(cl.order[f]),
            "会员卡号": take(src.record_id, rec, mask=rec < 0),
            "门店编码": w.take("stores", "store_code", cl.store[f]),
            "面额": pa.array(np.round(cl.coupon_value[f], 2)),
            "发放时间": timestamps(issue_day, issue_secs),
        }
    )
    table = table.sort_by("发放时间")
    w.record(REL, write_csv(table, w.path(REL), bom=True))
