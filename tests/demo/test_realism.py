"""The exports are messy the way real ones are, and behaviour follows calendar and personas."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import opencc
import pandas as pd
import pyarrow.parquet as pq

from omniretail.demo.layout import read_export


def _df(world: Path, rel: str) -> pd.DataFrame:
    return read_export(world, rel).to_pandas()


def test_phone_formats_are_messy(world_dir: Path) -> None:
    phones = _df(world_dir, "exports/pos/members.csv")["手机号"]
    shares = {
        "plain": phones.str.fullmatch(r"1\d{10}").mean(),
        "+86": phones.str.startswith("+86").mean(),
        "0086": phones.str.startswith("0086").mean(),
        "dashes": phones.str.fullmatch(r"1\d\d-\d{4}-\d{4}").mean(),
        "spaces": phones.str.fullmatch(r"1\d\d \d{4} \d{4}").mean(),
        "full-width": phones.str.contains("[０-９]").mean(),
        "missing": (phones == "").mean(),
        "landline": phones.str.fullmatch(r"0\d{2,3}-\d{8}").mean(),
    }
    for kind, share in shares.items():
        assert share > 0, kind
    assert 0.4 < shares["plain"] < 0.8


def test_platforms_mask_phones_their_own_way(world_dir: Path) -> None:
    assert (
        _df(world_dir, "exports/tmall/orders.csv")["联系手机"]
        .str.fullmatch(r"1\d\d\*{4}\d{4}")
        .all()
    )
    assert (
        _df(world_dir, "exports/douyin/orders.csv")["收件人手机号"]
        .str.fullmatch(r"\*{7}\d{4}")
        .all()
    )
    meituan = _df(world_dir, "exports/meituan/orders.csv")["顾客电话"]
    assert meituan.str.fullmatch(r"170\d{8}_\d{4}").mean() > 0.4
    eleme = _df(world_dir, "exports/eleme/orders.csv")["收货人电话"]
    assert eleme.str.startswith("手机尾号").mean() > 0.3


def test_store_phone_is_shared_by_walk_ins(world_dir: Path) -> None:
    members = _df(world_dir, "exports/pos/members.csv").drop_duplicates("会员卡号")
    stores = set(_df(world_dir, "exports/master/stores.csv")["phone"])
    shared = members[members["手机号"].isin(stores)]
    assert len(shared) > 3
    assert shared.groupby("手机号")["会员卡号"].nunique().max() >= 2


def test_names_have_traditional_characters_typos_and_gaps(world_dir: Path) -> None:
    members = _df(world_dir, "exports/pos/members.csv")
    names = members["姓名"]
    t2s = opencc.OpenCC("t2s")
    traditional = names.map(lambda s: t2s.convert(s) != s)
    assert 0.01 < traditional.mean() < 0.15
    assert (names == "").mean() > 0
    truth = pq.read_table(world_dir / "truth/identity_truth.parquet").to_pandas()
    persons = pq.read_table(world_dir / "truth/persons.parquet").to_pandas().set_index("person_id")
    pos = truth[(truth["source"] == "pos") & truth["person_id"].notna()].set_index(
        "source_record_id"
    )
    joined = members.join(pos["person_id"], on="会员卡号").join(persons["name"], on="person_id")
    joined = joined[(joined["姓名"] != "") & ~traditional]
    typos = (joined["姓名"] != joined["name"]).mean()
    assert 0.005 < typos < 0.1


def test_duplicates_tests_and_missing_birthdays(world_dir: Path) -> None:
    members = _df(world_dir, "exports/pos/members.csv")
    assert members.duplicated().sum() > 0
    assert members["姓名"].str.contains("测试|test|TEST|ceshi|Test").sum() > 0
    assert 0.3 < (members["生日"] == "").mean() < 0.6
    assert members["生日"].str.contains("/").sum() > 0
    mini = read_export(world_dir, "exports/miniprogram/members.jsonl").to_pandas()
    # the mini-program is bound to the chain's WeChat open platform: every real user has a
    # unionid, only the test accounts lack one
    no_union = mini["unionid"].isna()
    assert 0 < no_union.sum() < 0.02 * len(mini)
    assert mini.loc[no_union, "nickName"].str.contains("测试|test|TEST|ceshi|Test").all()
    # joining the membership asks for the phone; about 10 % of users decline and stay guests
    assert 0.05 < mini["mobile"].isna().mean() < 0.2


def test_orders_are_cancelled_and_returned(world_dir: Path) -> None:
    pos = _df(world_dir, "exports/pos/sales.csv")["单据状态"].value_counts(normalize=True)
    assert pos["正常"] > 0.95
    tmall = _df(world_dir, "exports/tmall/orders.csv")["订单状态"].value_counts()
    assert {"交易成功", "交易关闭", "退款成功"} <= set(tmall.index)


def test_same_person_under_different_ids_across_channels(world_dir: Path) -> None:
    truth = pq.read_table(world_dir / "truth/identity_truth.parquet").to_pandas().dropna()
    pivot = truth.groupby("person_id")["source"].apply(set)
    assert pivot.map(lambda s: {"pos", "miniprogram"} <= s).sum() > 20
    assert pivot.map(lambda s: {"tmall", "jd"} <= s).sum() > 2
    # unionid links the mini-program, the official account and WeCom
    mini = read_export(world_dir, "exports/miniprogram/members.jsonl").to_pandas()
    oa = _df(world_dir, "exports/wechat_oa/followers.csv")
    assert len(set(mini["unionid"].dropna()) & set(oa["unionid"])) > 10


def _daily(world: Path, rel: str, time_col: str, amount_col: str) -> pd.Series:
    df = _df(world, rel)
    day = df[time_col].str.slice(0, 10).str.replace("/", "-")
    return df[amount_col].astype(float).groupby(day).sum()


def test_festivals_show_in_daily_sales(world_dir: Path) -> None:
    tmall = _daily(world_dir, "exports/tmall/orders.csv", "订单创建时间", "买家实际支付金额")
    jd = _daily(world_dir, "exports/jd/orders.csv", "下单时间", "应付金额")
    online = tmall.add(jd, fill_value=0)
    median = online.median()
    for day in ("2024-11-11", "2025-11-11"):
        assert online.get(day, 0) > 4 * median, day
    assert online.get("2025-06-18", 0) > 2 * median
    pos = _daily(world_dir, "exports/pos/sales.csv", "销售时间", "实收金额")
    before_sf = pos.loc["2025-01-10":"2025-01-27"].mean()
    summer = pos.loc["2025-07-01":"2025-07-31"].mean()
    assert before_sf > 1.3 * summer  # 年货 shopping before the Spring Festival (2025-01-29)
    mid_autumn = pos.loc["2025-09-22":"2025-10-05"].mean()
    assert mid_autumn > 1.15 * summer


def test_weekends_are_busier_in_stores(world_dir: Path) -> None:
    sales = _df(world_dir, "exports/pos/sales.csv")
    day = pd.to_datetime(sales["销售时间"]).dt.day_of_week
    tickets = sales.assign(dow=day).drop_duplicates("小票号").groupby("dow").size()
    assert tickets[[5, 6]].mean() > 1.2 * tickets[[0, 1, 2]].mean()


def test_new_skus_launch_inside_the_world(world_dir: Path) -> None:
    products = _df(world_dir, "exports/master/products.csv")
    assert (products["is_new"] == "true").sum() > 30
    launch = dict(zip(products["sku"], products["launch_date"], strict=True))
    sales = _df(world_dir, "exports/pos/sales.csv")
    sold_before_launch = sales["销售时间"].str.slice(0, 10) < sales["商品编码"].map(launch)
    assert not sold_before_launch.any()
    assert sales["商品编码"].map(launch).gt("2026-05-01").sum() > 0


def test_purchases_follow_category_taste(world_dir: Path) -> None:
    truth = pq.read_table(world_dir / "truth/identity_truth.parquet").to_pandas()
    persons = pq.read_table(world_dir / "truth/persons.parquet").to_pandas().set_index("person_id")
    products = _df(world_dir, "exports/master/products.csv")
    cats = _df(world_dir, "exports/master/categories.csv").set_index("category_code")["parent_code"]
    top = products.set_index("sku")["category_code"].map(cats)
    sales = _df(world_dir, "exports/pos/sales.csv")
    sales = sales[sales["会员卡号"] != ""]
    owner = truth[truth["source"] == "pos"].set_index("source_record_id")["person_id"]
    sales = sales.assign(person=sales["会员卡号"].map(owner), top=sales["商品编码"].map(top))
    share = pd.crosstab(sales["person"], sales["top"], normalize="index")
    lovers = persons.loc[share.index, "taste_meat"] > 0.4
    assert share.loc[lovers, "meat"].mean() > 2 * share.loc[~lovers, "meat"].mean()


def test_group_buying_has_leaders_and_pickup_points(world_dir: Path) -> None:
    gb = _df(world_dir, "exports/groupbuy/orders.csv")
    per_group = gb.groupby("团号")["团长用户ID"].nunique()
    assert (per_group == 1).all()
    assert gb["团长用户ID"].nunique() < gb["团员用户ID"].nunique()
    assert gb["自提点"].str.endswith("自提点").all()


def test_events_are_segment_like(world_dir: Path) -> None:
    events = read_export(world_dir, "exports/events/events.jsonl").to_pandas()
    assert set(events["type"]) == {"track", "page"}
    assert {
        "Product Viewed",
        "Product Added",
        "Product Shared",
        "Store Visited",
        "Coupon Claimed",
        "Order Completed",
        "Referral Sent",
        "Group Buy Joined",
    } <= set(events["event"].dropna())
    assert events["messageId"].is_unique
    # app sessions before sign-in are anonymous; a mini-program always knows the openid
    app = events["context"].map(lambda c: c["app"]) == "app"
    assert events.loc[app, "userId"].isna().mean() > 0.05
    assert events.loc[~app, "userId"].notna().all()
    assert events["anonymousId"].notna().all()
    assert events["timestamp"].is_monotonic_increasing
    with (world_dir / "exports/events/events.jsonl").open(encoding="utf-8") as fh:
        first = [json.loads(next(fh)) for _ in range(200)]
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", e["timestamp"]) for e in first
    )
    assert all(e["context"]["app"] in ("app", "miniprogram") for e in first)


def test_reviews_are_chinese_and_tied_to_orders(world_dir: Path) -> None:
    reviews = read_export(world_dir, "exports/reviews/reviews.jsonl").to_pandas()
    assert reviews["content"].map(lambda s: re.search(r"[\u4e00-\u9fff]", s) is not None).all()
    tmall = reviews[reviews["platform"] == "tmall"]
    orders = set(_df(world_dir, "exports/tmall/orders.csv")["订单编号"])
    assert tmall["order_ref"].isin(orders).all()
    mini = reviews[reviews["platform"] == "miniprogram"]
    mini_orders = set(
        read_export(world_dir, "exports/miniprogram/orders.jsonl").column("orderNo").to_pylist()
    )
    assert mini["order_ref"].isin(mini_orders).all()
    assert np.isin(reviews["rating"], [1, 2, 3, 4, 5]).all()
    assert (reviews["rating"] <= 2).mean() > 0.02


def test_store_sales_happen_during_opening_hours(world_dir: Path) -> None:
    sales = _df(world_dir, "exports/pos/sales.csv")
    hours = _df(world_dir, "exports/master/stores.csv").set_index("store_code")["opening_hours"]
    span = sales["门店编码"].map(hours)
    clock = sales["销售时间"].str.slice(11, 16)
    assert ((clock >= span.str.slice(0, 5)) & (clock < span.str.slice(6, 11))).all()


def test_pos_sales_carry_the_members_phone(world_dir: Path) -> None:
    sales = _df(world_dir, "exports/pos/sales.csv")
    members = _df(world_dir, "exports/pos/members.csv").drop_duplicates("会员卡号")
    phone = members.set_index("会员卡号")["手机号"]
    with_card = sales[sales["会员卡号"] != ""]
    assert (with_card["会员手机"] == with_card["会员卡号"].map(phone)).all()
    assert (sales.loc[sales["会员卡号"] == "", "会员手机"] == "").all()


def test_some_app_members_give_an_email_with_their_newsletter_choice(world_dir: Path) -> None:
    app = read_export(world_dir, "exports/app/members.parquet").to_pandas()
    has = app["email"].notna()
    assert 0.1 < has.mean() < 0.4
    assert app.loc[has, "email"].str.fullmatch(r"[a-z0-9]+@[a-z0-9]+\.com").all()
    assert app.loc[has, "email"].str.endswith("@qq.com").mean() > 0.4
    assert app["email_opt_in"].notna().eq(has).all()  # a choice only where there is an address
    assert 0.3 < app.loc[has, "email_opt_in"].astype(bool).mean() < 0.9
