"""Exports of the store side: master data, POS, community group-buying, Dianping vouchers,
corporate orders and gift cards."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from omniretail.demo.calendar import N_DAYS, daily_weights
from omniretail.demo.catalog import categories_table, channels_table
from omniretail.demo.context import ChannelLines, ExtraIdentities, World
from omniretail.demo.coupons import pos_coupon_codes
from omniretail.demo.geo import CITIES
from omniretail.demo.identities import find_in
from omniretail.demo.messy import (
    TEST_NAMES,
    TEST_PHONES,
    duplicate_rows,
    fill_test,
    masked_phones,
    messy_birthdays,
    messy_names,
    messy_phones,
)
from omniretail.demo.names import nicknames
from omniretail.demo.rand import Arr, scrambled_ids, zfill
from omniretail.demo.writers import (
    concat,
    day_text,
    money,
    padded,
    take,
    timestamps,
    write_csv,
    write_xlsx,
)

POS_STATUS = np.asarray(["正常", "作废", "退货"])
PAYMENTS = np.asarray(["微信支付", "支付宝", "现金", "银联", "礼品卡"])
LEVELS = np.asarray(["普卡", "银卡", "金卡", "钻石卡"])


def _public(table: pa.Table) -> pa.Table:
    return table.select([c for c in table.column_names if not c.startswith("_")])


def write_master(w: World) -> None:
    for rel, table in (
        ("exports/master/stores.csv", _public(w.stores)),
        ("exports/master/categories.csv", categories_table()),
        ("exports/master/products.csv", _public(w.products)),
        ("exports/master/channels.csv", channels_table()),
        ("exports/master/staff.csv", _public(w.staff)),
    ):
        w.record(rel, write_csv(table, w.path(rel)))


def member_phones(w: World, rng: np.random.Generator, person: Arr, is_dup: Arr) -> Arr:
    """The true number, sometimes the person's second number (more often on a duplicate)."""
    p = w.people
    pp = np.maximum(person, 0)
    second = p.second_phone[pp]
    use2 = (second > 0) & (rng.random(len(pp)) < np.where(is_dup, 0.6, 0.3))
    return np.where(use2, second, p.phone[pp])


def write_pos(w: World) -> None:
    rng = w.rng("export:pos")
    src = w.sources["pos"]
    p, n = w.people, len(src)
    pp = np.maximum(src.person, 0)
    store_codes = w.col("stores", "store_code")
    store_phone = w.col("stores", "phone")
    home = np.where(src.is_dup, rng.integers(0, w.stores.num_rows, n), p.home_store[pp])
    phones = messy_phones(rng, member_phones(w, rng, src.person, src.is_dup))
    r = rng.random(n)
    walk_in = r < 0.03  # clerk typed the store's own number
    phones = np.where(walk_in, store_phone[home], phones)
    clerk = (r >= 0.03) & (r < 0.045)  # ... or her own mobile
    st = w.staff.column("_store_idx").to_numpy()
    first_staff = np.searchsorted(st, home)
    phones = np.where(clerk, w.col("staff", "phone")[first_staff], phones)
    phones = fill_test(phones, src.is_test, TEST_PHONES, rng)
    names = fill_test(messy_names(rng, p.name[pp]), src.is_test, TEST_NAMES, rng)
    gender = np.where(p.female[pp], "女", "男")
    gender = np.where((rng.random(n) < 0.12) | src.is_test, "", gender)
    signup = np.maximum(p.signup_day[pp], -3 * 365) + np.where(
        src.is_dup, rng.integers(30, 400, n), 0
    )
    signup = np.minimum(signup, N_DAYS - 1)
    level = np.digitize(p.orders_per_year[pp], [4.0, 9.0, 18.0])
    table = pa.table(
        {
            "会员卡号": src.record_id,
            "姓名": names,
            "手机号": phones,
            "性别": gender,
            "生日": messy_birthdays(rng, p.birthday[pp], known=0.55, slashes=True),
            "开卡门店": store_codes[home],
            "开卡时间": timestamps(signup, rng.integers(9 * 3600, 21 * 3600, n)),
            "会员等级": LEVELS[level],
            "积分余额": rng.integers(0, 3000, n) * (level + 1),
        }
    )
    table = duplicate_rows(rng, table.sort_by("开卡时间"), 0.01)
    w.record(
        "exports/pos/members.csv", write_csv(table, w.path("exports/pos/members.csv"), bom=True)
    )

    cl = w.channel_lines("pos")
    ticket = concat(w.take("stores", "store_code", cl.store), "-", padded(cl.seq + 1, 9))
    pay = rng.choice(5, len(cl.order), p=[0.55, 0.3, 0.05, 0.05, 0.05])
    pay = pay[np.searchsorted(cl.order, cl.order)]  # one payment per ticket
    coupon = pc.if_else(pa.array(cl.coupon_value > 0), pos_coupon_codes(cl.order), "")
    sales = pa.table(
        {
            "小票号": ticket,
            "行号": cl.line_no,
            "门店编码": w.take("stores", "store_code", cl.store),
            "收银员工号": w.take("staff", "staff_code", cl.staff),
            "导购工号": pc.fill_null(
                w.take("staff", "staff_code", cl.guide, mask=cl.guide < 0), ""
            ),
            "销售时间": timestamps(cl.day, cl.secs),
            "会员卡号": pc.fill_null(take(src.record_id, cl.record, mask=cl.record < 0), ""),
            "会员手机": pc.fill_null(take(phones, cl.record, mask=cl.record < 0), ""),
            "商品编码": w.take("products", "sku", cl.sku),
            "商品名称": w.take("products", "name", cl.sku),
            "数量": cl.qty,
            "单价": money(cl.price),
            "折扣金额": money(cl.discount),
            "实收金额": money(cl.amount),
            "支付方式": take(PAYMENTS, pay),
            "优惠券号": coupon,
            "单据状态": take(POS_STATUS, cl.status),
        }
    )
    sales = duplicate_rows(rng, sales, 0.003)
    w.record("exports/pos/sales.csv", write_csv(sales, w.path("exports/pos/sales.csv"), bom=True))


