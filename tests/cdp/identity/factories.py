"""Build ``std_identity_records`` (the data contract's shape) directly in a DuckDB engine."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa

from omniretail.platform.engine import DuckDBEngine

COLUMNS: dict[str, pa.DataType] = {
    "record_key": pa.string(),
    "source": pa.string(),
    "source_record_id": pa.string(),
    "member_id": pa.string(),
    "phone": pa.string(),
    "phone_masked": pa.string(),
    "email": pa.string(),
    "unionid": pa.string(),
    "openid": pa.string(),
    "platform_buyer_id": pa.string(),
    "wecom_external_userid": pa.string(),
    "name": pa.string(),
    "gender": pa.string(),
    "birthday": pa.date32(),
    "province": pa.string(),
    "city": pa.string(),
    "address": pa.string(),
    "registered_at": pa.timestamp("us"),
    "home_store_code": pa.string(),
    "consent_sms": pa.bool_(),
    "consent_email": pa.bool_(),
    "consent_wechat": pa.bool_(),
    "consent_app_push": pa.bool_(),
    "observed_at": pa.timestamp("us"),
}


def record(source: str, rid: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(source=source, source_record_id=rid, record_key=f"{source}:{rid}")
    row["observed_at"] = datetime(2025, 1, 1)
    row.update(fields)
    return row


def load_records(engine: DuckDBEngine, rows: list[dict[str, Any]]) -> None:
    table = pa.table({c: pa.array([r.get(c) for r in rows], t) for c, t in COLUMNS.items()})
    engine.register_arrow("std_identity_records", table)


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌"
    "宇浩凯健俊帆帅旭宁龙林欣佳怡晨阳雪梅琳婷倩"
)
CITIES = ["长沙", "武汉", "上海", "杭州", "南京", "广州", "深圳", "成都", "重庆", "合肥"]


def masked(phone: str) -> str:
    return phone[3:6] + "****" + phone[-4:]


def synthetic_world(n_people: int, seed: int = 7) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """People seen through POS, mini-program, Tmall (masked phone only) and WeCom.

    Returns the records and the truth (record_key → person)."""
    rnd = random.Random(seed)
    rows: list[dict[str, Any]] = []
    truth: dict[str, int] = {}
    for p in range(n_people):
        name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice([1, 2])))
        phone = f"+861{rnd.choice([3, 5, 8])}{rnd.randrange(10**9):09d}"
        bday = date(1960, 1, 1) + timedelta(days=rnd.randrange(40 * 365))
        city = rnd.choice(CITIES)
        address = (
            f"{city}市{rnd.choice(['解放', '人民', '建设', '中山'])}路{rnd.randrange(1, 999)}号"
        )
        obs = datetime(2024, 1, 1) + timedelta(days=rnd.randrange(600))
        recs = [
            record(
                "pos",
                f"P{p}",
                member_id=f"M{p:07d}",
                phone=phone,
                name=name,
                birthday=bday,
                city=city,
                gender=rnd.choice("FM"),
                observed_at=obs,
                consent_sms=True,
            ),
        ]
        if rnd.random() < 0.7:
            recs.append(
                record(
                    "miniprogram",
                    f"W{p}",
                    unionid=f"u{p:08d}",
                    openid=f"o{p:08d}",
                    phone=phone if rnd.random() < 0.8 else None,
                    name=name,
                    city=city,
                    observed_at=obs + timedelta(days=3),
                )
            )
        if rnd.random() < 0.6:
            recs.append(
                record(
                    "tmall",
                    f"T{p}",
                    platform_buyer_id=f"tb{p:08d}",
                    phone_masked=masked(phone),
                    name=name,
                    address=address,
                    city=city,
                    observed_at=obs + timedelta(days=9),
                )
            )
        if rnd.random() < 0.3:
            recs.append(
                record(
                    "wecom",
                    f"E{p}",
                    wecom_external_userid=f"wm{p:08d}",
                    unionid=f"u{p:08d}",
                    name=name,
                    observed_at=obs,
                )
            )
        for r in recs:
            truth[r["record_key"]] = p
        rows.extend(recs)
    return rows, truth


def run_steps(rows: list[dict[str, Any]] | None, *names: str) -> dict[str, Any]:
    """Load ``rows`` as std_identity_records (when given) into the instance's work database
    and run the named pipeline steps there."""
    from omniretail.platform import pipeline
    from omniretail.platform.config import get_settings
    from omniretail.platform.engine import open_engine

    settings = get_settings()
    engine = open_engine("duckdb", settings)
    try:
        if rows is not None:
            assert isinstance(engine, DuckDBEngine)
            load_records(engine, rows)
        ctx = pipeline.PipelineContext(engine=engine, settings=settings)
        return pipeline.run(ctx, only=list(names))
    finally:
        engine.close()


def work_rows(sql: str) -> list[dict[str, Any]]:
    from omniretail.platform.engine import DuckDBEngine as Engine
    from omniretail.platform.engine import work_path

    engine = Engine(work_path(), read_only=True)
    try:
        return engine.fetch_rows(sql)
    finally:
        engine.close()


def customer_of(sql_rows: list[dict[str, Any]]) -> dict[str, str]:
    return {r["record_key"]: r["customer_id"] for r in sql_rows}


def identity_map() -> dict[str, str]:
    return customer_of(work_rows("SELECT record_key, customer_id FROM identity_map"))
