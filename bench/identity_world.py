"""Bench-only reader of a demo world's identity exports into ``std_identity_records`` and
``std_identity_links`` (the data contract's shape), used by bench/identity.py while the
ingest's demo-world mappings are not available; the benchmark says which path it used.

It reads each channel's identity columns with their documented meaning (docs/demo-world.md),
normalises mainland mobile numbers to E.164, keeps masked phones as given (Meituan privacy
numbers dropped, Ele.me "手机尾号5678" kept as an ending), takes the name part of WeCom
remarks, and links event devices to the app / mini-program account that logged in on them.
It is deliberately simple: the real cleaning is the ingest's job.

Run: ``.venv/bin/python bench/identity_world.py WORLD_DIR OUT.duckdb``
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd

FIELDS = (
    "source_record_id",
    "member_id",
    "phone",
    "phone_masked",
    "unionid",
    "openid",
    "platform_buyer_id",
    "wecom_external_userid",
    "name",
    "gender",
    "birthday",
    "city",
    "address",
    "registered_at",
    "home_store_code",
)
MACROS = r"""
CREATE OR REPLACE MACRO ph(x) AS (
  WITH t AS (SELECT regexp_replace(
      translate(CAST(x AS VARCHAR), '０１２３４５６７８９', '0123456789'), '[^0-9]', '', 'g') AS d)
  SELECT CASE WHEN length(d) = 11 AND d LIKE '1%' THEN '+86' || d
              WHEN length(d) = 13 AND d LIKE '861%' THEN '+' || d
              WHEN length(d) = 15 AND d LIKE '00861%' THEN '+' || substr(d, 3) END FROM t);