def _leaders_per_store(w: World) -> tuple[Arr, Arr]:
    """Candidate group leaders (records of the groupbuy source) for each store."""
    src = w.sources["groupbuy"]
    p = w.people
    rec = np.flatnonzero((src.person >= 0) & ~src.is_dup)
    rec = rec[p.group_leader[src.person[rec]]]
    if len(rec) == 0:
        rec = np.flatnonzero(src.person >= 0)[:1]
    leader_store = p.home_store[src.person[rec]]
    leader_city = p.city_idx[src.person[rec]]
    city_of_store = w.stores.column("_city_idx").to_numpy()
    cands: list[Arr] = []
    for s in range(w.stores.num_rows):  # a loop over stores, not over orders
        c = rec[leader_store == s]
        if len(c) == 0:
            c = rec[leader_city == city_of_store[s]]
        if len(c) == 0:
            c = rec
        cands.append(c)
    counts = np.array([len(c) for c in cands])
    return np.concatenate(cands), np.concatenate([[0], np.cumsum(counts)])


def group_assignments(w: World, cl: ChannelLines) -> tuple[Arr, pa.Array]:
    """(leader record, 团号) of each group-buying line: one group per pickup store and day,
    led by one of the leaders living near the store."""
    flat, off = _leaders_per_store(w)
    cnt = np.diff(off)
    leader = flat[off[cl.store] + cl.day % cnt[cl.store]]
    group_no = concat("T", day_text(cl.day, "%Y%m%d"), w.take("stores", "store_code", cl.store))
    return leader, group_no


