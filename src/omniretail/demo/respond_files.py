"""The orders of a demo campaign's response, written as the retailer's own channels export
them (POS ticket lines CSV, mini-program orders JSON lines, app order lines Parquet) so that
they are landed with the demo world's own mappings."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

LOCAL = ZoneInfo("Asia/Shanghai")  # the demo world's exports carry local wall-clock times
# own channels, in order of preference: (source, mapping file in the world, file suffix)
OWN_CHANNELS = {
    "pos": ("pos_sales.yaml", "csv"),
    "miniprogram": ("miniprogram_orders.yaml", "jsonl"),
    "app": ("app_orders.yaml", "parquet"),
}
POS_HEADER = [
    "小票号", "行号", "门店编码", "收银员工号", "导购工号", "销售时间", "会员卡号", "会员手机",
    "商品编码", "商品名称", "数量", "单价", "折扣金额", "实收金额", "支付方式", "优惠券号",
    "单据状态",
]  # fmt: skip


@dataclass
class Line:
    sku: str
    name: str
    category: str | None
    quantity: int
    unit_price: Decimal
    discount: Decimal = Decimal("0")

    @property
    def gross(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def amount(self) -> Decimal:
        return self.gross - self.discount


@dataclass
class Order:
    source: str
    order_id: str
    customer_id: str
    record_id: str
    store_code: str | None
    at: datetime  # aware (UTC)
    lines: list[Line]
    coupon_code: str | None = None

    @property
    def local_time(self) -> datetime:
        return self.at.astimezone(LOCAL).replace(tzinfo=None, microsecond=0)

    @property
    def paid(self) -> Decimal:
        return sum((ln.amount for ln in self.lines), Decimal("0"))


def write_orders(out_dir: Path, orders: list[Order]) -> dict[str, Path]:
    """One export file per own channel, in that channel's own format."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for source in OWN_CHANNELS:
        mine = [o for o in orders if o.source == source]
        if not mine:
            continue
        path = out_dir / f"{source}-orders.{OWN_CHANNELS[source][1]}"
        {"pos": _write_pos, "miniprogram": _write_miniprogram, "app": _write_app}[source](
            path, mine
        )
        files[source] = path
    return files


def _write_pos(path: Path, orders: list[Order]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(POS_HEADER)
        for o in orders:
            for i, ln in enumerate(o.lines, 1):
                w.writerow(
                    [
                        o.order_id, i, o.store_code, "", "",
                        o.local_time.strftime("%Y-%m-%d %H:%M:%S"), o.record_id, "",
                        ln.sku, ln.name, ln.quantity, ln.unit_price, ln.discount, ln.amount,
                        "微信支付", o.coupon_code or "", "正常",
                    ]
                )  # fmt: skip


def _fen(x: Decimal) -> int:
    return int((x * 100).to_integral_value())


def _write_miniprogram(path: Path, orders: list[Order]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for o in orders:
            items = [
                {
                    "skuCode": ln.sku,
                    "skuName": ln.name,
                    "qty": ln.quantity,
                    "price": _fen(ln.unit_price),
                    "discount": _fen(ln.discount),
                }
                for ln in o.lines
            ]
            total = sum(ln.quantity * _fen(ln.unit_price) for ln in o.lines)
            disc = sum(_fen(ln.discount) for ln in o.lines)
            row = {
                "orderNo": o.order_id,
                "openid": o.record_id,
                "createTime": o.local_time.strftime("%Y-%m-%d %H:%M:%S"),
                "status": "PAID",
                "deliveryType": "EXPRESS",
                "storeCode": None,
                "guideId": None,
                "couponId": o.coupon_code,
                "totalFee": total,
                "discountFee": disc,
                "payFee": total - disc,
                "items": items,
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _write_app(path: Path, orders: list[Order]) -> None:
    money = pa.decimal128(12, 2)
    rows = [(o, i, ln) for o in orders for i, ln in enumerate(o.lines, 1)]
    table = pa.table(
        {
            "order_id": pa.array([o.order_id for o, _, _ in rows], pa.string()),
            "line_no": pa.array([i for _, i, _ in rows], pa.int16()),
            "member_id": pa.array([o.record_id for o, _, _ in rows], pa.string()),
            "created_at": pa.array([o.local_time for o, _, _ in rows], pa.timestamp("ms")),
            "status": pa.array(["paid"] * len(rows), pa.string()),
            "fulfillment": pa.array(["express"] * len(rows), pa.string()),
            "store_code": pa.array([None] * len(rows), pa.string()),
            "sku": pa.array([ln.sku for _, _, ln in rows], pa.string()),
            "sku_name": pa.array([ln.name for _, _, ln in rows], pa.string()),
            "quantity": pa.array([ln.quantity for _, _, ln in rows], pa.int32()),
            "unit_price": pa.array([ln.unit_price for _, _, ln in rows], money),
            "discount": pa.array([ln.discount for _, _, ln in rows], money),
            "amount": pa.array([ln.amount for _, _, ln in rows], money),
            "coupon_code": pa.array([o.coupon_code for o, _, _ in rows], pa.string()),
            "payment": pa.array(["wechat_pay"] * len(rows), pa.string()),
        }
    )
    pq.write_table(table, path)
