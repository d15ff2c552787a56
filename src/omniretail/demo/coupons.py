"""The POS coupon issue ledger (门店券发放记录, exports/pos/coupons.csv): every coupon a till
redeems (优惠券号 on pos/sales.csv) was issued before it was used — to the member whose card
was shown, or at the till to a walk-in — so the world's coupons issued ≥ coupons redeemed.
Members are also given coupons they never use (``UNUSED_PER_USED`` per used one, on random
days, to random real member cards), as a chain's member coupons mostly go unused.

App and mini-program coupons are issued by their ``Coupon Claimed`` events (events.py) with the
same code as on the order. The ledger only references member cards; it adds no identity
evidence (no identity entity in its mapping, no ``IdentityColumn`` in layout.py).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from omniretail.demo.calendar import N_DAYS
from omniretail.demo.context import World
from omniretail.demo.writers import concat, padded, take, timestamps, write_csv

REL = "exports/pos/coupons.csv"
UNUSED_PER_USED = 1.5


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
    # coupons never used: real members' cards, codes outside the used ones
    n = round(len(f) * UNUSED_PER_USED)
    members = np.flatnonzero(src.person >= 0)
    u_rec = members[rng.integers(0, len(members), n)] if len(members) else np.zeros(0, int)
    n = len(u_rec)
    used = np.asarray(cl.order[f]) * 7 % 10**9
    u_num = rng.integers(0, 10**9, 2 * n + 16)
    _, first = np.unique(u_num, return_index=True)
    u_num = u_num[np.sort(first)]
    u_num = u_num[~np.isin(u_num, used)][:n]
    n = len(u_num)
    u_rec = u_rec[:n]
    u_store = w.people.home_store[src.person[u_rec]]
    u_value = np.asarray([3.0, 5.0, 10.0, 20.0])[rng.integers(0, 4, n)]
    table = pa.table(
        {
            "券号": pa.concat_arrays(
                [pos_coupon_codes(cl.order[f]), concat("CP", padded(u_num, 9))]
            ),
            "会员卡号": pa.concat_arrays(
                [take(src.record_id, rec, mask=rec < 0), take(src.record_id, u_rec)]
            ),
            "门店编码": pa.concat_arrays(
                [
                    w.take("stores", "store_code", cl.store[f]),
                    w.take("stores", "store_code", u_store),
                ]
            ),
            "面额": pa.array(np.round(np.concatenate([cl.coupon_value[f], u_value]), 2)),
            "发放时间": timestamps(
                np.concatenate([issue_day, rng.integers(0, N_DAYS, n)]),
                np.concatenate([issue_secs, rng.integers(9 * 3600, 21 * 3600, n)]),
            ),
        }
    )
    table = table.sort_by("发放时间")
    w.record(REL, write_csv(table, w.path(REL), bom=True))