def write_groupbuy(w: World) -> None:
    rng = w.rng("export:groupbuy")
    src = w.sources["groupbuy"]
    nick = fill_test(nicknames(rng, len(src)), src.is_test, TEST_NAMES, rng)
    phone = messy_phones(rng, member_phones(w, rng, src.person, src.is_dup), missing=0.0)
    phone = fill_test(phone, src.is_test, TEST_PHONES, rng)
    cl = w.channel_lines("groupbuy")
    leader, group_no = group_assignments(w, cl)
    gb_price = np.round(cl.price * 0.92, 1)
    table = pa.table(
        {
            "团购单号": concat("TG", padded(cl.seq + 1, 10)),
            "团号": group_no,
            "团长用户ID": take(src.record_id, leader),
            "团长昵称": take(nick, leader),
            "团员用户ID": take(src.record_id, cl.record),
            "团员昵称": take(nick, cl.record),
            "团员手机": take(phone, cl.record),
            "自提点": concat(w.take("stores", "name", cl.store), "自提点"),
            "自提门店": w.take("stores", "store_code", cl.store),
            "商品编码": w.take("products", "sku", cl.sku),
            "商品名称": w.take("products", "name", cl.sku),
            "数量": cl.qty,
            "团购价": money(gb_price),
            "实付": money(np.maximum(gb_price * cl.qty - cl.discount, 0)),
            "下单时间": timestamps(cl.day, cl.secs),
            "状态": take(np.asarray(["已提货", "已取消", "已退款"]), cl.status),
        }
    )
    table = duplicate_rows(rng, table, 0.002)
    rel = "exports/groupbuy/orders.csv"
    w.record(rel, write_csv(table, w.path(rel)))


VOUCHERS = (("良品铺子 50元代金券", 45.0, 50.0), ("良品铺子 100元代金券", 88.0, 100.0),
            ("坚果礼盒兑换券", 99.0, 128.0), ("下午茶零食套餐", 39.9, 58.0))  # fmt: skip


def write_dianping(w: World) -> None:
    rng = w.rng("export:dianping")
    src = w.sources["dianping"]
    o = w.orders
    idx = src.order_index
    rec = src.order_record
    assert idx is not None
    assert rec is not None
    nick = nicknames(rng, len(src))
    phone = masked_phones(member_phones(w, rng, src.person, src.is_dup), "mid4")
    kind = rng.choice(len(VOUCHERS), len(idx), p=[0.35, 0.3, 0.15, 0.2])
    status = o.status[idx]
    redeemed = (status == 0) & (rng.random(len(idx)) < 0.85)
    redeem_day = np.minimum(o.day[idx] + rng.integers(0, 30, len(idx)), N_DAYS - 1)
    redeem_ts = pc.if_else(
        pa.array(redeemed),
        timestamps(redeem_day, rng.integers(10 * 3600, 21 * 3600, len(idx))),
        None,
    )
    store_codes = w.col("stores", "store_code")
    table = pa.table(
        {
            "券码": zfill(
                scrambled_ids(len(idx), 12, salt=int(rng.integers(1 << 40))).astype(str), 12
            ),
            "团购名称": np.asarray([v[0] for v in VOUCHERS])[kind],
            "用户ID": src.record_id[rec],
            "用户昵称": nick[rec],
            "手机号": phone[rec],
            "售价": money(np.asarray([v[1] for v in VOUCHERS])[kind]),
            "面值": money(np.asarray([v[2] for v in VOUCHERS])[kind]),
            "购买时间": timestamps(o.day[idx], o.secs[idx]),
            "核销时间": redeem_ts,
            "核销门店": np.where(redeemed, store_codes[o.store[idx]], ""),
            "状态": np.where(status > 0, "已退款", np.where(redeemed, "已核销", "未使用")),
        }
    )
    rel = "exports/dianping/vouchers.csv"
    w.record(rel, write_csv(table, w.path(rel)))


INDUSTRY = ("科技", "信息", "建设", "物流", "医药", "教育", "传媒", "贸易", "电子", "汽车服务")


def write_enterprise(w: World) -> None:
    rng = w.rng("export:enterprise")
    src = w.sources["enterprise"]
    p = w.people
    pp = np.maximum(src.person, 0)
    city = np.asarray([c.name for c in CITIES])[p.city_idx[pp]]
    company = np.char.add(
        np.char.add(
            city,
            np.asarray(["华", "鑫", "安", "泰", "宏", "博", "联", "创"])[
                rng.integers(0, 8, len(src))
            ],
        ),
        np.char.add(np.asarray(INDUSTRY)[rng.integers(0, len(INDUSTRY), len(src))], "有限公司"),
    )
    phone = messy_phones(rng, member_phones(w, rng, src.person, src.is_dup), missing=0.0)
    names = messy_names(rng, p.name[pp], missing=0.0)
    cl = w.channel_lines("enterprise")
    year = (np.datetime64("2024-11-01") + cl.day.astype("timedelta64[D]")).astype("datetime64[Y]")
    table = pa.table(
        {
            "合同号": np.char.add(
                np.char.add("HT", year.astype(str)), zfill((cl.seq + 1).astype(str), 5)
            ),
            "客户编号": src.record_id[cl.record],
            "企业名称": company[cl.record],
            "联系人": names[cl.record],
            "联系电话": phone[cl.record],
            "商品编码": w.col("products", "sku")[cl.sku],
            "商品名称": w.col("products", "name")[cl.sku],
            "数量": cl.qty,
            "单价": money(cl.price),
            "金额": money(cl.amount),
            "下单日期": (np.datetime64("2024-11-01") + cl.day.astype("timedelta64[D]")).astype(
                "U10"
            ),
            "交付门店": w.col("stores", "store_code")[cl.store],
            "状态": np.where(cl.status == 1, "已取消", "已交付"),
        }
    )
    rel = "exports/enterprise/orders.xlsx"
    w.record(rel, write_xlsx(table, w.path(rel), "订单"))


