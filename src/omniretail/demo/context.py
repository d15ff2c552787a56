"""The in-memory world shared by the export writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from omniretail.demo.catalog import CH
from omniretail.demo.identities import Source
from omniretail.demo.orders import Lines, Orders
from omniretail.demo.people import People
from omniretail.demo.rand import Arr, stage_rng


@dataclass
class ExtraIdentities:
    """Identity records created by an export itself (gift cards, devices)."""

    source: str
    record_id: Arr
    person: Arr
    kind: str
    is_dup: Arr


@dataclass
class ChannelLines:
    """Order lines of one channel joined with their order's fields (time order)."""

    order: Arr  # global order index
    first: Arr  # True on the first line of an order
    seq: Arr  # running order number in the channel
    line_no: Arr
    day: Arr
    secs: Arr
    person: Arr
    record: Arr  # index into the channel source's records, -1 anonymous
    store: Arr
    staff: Arr
    guide: Arr
    status: Arr
    fulfilment: Arr
    coupon_value: Arr
    sku: Arr
    qty: Arr
    price: Arr
    discount: Arr
    amount: Arr


@dataclass
class World:
    out: Path
    scale: float
    seed: int
    stores: pa.Table
    products: pa.Table
    staff: pa.Table
    people: People
    orders: Orders
    lines: Lines
    sources: dict[str, Source]
    extra: list[ExtraIdentities] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)  # relative path -> rows

    def rng(self, stage: str) -> np.random.Generator:
        return stage_rng(self.seed, stage)

    def path(self, rel: str) -> Path:
        return self.out / rel

    def record(self, rel: str, rows: int) -> None:
        self.files[rel] = rows

    def channel_lines(self, code: str) -> ChannelLines:
        o, ln = self.orders, self.lines
        c = CH[code]
        li = np.flatnonzero(o.channel[ln.order] == c)
        order = ln.order[li]
        src = self.sources.get(code)
        seq = o.seq[order]
        record = (
            src.order_record[seq]
            if src is not None and src.order_record is not None
            else np.full(len(li), -1)
        )
        return ChannelLines(
            order=order,
            first=ln.line_no[li] == 1,
            seq=seq,
            line_no=ln.line_no[li],
            day=o.day[order],
            secs=o.secs[order],
            person=o.person[order],
            record=record,
            store=o.store[order],
            staff=o.staff[order],
            guide=o.guide[order],
            status=o.status[order],
            fulfilment=o.fulfilment[order],
            coupon_value=o.coupon_value[order],
            sku=ln.sku[li],
            qty=ln.qty[li],
            price=ln.price[li],
            discount=ln.discount[li],
            amount=ln.amount[li],
        )

    def take(self, table: str, name: str, idx: Arr, mask: Arr | None = None) -> pa.Array:
        """A master-data column picked per row (Arrow ``take``; null where ``mask``)."""
        t = {"stores": self.stores, "products": self.products, "staff": self.staff}[table]
        col = t.column(name).combine_chunks()
        out = col.take(pa.array(np.maximum(idx, 0)))
        if mask is not None:
            out = pc.if_else(pa.array(mask), pa.scalar(None, out.type), out)
        return out

    def col(self, table: str, name: str) -> Arr:
        t = {"stores": self.stores, "products": self.products, "staff": self.staff}[table]
        return np.asarray(t.column(name).to_numpy(zero_copy_only=False))