CREATE OR REPLACE MACRO nn(x) AS nullif(trim(CAST(x AS VARCHAR)), '');
"""


def _select(source: str, frm: str, **cols: str) -> str:
    exprs = []
    for field in FIELDS:
        value = cols.get(field, "NULL")
        if field == "phone":
            exprs.append(f"ph({value}) AS phone")
        elif field == "birthday":
            exprs.append(f"TRY_CAST({value} AS DATE) AS birthday")
        elif field == "registered_at":
            exprs.append(f"TRY_CAST({value} AS TIMESTAMP) AS registered_at")
        else:
            exprs.append(f"nn({value}) AS {field}")
    return f"SELECT DISTINCT '{source}' AS source, {', '.join(exprs)} FROM {frm}"


def convert(world: str, out: str) -> None:
    exports = Path(world) / "exports"
    con = duckdb.connect(out)
    con.execute(MACROS)

    def csv(path: str) -> str:
        return f"read_csv('{exports / path}', all_varchar = true, header = true)"

    jd = Path(out).with_suffix(".jd.csv")  # GB18030 → UTF-8 (DuckDB reads UTF-8)
    jd.write_text((exports / "jd/orders.csv").read_text(encoding="gb18030"), encoding="utf-8")
    for name, file in (
        ("enterprise", "enterprise/orders.xlsx"),
        ("giftcard", "giftcard/cards.xlsx"),
    ):
        con.register(f"x_{name}", pd.read_excel(exports / file, dtype=str))
    events = f"read_json_auto('{exports / 'events/events.jsonl'}', format = 'newline_delimited')"
    parts = [
        _select("pos", csv("pos/members.csv"), source_record_id="会员卡号", member_id="会员卡号",
                phone="手机号", name="姓名", birthday="replace(生日, '/', '-')",
                gender="CASE 性别 WHEN '男' THEN 'M' WHEN '女' THEN 'F' END",
                home_store_code="开卡门店", registered_at="开卡时间"),
        _select("miniprogram", f"read_json_auto('{exports / 'miniprogram/members.jsonl'}')",
                source_record_id="openid", openid="openid", unionid="unionid", phone="mobile",
                name="nickName", city="city", registered_at="registerTime"),
        _select("app", f"read_parquet('{exports / 'app/members.parquet'}')",
                source_record_id="member_id", member_id="member_id", phone="mobile",
                unionid="unionid", name="nickname", gender="gender", birthday="birthday",
                registered_at="register_time"),
        _select("wechat_oa", csv("wechat_oa/followers.csv"), source_record_id="openid",
                openid="openid", unionid="unionid", name="nickname", city="city"),
        _select("wecom", f"read_json_auto('{exports / 'wecom/contacts.jsonl'}')",
                source_record_id="external_userid", wecom_external_userid="external_userid",
                unionid="unionid", phone="follow_user[1].remark_mobiles[1]",
                name="coalesce(nullif(regexp_extract(follow_user[1].remark, '^([^ 0-9]+)', 1),"
                " ''), name)"),
        _select("tmall", csv("tmall/orders.csv"), source_record_id="买家会员名",
                platform_buyer_id="买家会员名", name="收货人姓名", phone_masked="联系手机",
                address="收货地址", city="split_part(收货地址, ' ', 2)"),
        _select("jd", f"read_csv('{jd}', all_varchar = true, header = true)",
                source_record_id="下单账号", platform_buyer_id="下单账号", name="客户姓名",
                phone_masked="联系电话", address="市 || 详细地址", city="市"),
        _select("douyin", csv("douyin/orders.csv"), source_record_id="用户ID",
                platform_buyer_id="用户ID", name="收件人", phone_masked="收件人手机号", city="市"),
        _select("kuaishou", csv("kuaishou/orders.csv"), source_record_id="买家ID",
                platform_buyer_id="买家ID", name="收货人", phone_masked="收货电话"),
        _select("meituan", csv("meituan/orders.csv"), source_record_id="顾客ID",
                platform_buyer_id="顾客ID", name="顾客",
                phone_masked="CASE WHEN contains(顾客电话, '_') THEN NULL ELSE 顾客电话 END"),
        _select("eleme", csv("eleme/orders.csv"), source_record_id="用户ID",
                platform_buyer_id="用户ID", name="收货人",
                phone_masked="replace(收货人电话, '手机尾号', '*******')"),
        _select("dianping", csv("dianping/vouchers.csv"), source_record_id="用户ID",
                platform_buyer_id="用户ID", name="用户昵称", phone_masked="手机号"),
        _select("groupbuy", csv("groupbuy/orders.csv"), source_record_id="团员用户ID",
                platform_buyer_id="团员用户ID", name="团员昵称", phone="团员手机"),
        _select("enterprise", "x_enterprise", source_record_id="客户编号",
                platform_buyer_id="客户编号", name="联系人", phone="联系电话"),
        _select("giftcard", "x_giftcard", source_record_id="卡号", name="购卡人",
                phone="购卡人手机"),
        _select("events", f"(SELECT DISTINCT anonymousId FROM {events})",
                source_record_id="anonymousId"),
    ]  # fmt: skip
    con.execute("CREATE OR REPLACE TABLE raw AS " + " UNION ALL ".join(f"({p})" for p in parts))
    con.execute(
        """
        CREATE OR REPLACE TABLE std_identity_records AS
        SELECT source || ':' || source_record_id AS record_key, * EXCLUDE (rn),
               registered_at AS observed_at
        FROM (SELECT *, row_number() OVER (PARTITION BY source, source_record_id
                                           ORDER BY registered_at) AS rn FROM raw)
        WHERE rn = 1 AND source_record_id IS NOT NULL
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE std_identity_links AS
        SELECT DISTINCT 'events' AS source, 'events:' || anonymousId AS left_key,
               context.app || ':' || userId AS right_key, 'login' AS link_type,
               CAST(NULL AS TIMESTAMP) AS observed_at
        FROM {events} WHERE userId IS NOT NULL
        """
    )
    con.execute("DROP TABLE raw")
    con.close()
    jd.unlink()


if __name__ == "__main__":
    convert(sys.argv[1], sys.argv[2])
