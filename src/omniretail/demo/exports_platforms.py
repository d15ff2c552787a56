"""Exports of the public-domain platforms (公域): Tmall, JD, Douyin, Kuaishou, Meituan, Ele.me.
Each has its own column names, order-number format and phone mask."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from omniretail.demo.context import ChannelLines, World
from omniretail.demo.exports_offline import member_phones
from omniretail.demo.geo import CITIES, STREETS
from omniretail.demo.live_orders import live_rooms
from omniretail.demo.memberships import RATES, home_addresses
from omniretail.demo.messy import duplicate_rows, masked_phones, messy_names, virtual_numbers
from omniretail.demo.names import person_names, polite_name, star_name
from omniretail.demo.rand import Arr
from omniretail.demo.writers import as_text, money, take, timestamps, ts_text, write_csv

STREAMERS = ("良品官方直播间", "零食小姐姐", "吃货大王", "李家铺子好物", "深夜放毒", "美食侦探")
TRAFFIC = ("直播", "短视频", "商品卡")


class Receivers:
    """Per record of a platform source: receiver name, true phone, address, province, city."""

    def __init__(self, w: World, code: str) -> None:
        rng = w.rng(f"receivers:{code}")
        src = w.sources[code]
        p, n = w.people, len(src)
        pp = np.maximum(src.person, 0)
        other, _ = person_names(rng, n)
        own = rng.random(n) < 0.85
        self.name = np.where(own, messy_names(rng, p.name[pp], missing=0.0), other)
        self.female = p.female[pp]
        self.phone = member_phones(w, rng, src.person, src.is_dup)
        city = p.city_idx[pp]
        self.province = np.asarray([c.province for c in CITIES])[city]
        self.city = np.asarray([c.name for c in CITIES])[city]
        district = np.asarray([c.districts[0] for c in CITIES])[city]
        street = np.asarray(STREETS)[rng.integers(0, len(STREETS), n)]
        no = rng.integers(1, 500, n).astype(str)
        elsewhere = np.char.add(np.char.add(district, street), np.char.add(no, "号"))
        # most parcels go to the buyer's home (one address per person, the same on every
        # platform); gifts for someone else and some others (office, parents) elsewhere
        home = own & (w.rng(f"address:{code}").random(n) < RATES["home_address"])
        self.detail = np.where(home, home_addresses(w.seed, p, pp), elsewhere)
        self.address = np.char.add(
            np.char.add(np.char.add(self.province, " "), np.char.add(self.city, " ")), self.detail
        )
        self.record_id = src.record_id

    def __call__(self, field: str, rec: Arr) -> pa.Array:
        """A per-record field for each line."""
        return take(getattr(self, field), rec)


def _products(w: World, cl: ChannelLines) -> tuple[pa.Array, pa.Array]:
    return w.take("products", "sku", cl.sku), w.take("products", "name", cl.sku)


def _order_no(cl: ChannelLines, base: int, step: int) -> Arr:
    return (base + cl.seq.astype(np.int64) * step).astype(np.int64)


def write_tmall(w: World) -> None:
    cl = w.channel_lines("tmall")
    r = Receivers(w, "tmall")
    rec = cl.record
    sku, name = _products(w, cl)
    main = _order_no(cl, 2_100_000_000_000_000_000, 7_919)
    ts = timestamps(cl.day, cl.secs)
    paid = timestamps(cl.day, cl.secs + 45)
    table = pa.table(
        {
            "订单编号": as_text(main),
            "子订单编号": as_text(main + cl.line_no),
            "买家会员名": r("record_id", rec),
            "收货人姓名": r("name", rec),
            "联系手机": take(masked_phones(r.phone, "mid4"), rec),
            "收货地址": r("address", rec),
            "订单创建时间": ts,
            "订单付款时间": pc.if_else(pa.array(cl.status != 1), paid, None),
            "宝贝标题": name,
            "商家编码": sku,
            "购买数量": cl.qty,
            "价格": money(cl.price),
            "店铺优惠": money(cl.discount),
            "买家实际支付金额": money(cl.amount),
            "订单状态": take(np.asarray(["交易成功", "交易关闭", "退款成功"]), cl.status),
        }
    )
    table = duplicate_rows(w.rng("dup:tmall"), table, 0.002)
    rel = "exports/tmall/orders.csv"
    w.record(rel, write_csv(table, w.path(rel)))


def write_jd(w: World) -> None:
    cl = w.channel_lines("jd")
    r = Receivers(w, "jd")
    rec = cl.record
    sku, name = _products(w, cl)
    table = pa.table(
        {
            "订单号": as_text(_order_no(cl, 300_000_000_000, 37)),
            "下单账号": r("record_id", rec),
            "客户姓名": r("name", rec),
            "联系电话": take(masked_phones(r.phone, "mid4"), rec),
            "商品ID": sku,
            "商品名称": name,
            "订购数量": cl.qty,
            "京东价": money(cl.price),
            "优惠金额": money(cl.discount),
            "应付金额": money(cl.amount),
            "下单时间": ts_text(cl.day, cl.secs, "%Y/%m/%d"),
            "订单状态": take(np.asarray(["完成", "已取消", "退货完成"]), cl.status),
            "省": r("province", rec),
            "市": r("city", rec),
            "详细地址": r("detail", rec),
        }
    )
    rel = "exports/jd/orders.csv"
    w.record(rel, write_csv(table, w.path(rel), encoding="gb18030"))


def write_douyin(w: World) -> None:
    cl = w.channel_lines("douyin")
    r = Receivers(w, "douyin")
    rng = w.rng("export:douyin")
    rec = cl.record
    sku, name = _products(w, cl)
    main = _order_no(cl, 6_900_000_000_000_000_000, 1_013)
    n_orders = int(cl.seq.max(initial=-1)) + 1
    streamer_i = rng.integers(0, len(STREAMERS), n_orders)[cl.seq]
    traffic_i = rng.choice(3, n_orders, p=[0.6, 0.25, 0.15])[cl.seq]
    # the demo's live session a 直播 line was bought in (demo/live_orders.py)
    room = live_rooms(cl, "douyin", traffic_i == 0)
    traffic_i = np.where(room != None, 0, traffic_i)  # noqa: E711 (element-wise)
    table = pa.table(
        {
            "主订单编号": as_text(main),
            "子订单编号": as_text(main + cl.line_no),
            "用户ID": r("record_id", rec),
            "选购商品": name,
            "商家编码": sku,
            "商品数量": cl.qty,
            "商品单价": money(cl.price),
            "优惠金额": money(cl.discount),
            "订单应付金额": money(cl.amount),
            "订单提交时间": timestamps(cl.day, cl.secs),
            "订单状态": take(np.asarray(["已完成", "已关闭", "售后完成"]), cl.status),
            "收件人": take(star_name(r.name), rec),
            "收件人手机号": take(masked_phones(r.phone, "last4"), rec),
            "省": r("province", rec),
            "市": r("city", rec),
            "达人昵称": take(np.asarray(STREAMERS), streamer_i, mask=traffic_i == 2),
            "流量来源": take(np.asarray(TRAFFIC), traffic_i),
            "直播间ID": pa.array(room, pa.string()),
        }
    )
    rel = "exports/douyin/orders.csv"
    w.record(rel, write_csv(table, w.path(rel)))


def write_kuaishou(w: World) -> None:
    cl = w.channel_lines("kuaishou")
    r = Receivers(w, "kuaishou")
    rec = cl.record
    live = w.rng("export:kuaishou:live").random(int(cl.seq.max(initial=-1)) + 1) < 0.5
    sku, name = _products(w, cl)
    table = pa.table(
        {
            "订单号": as_text(_order_no(cl, 2_400_000_000_000_000, 211)),
            "买家ID": r("record_id", rec),
            "收货人": r("name", rec),
            "收货电话": take(masked_phones(r.phone, "mid4"), rec),
            "商品名称": name,
            "SKU编码": sku,
            "数量": cl.qty,
            "单价": money(cl.price),
            "实付款": money(cl.amount),
            "下单时间": timestamps(cl.day, cl.secs),
            "订单状态": take(np.asarray(["交易成功", "交易关闭", "已退款"]), cl.status),
            "直播间ID": pa.array(live_rooms(cl, "kuaishou", live[cl.seq]), pa.string()),
        }
    )
    rel = "exports/kuaishou/orders.csv"
    w.record(rel, write_csv(table, w.path(rel)))


def write_meituan(w: World) -> None:
    cl = w.channel_lines("meituan")
    r = Receivers(w, "meituan")
    rng = w.rng("export:meituan")
    rec = cl.record
    sku, name = _products(w, cl)
    n_orders = int(cl.seq.max(initial=-1)) + 1
    virtual = take(virtual_numbers(rng, n_orders), cl.seq)
    use_virtual = (rng.random(n_orders) < 0.7)[cl.seq]
    phone = pc.if_else(pa.array(use_virtual), virtual, take(masked_phones(r.phone, "mid4"), rec))
    table = pa.table(
        {
            "订单编号": as_text(_order_no(cl, 100_000_000_000_000_000, 3_001)),
            "门店ID": w.take("stores", "meituan_poi_id", cl.store),
            "门店名称": w.take("stores", "name", cl.store),
            "下单时间": timestamps(cl.day, cl.secs),
            "顾客ID": r("record_id", rec),
            "顾客": take(polite_name(r.name, r.female), rec),
            "顾客电话": phone,
            "顾客地址": pc.if_else(
                pa.array(cl.fulfilment == 2), "", take(np.char.add(r.city, r.detail), rec)
            ),
            "商品名称": name,
            "商品编码": sku,
            "数量": cl.qty,
            "单价": money(cl.price),
            "商家活动支出": money(cl.discount),
            "小计": money(cl.amount),
            "配送方式": take(
                np.asarray(["美团专送", "到店自取"]), (cl.fulfilment == 2).astype(int)
            ),
            "订单状态": take(np.asarray(["已完成", "已取消", "已退款"]), cl.status),
        }
    )
    rel = "exports/meituan/orders.csv"
    w.record(rel, write_csv(table, w.path(rel)))


def write_eleme(w: World) -> None:
    cl = w.channel_lines("eleme")
    r = Receivers(w, "eleme")
    rng = w.rng("export:eleme")
    rec = cl.record
    sku, name = _products(w, cl)
    n_orders = int(cl.seq.max(initial=-1)) + 1
    tail = (rng.random(n_orders) < 0.6)[cl.seq]
    phone = pc.if_else(
        pa.array(tail),
        take(masked_phones(r.phone, "tail"), rec),
        take(masked_phones(r.phone, "mid4"), rec),
    )
    table = pa.table(
        {
            "订单号": as_text(_order_no(cl, 8_000_000_000_000_000_000, 4_099)),
            "店铺ID": w.take("stores", "eleme_shop_id", cl.store),
            "下单时间": timestamps(cl.day, cl.secs),
            "用户ID": r("record_id", rec),
            "收货人": take(polite_name(r.name, r.female), rec),
            "收货人电话": phone,
            "收货地址": pc.if_else(
                pa.array(cl.fulfilment == 2), "", take(np.char.add(r.city, r.detail), rec)
            ),
            "商品": name,
            "商品编码": sku,
            "数量": cl.qty,
            "原价": money(cl.price * cl.qty),
            "优惠": money(cl.discount),
            "实付": money(cl.amount),
            "状态": take(np.asarray(["完成", "无效", "退单"]), cl.status),
        }
    )
    rel = "exports/eleme/orders.csv"
    w.record(rel, write_csv(table, w.path(rel)))
