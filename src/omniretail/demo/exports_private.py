"""Exports of the private domain (私域): mini-program, app, official account and WeCom clerks."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from omniretail.demo.calendar import N_DAYS, START
from omniretail.demo.context import ChannelLines, World
from omniretail.demo.exports_offline import member_phones
from omniretail.demo.geo import CITIES
from omniretail.demo.identities import device_ids
from omniretail.demo.live_orders import live_rooms
from omniretail.demo.messy import TEST_NAMES, TEST_PHONES, fill_test, messy_birthdays, messy_phones
from omniretail.demo.names import nicknames
from omniretail.demo.orders import FULFILMENTS
from omniretail.demo.rand import Arr, scrambled_ids, stage_rng, unique_tokens
from omniretail.demo.writers import (
    as_text,
    concat,
    day_text,
    json_escape,
    json_num,
    json_str,
    money,
    padded,
    take,
    timestamps,
    ts_text,
    write_jsonl,
    write_parquet,
    write_string_buffer,
)

MINIPROGRAM_NO_PHONE = 0.10  # share of mini-program users who never authorised their phone
_EPOCH_START = int((START - np.datetime64("1970-01-01", "D")).astype(int)) * 86400 - 8 * 3600


def unionids(seed: int, n_people: int) -> Arr:
    """One WeChat open-platform unionid per person (only some sources reveal it)."""
    return unique_tokens(stage_rng(seed, "unionid"), n_people, 28, "o6_bm")


def person_emails(seed: int, n_people: int) -> Arr:
    """One e-mail address per person: mostly QQ mail (``<QQ number>@qq.com``), else a handle at
    a domestic provider. Unique per person (the QQ number / handle embeds a scrambled id)."""
    rng = stage_rng(seed, "emails")
    qq = scrambled_ids(n_people, 9, salt=int(rng.integers(1 << 40))) + 100_000_000
    handle = np.char.add(
        np.asarray(["xiao", "happy", "lucky", "mm", "ayu", "tt"])[rng.integers(0, 6, n_people)],
        (qq % 10_000_000).astype(str),
    )
    domain = np.asarray(["@163.com", "@126.com", "@foxmail.com", "@sina.com"])[
        rng.integers(0, 4, n_people)
    ]
    return np.where(
        rng.random(n_people) < 0.6,
        np.char.add(qq.astype(str), "@qq.com"),
        np.char.add(handle, domain),
    )


def miniprogram_order_no(day: Arr, seq: Arr) -> pa.Array:
    """``WX20250101000000123``: order date + running number."""
    return concat("WX", day_text(day, "%Y%m%d"), padded(seq + 1, 9))


def _reg_day(w: World, rng: np.random.Generator, person: Arr, is_dup: Arr) -> Arr:
    p = w.people
    d = np.maximum(p.signup_day[np.maximum(person, 0)], -700) + rng.integers(0, 120, len(person))
    return np.minimum(d + np.where(is_dup, rng.integers(30, 300, len(person)), 0), N_DAYS - 1)


def miniprogram_live_rooms(w: World, cl: ChannelLines) -> Arr:
    """Per mini-program order line the 视频号 session it was bought in, or None: a 视频号 live
    room sells through the chain's mini-program, and half its orders in the window open from
    the live room (demo/live_orders.py)."""
    live = w.rng("export:miniprogram:live").random(int(cl.seq.max(initial=-1)) + 1) < 0.5
    return live_rooms(cl, "channels", live[cl.seq], allowed=cl.record >= 0)


def write_miniprogram(w: World) -> None:
    rng = w.rng("export:miniprogram")
    src = w.sources["miniprogram"]
    p, n = w.people, len(src)
    pp = np.maximum(src.person, 0)
    union = unionids(w.seed, p.n)[pp]
    # the chain's mini-program, official account and WeCom are bound to one WeChat open-platform
    # account, so code2Session returns the unionid of every user (test accounts excepted)
    authorised = (rng.random(n) < 1.0) & ~src.is_test
    # becoming a member asks for the phone (getPhoneNumber, WeChat-verified); the users who
    # decline keep browsing and buying as guests
    mobile = messy_phones(
        rng, member_phones(w, rng, src.person, src.is_dup), missing=MINIPROGRAM_NO_PHONE
    )
    mobile = fill_test(mobile, src.is_test, TEST_PHONES, rng)
    gender = np.where(rng.random(n) < 0.3, 0, np.where(p.female[pp], 2, 1))
    birthday = messy_birthdays(rng, p.birthday[pp], known=0.4, slashes=False)
    city = np.asarray([c.name for c in CITIES])[p.city_idx[pp]]
    prov = np.asarray([c.province for c in CITIES])[p.city_idx[pp]]
    reg = _reg_day(w, rng, src.person, src.is_dup)
    members = pa.table(
        {
            "openid": src.record_id,
            "unionid": pa.array(union, mask=~authorised),
            "nickName": fill_test(nicknames(rng, n), src.is_test, TEST_NAMES, rng),
            "mobile": pa.array(mobile, mask=mobile == ""),
            "gender": gender.astype(np.int8),
            "birthday": pa.array(birthday, mask=birthday == ""),
            "registerTime": ts_text(reg, rng.integers(0, 86400, n)),
            "city": city,
            "province": prov,
            "subscribeMsg": rng.random(n) < 0.45,
        }
    ).sort_by("registerTime")
    rel = "exports/miniprogram/members.jsonl"
    w.record(rel, write_jsonl(members, w.path(rel)))

    cl = w.channel_lines("miniprogram")
    fen = np.round(cl.price * 100).astype(np.int64)
    disc = np.round(cl.discount * 100).astype(np.int64)
    item = concat(
        '{"skuCode":"', w.take("products", "sku", cl.sku), '","skuName":"',
        json_escape(w.take("products", "name", cl.sku)), '","qty":', json_num(cl.qty),
        ',"price":', json_num(fen), ',"discount":', json_num(disc), "}",
    )  # fmt: skip
    starts = np.flatnonzero(cl.first)
    offsets = np.append(starts, len(cl.first)).astype(np.int32)
    items = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), item), ",")
    total = np.add.reduceat(fen * cl.qty, starts) if len(starts) else np.zeros(0, np.int64)
    discount = np.add.reduceat(disc, starts) if len(starts) else np.zeros(0, np.int64)
    o = starts  # the order's fields, read on its first line
    delivery = np.asarray(["EXPRESS", "DELIVERY", "PICKUP", "EXPRESS", "PICKUP"])
    coupon = concat("MC", as_text(cl.order[o] % 10**8))
    line = concat(
        '{"orderNo":"', miniprogram_order_no(cl.day[o], cl.seq[o]),
        '","openid":"', take(src.record_id, cl.record[o]),
        '","createTime":"', ts_text(cl.day[o], cl.secs[o]),
        '","status":"', take(np.asarray(["PAID", "CANCELLED", "REFUNDED"]), cl.status[o]),
        '","deliveryType":"', take(delivery, cl.fulfilment[o]),
        '","storeCode":', json_str(w.take("stores", "store_code", cl.store[o], cl.store[o] < 0)),
        ',"guideId":', json_str(w.take("staff", "staff_code", cl.guide[o], mask=cl.guide[o] < 0)),
        ',"couponId":', json_str(pc.if_else(pa.array(cl.coupon_value[o] > 0), coupon, None)),
        ',"liveId":', json_str(pa.array(miniprogram_live_rooms(w, cl)[o], pa.string())),
        ',"totalFee":', json_num(total), ',"discountFee":', json_num(discount),
        ',"payFee":', json_num(total - discount), ',"items":[', items, "]}\n",
    )  # fmt: skip
    rel = "exports/miniprogram/orders.jsonl"
    path = w.path(rel)
    with path.open("wb") as fh:
        write_string_buffer(fh, line)
    w.record(rel, len(starts))


def write_app(w: World) -> None:
    rng = w.rng("export:app")
    src = w.sources["app"]
    p, n = w.people, len(src)
    pp = np.maximum(src.person, 0)
    mobile = np.char.add("+86", member_phones(w, rng, src.person, src.is_dup).astype(str))
    mobile = fill_test(mobile, src.is_test, TEST_PHONES, rng)
    bound = (rng.random(n) < 0.3) & ~src.is_test
    birthday = p.birthday[pp]
    reg = _reg_day(w, rng, src.person, src.is_dup)
    # an e-mail for e-receipts on a quarter of the accounts; most of them accept newsletters
    erng = w.rng("export:app:email")
    has_email = (erng.random(n) < 0.25) & ~src.is_test
    email_opt_in = has_email & (erng.random(n) < 0.6)
    email = person_emails(w.seed, p.n)[pp]
    members = pa.table(
        {
            "member_id": src.record_id,
            "mobile": mobile,
            "nickname": fill_test(nicknames(rng, n), src.is_test, TEST_NAMES, rng),
            "gender": pa.array(np.where(p.female[pp], "F", "M"), mask=rng.random(n) < 0.2),
            "birthday": pa.array(birthday, mask=rng.random(n) >= 0.5),
            "register_time": timestamps(reg, rng.integers(0, 86400, n)),
            "device_id": device_ids(w.seed, "app", n),
            "unionid": pa.array(unionids(w.seed, p.n)[pp], mask=~bound),
            "push_enabled": rng.random(n) < 0.55,
            "email": pa.array(email, mask=~has_email),
            "email_opt_in": pa.array(email_opt_in, mask=~has_email),
        }
    ).sort_by("register_time")
    rel = "exports/app/members.parquet"
    w.record(rel, write_parquet(members, w.path(rel)))

    cl = w.channel_lines("app")
    orders = pa.table(
        {
            "order_id": concat("AP", padded(cl.seq + 1, 10)),
            "line_no": cl.line_no,
            "member_id": take(src.record_id, cl.record),
            "created_at": timestamps(cl.day, cl.secs),
            "status": take(np.asarray(["paid", "cancelled", "returned"]), cl.status),
            "fulfillment": take(np.asarray(FULFILMENTS), cl.fulfilment),
            "store_code": w.take("stores", "store_code", cl.store, mask=cl.store < 0),
            "sku": w.take("products", "sku", cl.sku),
            "sku_name": w.take("products", "name", cl.sku),
            "quantity": cl.qty,
            "unit_price": money(cl.price),
            "discount": money(cl.discount),
            "amount": money(cl.amount),
            "coupon_code": take(
                concat("AC", as_text(cl.order % 10**8)),
                np.arange(len(cl.order)),
                mask=cl.coupon_value <= 0,
            ),  # fmt: skip
            "payment": take(np.asarray(["alipay", "wechat_pay", "wechat_pay"]), cl.order % 3),
        }
    )
    rel = "exports/app/orders.parquet"
    w.record(rel, write_parquet(orders, w.path(rel)))


def write_wechat_oa(w: World) -> None:
    from omniretail.demo.writers import write_csv

    rng = w.rng("export:wechat_oa")
    src = w.sources["wechat_oa"]
    p, n = w.people, len(src)
    pp = np.maximum(src.person, 0)
    has_union = rng.random(n) < 1.0  # open-platform binding: every follower has a unionid
    sub_day = _reg_day(w, rng, src.person, src.is_dup)
    epoch = _EPOCH_START + sub_day.astype(np.int64) * 86400 + rng.integers(0, 86400, n)
    scenes = np.asarray(["ADD_SCENE_QR_CODE", "ADD_SCENE_SEARCH", "ADD_SCENE_PROFILE_CARD",
                         "ADD_SCENE_OTHERS"])  # fmt: skip
    table = pa.table(
        {
            "openid": src.record_id,
            "unionid": np.where(has_union, unionids(w.seed, p.n)[pp], ""),
            "nickname": nicknames(rng, n),
            "sex": np.where(rng.random(n) < 0.3, 0, np.where(p.female[pp], 2, 1)),
            "province": np.asarray([c.province for c in CITIES])[p.city_idx[pp]],
            "city": np.asarray([c.name for c in CITIES])[p.city_idx[pp]],
            "subscribe_time": epoch,
            "subscribe_scene": scenes[rng.choice(4, n, p=[0.55, 0.15, 0.1, 0.2])],
            "tagid_list": np.where(rng.random(n) < 0.3, "[2,105]", "[]"),
        }
    ).sort_by("subscribe_time")
    rel = "exports/wechat_oa/followers.csv"
    w.record(rel, write_csv(table, w.path(rel)))


def write_wecom(w: World) -> None:
    rng = w.rng("export:wecom")
    src = w.sources["wecom"]
    p, n = w.people, len(src)
    pp = np.maximum(src.person, 0)
    # the clerk who added the customer: a guide of the customer's home store
    st = w.staff.column("_store_idx").to_numpy()
    counts = np.bincount(st, minlength=w.stores.num_rows)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    home = p.home_store[pp]
    clerk = first[home] + (rng.random(n) * counts[home]).astype(np.int64)
    name = nicknames(rng, n)
    phone = messy_phones(rng, member_phones(w, rng, src.person, src.is_dup), missing=0.3)
    surname = np.asarray([s[:1] for s in p.name[pp]])
    remark = np.where(
        rng.random(n) < 0.6,
        np.char.add(np.char.add(surname, np.where(p.female[pp], "女士 ", "先生 ")), phone),
        np.where(rng.random(n) < 0.5, p.name[pp], ""),
    )
    name = fill_test(name, src.is_test, TEST_NAMES, rng)
    remark = np.where(src.is_test, "测试", remark)
    added = _reg_day(w, rng, src.person, src.is_dup)
    epoch = _EPOCH_START + added.astype(np.int64) * 86400 + rng.integers(9 * 3600, 21 * 3600, n)
    has_union = (rng.random(n) < 0.9) & ~src.is_test
    table = pa.table(
        {
            "external_userid": src.record_id,
            "name": name,
            "type": np.ones(n, np.int8),
            "gender": np.where(p.female[pp], 2, 1).astype(np.int8),
            "unionid": pa.array(unionids(w.seed, p.n)[pp], mask=~has_union),
            "userid": w.col("staff", "wecom_userid")[clerk],
            "remark": remark,
            "mobile": phone,
            "createtime": epoch,
            "add_way": rng.choice([1, 3, 201], n, p=[0.7, 0.2, 0.1]),
            "state": w.col("stores", "store_code")[home],
        }
    ).sort_by("createtime")
    select = """external_userid, name, type, gender, unionid,
        [{'userid': userid, 'remark': remark,
          'remark_mobiles': CASE WHEN mobile = '' THEN []::VARCHAR[] ELSE [mobile] END,
          'createtime': createtime, 'add_way': add_way, 'state': state}] AS follow_user"""
    rel = "exports/wecom/contacts.jsonl"
    w.record(rel, write_jsonl(table, w.path(rel), select=select))