def write_giftcards(w: World) -> None:
    rng = w.rng("export:giftcard")
    p = w.people
    buyers = np.flatnonzero(p.giftcard_buyer | p.corporate_buyer)
    k = np.where(
        p.corporate_buyer[buyers], rng.integers(5, 30, len(buyers)), rng.integers(1, 4, len(buyers))
    )
    person = np.repeat(buyers, k)
    n = len(person)
    cdf = np.concatenate([[0.0], np.cumsum(daily_weights("enterprise"))])
    day = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right") - 1
    day = np.clip(day, 0, N_DAYS - 1)
    order = np.lexsort((person, day))
    person, day = person[order], day[order]
    face = np.asarray([100.0, 200.0, 500.0])[rng.choice(3, n, p=[0.5, 0.35, 0.15])]
    price = np.where(p.corporate_buyer[person], face * 0.95, face)
    activated = rng.random(n) < 0.7
    act_day = np.minimum(day + rng.integers(0, 60, n), N_DAYS - 1)
    # holder: the buyer herself or somebody she gave the card to
    holder = np.where(rng.random(n) < 0.4, person, rng.integers(0, p.n, n))
    card_of = find_in(w.sources["pos"], holder)
    bound = np.where(
        activated & (card_of >= 0), w.sources["pos"].record_id[np.maximum(card_of, 0)], ""
    )
    spent = np.where(activated, np.round(face * rng.random(n) * 1.2, 2), 0.0)
    balance = np.maximum(face - spent, 0.0)
    status = np.where(~activated, "未激活", np.where(balance <= 0, "已用完", "使用中"))
    ids = np.char.add(
        "6688", zfill(scrambled_ids(n, 12, salt=int(rng.integers(1 << 40))).astype(str), 12)
    )
    phones = messy_phones(rng, member_phones(w, rng, person, np.zeros(n, bool)), missing=0.02)
    # cards sold to a company are invoiced on its corporate account (the 客户编号 of the
    # enterprise orders): the buyer is that account's contact person
    ent = w.sources["enterprise"]
    account = find_in(ent, person)
    account_no = (
        np.where(
            p.corporate_buyer[person] & (account >= 0), ent.record_id[np.maximum(account, 0)], ""
        )
        if len(ent)
        else np.full(n, "")  # a tiny world can have no corporate account
    )
    table = pa.table(
        {
            "卡号": ids,
            "面值": money(face),
            "售价": money(price),
            "售卖时间": timestamps(day, rng.integers(9 * 3600, 21 * 3600, n)),
            "售卖门店": w.col("stores", "store_code")[p.home_store[person]],
            "购卡人": messy_names(rng, p.name[person], missing=0.05),
            "购卡人手机": phones,
            "激活时间": pc.if_else(
                pa.array(activated), timestamps(act_day, rng.integers(9 * 3600, 21 * 3600, n)), None
            ),
            "绑定会员卡号": bound,
            "企业客户编号": account_no,
            "余额": money(balance),
            "状态": status,
        }
    )
    rel = "exports/giftcard/cards.xlsx"
    w.record(rel, write_xlsx(table, w.path(rel), "礼品卡"))
    multi = np.bincount(person, minlength=p.n)[person] > 1
    w.extra.append(ExtraIdentities("giftcard", ids, person, "card", multi))
