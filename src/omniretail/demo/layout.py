"""The layout of a generated world as data: every export file, its format, encoding and the
column holding the ``source_record_id`` of each identity source (the contract of
docs/demo-world.md), plus readers that load any export as an Arrow table."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq


@dataclass(frozen=True)
class ExportFile:
    path: str  # relative to the world directory
    channel: str
    format: str  # csv | jsonl | parquet | xlsx
    encoding: str = "utf-8"
    sheet: str | None = None


@dataclass(frozen=True)
class IdentityColumn:
    """Column ``column`` of ``path`` holds ids of ``source`` (rows where ``where`` is true)."""

    source: str
    path: str
    column: str
    where: tuple[str, str] | None = None  # (column, value) filter, e.g. events of the app


EXPORTS: tuple[ExportFile, ...] = (
    ExportFile("exports/master/stores.csv", "master", "csv"),
    ExportFile("exports/master/categories.csv", "master", "csv"),
    ExportFile("exports/master/products.csv", "master", "csv"),
    ExportFile("exports/master/channels.csv", "master", "csv"),
    ExportFile("exports/master/staff.csv", "master", "csv"),
    ExportFile("exports/pos/members.csv", "pos", "csv", "utf-8-sig"),
    ExportFile("exports/pos/sales.csv", "pos", "csv", "utf-8-sig"),
    ExportFile("exports/pos/coupons.csv", "pos", "csv", "utf-8-sig"),
    ExportFile("exports/miniprogram/members.jsonl", "miniprogram", "jsonl"),
    ExportFile("exports/miniprogram/orders.jsonl", "miniprogram", "jsonl"),
    ExportFile("exports/app/members.parquet", "app", "parquet"),
    ExportFile("exports/app/orders.parquet", "app", "parquet"),
    ExportFile("exports/wechat_oa/followers.csv", "wechat_oa", "csv"),
    ExportFile("exports/wechat_oa/member_cards.csv", "wechat_oa", "csv"),
    ExportFile("exports/wecom/contacts.jsonl", "wecom", "jsonl"),
    ExportFile("exports/tmall/orders.csv", "tmall", "csv"),
    ExportFile("exports/tmall/members.csv", "tmall", "csv"),
    ExportFile("exports/jd/orders.csv", "jd", "csv", "gb18030"),
    ExportFile("exports/jd/members.csv", "jd", "csv"),
    ExportFile("exports/douyin/orders.csv", "douyin", "csv"),
    ExportFile("exports/douyin/members.csv", "douyin", "csv"),
    ExportFile("exports/kuaishou/orders.csv", "kuaishou", "csv"),
    ExportFile("exports/meituan/orders.csv", "meituan", "csv"),
    ExportFile("exports/meituan/members.csv", "meituan", "csv"),
    ExportFile("exports/eleme/orders.csv", "eleme", "csv"),
    ExportFile("exports/eleme/members.csv", "eleme", "csv"),
    ExportFile("exports/dianping/vouchers.csv", "dianping", "csv"),
    ExportFile("exports/groupbuy/orders.csv", "groupbuy", "csv"),
    ExportFile("exports/enterprise/orders.xlsx", "enterprise", "xlsx", sheet="订单"),
    ExportFile("exports/giftcard/cards.xlsx", "giftcard", "xlsx", sheet="礼品卡"),
    ExportFile("exports/events/events.jsonl", "events", "jsonl"),
    ExportFile("exports/reviews/reviews.jsonl", "reviews", "jsonl"),
    ExportFile("exports/counter/counter_doors.csv", "counter", "csv", "utf-8-sig"),
    ExportFile("exports/counter/counter_counts.csv", "counter", "csv", "utf-8-sig"),
    ExportFile("exports/visits/visits.jsonl", "visits", "jsonl"),
)

IDENTITY_COLUMNS: tuple[IdentityColumn, ...] = (
    IdentityColumn("pos", "exports/pos/members.csv", "会员卡号"),
    IdentityColumn("pos", "exports/pos/sales.csv", "会员卡号"),
    IdentityColumn("miniprogram", "exports/miniprogram/members.jsonl", "openid"),
    IdentityColumn("miniprogram", "exports/miniprogram/orders.jsonl", "openid"),
    IdentityColumn("miniprogram", "exports/events/events.jsonl", "userId", ("app", "miniprogram")),
    IdentityColumn(
        "miniprogram", "exports/reviews/reviews.jsonl", "user_id", ("platform", "miniprogram")
    ),
    IdentityColumn("miniprogram", "exports/visits/visits.jsonl", "userId"),
    IdentityColumn("app", "exports/app/members.parquet", "member_id"),
    IdentityColumn("app", "exports/app/orders.parquet", "member_id"),
    IdentityColumn("app", "exports/events/events.jsonl", "userId", ("app", "app")),
    IdentityColumn("app", "exports/reviews/reviews.jsonl", "user_id", ("platform", "app")),
    IdentityColumn("wechat_oa", "exports/wechat_oa/followers.csv", "openid"),
    IdentityColumn("wechat_oa", "exports/wechat_oa/member_cards.csv", "openid"),
    IdentityColumn("wecom", "exports/wecom/contacts.jsonl", "external_userid"),
    IdentityColumn("tmall", "exports/tmall/orders.csv", "买家会员名"),
    IdentityColumn("tmall", "exports/tmall/members.csv", "买家会员名"),
    IdentityColumn("jd", "exports/jd/orders.csv", "下单账号"),
    IdentityColumn("jd", "exports/jd/members.csv", "下单账号"),
    IdentityColumn("douyin", "exports/douyin/orders.csv", "用户ID"),
    IdentityColumn("douyin", "exports/douyin/members.csv", "用户ID"),
    IdentityColumn("kuaishou", "exports/kuaishou/orders.csv", "买家ID"),
    IdentityColumn("meituan", "exports/meituan/orders.csv", "顾客ID"),
    IdentityColumn("meituan", "exports/meituan/members.csv", "顾客ID"),
    IdentityColumn("eleme", "exports/eleme/orders.csv", "用户ID"),
    IdentityColumn("eleme", "exports/eleme/members.csv", "用户ID"),
    IdentityColumn("dianping", "exports/dianping/vouchers.csv", "用户ID"),
    IdentityColumn("groupbuy", "exports/groupbuy/orders.csv", "团员用户ID"),
    IdentityColumn("groupbuy", "exports/groupbuy/orders.csv", "团长用户ID"),
    IdentityColumn("enterprise", "exports/enterprise/orders.xlsx", "客户编号"),
    IdentityColumn("giftcard", "exports/giftcard/cards.xlsx", "卡号"),
    IdentityColumn("events", "exports/events/events.jsonl", "anonymousId"),
) + tuple(
    IdentityColumn(p, "exports/reviews/reviews.jsonl", "user_id", ("platform", p))
    for p in ("tmall", "jd", "douyin", "meituan", "eleme", "dianping")
)


def read_export(world: Path, rel: str) -> pa.Table:
    """Load one export file. CSV and XLSX columns are read as text, exactly as written."""
    spec = next((e for e in EXPORTS if e.path == rel), None)
    if spec is None:
        raise KeyError(f"not an export of the demo world: {rel}")
    path = Path(world) / rel
    if spec.format == "csv":
        with path.open("r", encoding=spec.encoding, newline="") as fh:
            header = fh.readline().rstrip("\r\n")
        names = [c.strip('"') for c in header.split(",")]
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=spec.encoding.replace("-sig", "")),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        ).rename_columns(names)
    if spec.format == "jsonl":
        return pajson.read_json(path)
    if spec.format == "parquet":
        return pq.read_table(path)
    return _read_xlsx(path, spec.sheet or "")


def _read_xlsx(path: Path, sheet: str) -> pa.Table:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        rows = list(wb[sheet].iter_rows(values_only=True))
    finally:
        wb.close()
    names = [str(c) for c in rows[0]]
    cols = list(zip(*rows[1:], strict=True)) if len(rows) > 1 else [() for _ in names]
    return pa.table(
        {
            n: pa.array([None if v is None else str(v) for v in c], pa.string())
            for n, c in zip(names, cols, strict=True)
        }
    )


def identity_ids(world: Path) -> dict[str, set[str]]:
    """Every distinct ``source_record_id`` found in the exports, per source."""
    out: dict[str, set[str]] = {}
    cache: dict[str, pa.Table] = {}
    for ic in IDENTITY_COLUMNS:
        if ic.path not in cache:
            cache[ic.path] = read_export(world, ic.path)
        t = cache[ic.path]
        col = t.column(ic.column)
        if ic.where is not None:
            key, value = ic.where
            if key in t.column_names:
                ref = t.column(key)
            else:  # Segment events keep the app in their context
                ref = pc.struct_field(t.column("context"), key)
            col = col.filter(pc.equal(ref, value))
        values = {str(v) for v in pc.unique(col).to_pylist() if v not in (None, "")}
        out.setdefault(ic.source, set()).update(values)
    return out


def world_info(world: Path) -> dict[str, object]:
    info: dict[str, object] = json.loads((Path(world) / "world.json").read_text("utf-8"))
    return info
