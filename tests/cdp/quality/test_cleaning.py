"""Each cleaning rule of seed 001 §3.2 on a small member export: phones, names, emails, dates,
places, duplicates, junk values, shared store phones, fills — and every fix is recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from omniretail.cdp.quality import service
from omniretail.platform.db import session_scope
from tests.cdp.quality.helpers import import_text, standardize

MEMBERS = """\ufeff会员卡号,姓名,手机号,邮箱,生日,性别,省,市,开卡门店
M01,張三,13812345678,ZS@Example.COM,1990/5/3,男,廣東省,廣州市,S001
M02, 李  四 ,+86 139 8765 4321,not-an-email,2099-01-01,女,,广州市,S001
M03,ＬＩ　Ｍｉｎｇ,0086-137-1234-5678,,1900-01-01,未知,浙江省,杭州市,S002
M04,王五,１３６１２３４５６７８,,1990-02-30,女,,,S002
M05,赵六,138****5678,,,F,,,S002
M06,钱七,12345,,,M,,,S002
M07,孙八,13800138000,,,,,,S002
M08,测试,13711112222,,,,,,S002
M01,張三,13812345678,ZS@Example.COM,1990/5/3,男,廣東省,廣州市,S001
"""

MAPPING = """
source: pos_members
format: csv
entities:
  - kind: identity
    source_record_id: {column: 会员卡号}
    fields:
      member_id: {column: 会员卡号}
      name: {column: 姓名}
      phone: {column: 手机号}
      email: {column: 邮箱}
      birthday: {column: 生日, type: date, formats: ["%Y/%m/%d", "%Y-%m-%d"]}
      gender: {column: 性别}
      province: {column: 省}
      city: {column: 市}
      home_store_code: {column: 开卡门店}
"""


@pytest.fixture
def cleaned(sqlite_session: Any, tmp_path: Path) -> dict[str, dict[str, Any]]:
    f = tmp_path / "members.csv"
    f.write_text(MEMBERS, encoding="utf-8")
    import_text(MAPPING, [f])
    eng, _ = standardize()
    try:
        recs = eng.fetch_rows("SELECT * FROM std_identity_records")
    finally:
        eng.close()
    return {r["member_id"]: r for r in recs}


def test_phones_become_e164_and_masked_phones_are_kept(cleaned: dict[str, Any]) -> None:
    assert cleaned["M01"]["phone"] == "+8613812345678"
    assert cleaned["M01"]["phone_masked"] == "138****5678"  # derived from the full phone
    assert cleaned["M02"]["phone"] == "+8613987654321"
    assert cleaned["M03"]["phone"] == "+8613712345678"
    assert cleaned["M04"]["phone"] == "+8613612345678"  # full-width digits
    assert "phone_e164" in cleaned["M02"]["fixes"]
    assert cleaned["M05"]["phone"] is None
    assert cleaned["M05"]["phone_masked"] == "138****5678"
    assert "phone_masked" in cleaned["M05"]["fixes"]


def test_invalid_and_junk_phones_are_not_guessed(cleaned: dict[str, Any]) -> None:
    assert cleaned["M06"]["phone"] is None
    assert "phone_invalid" in cleaned["M06"]["fixes"]
    assert cleaned["M07"]["phone"] is None
    assert "phone_junk" in cleaned["M07"]["fixes"]


def test_names_whitespace_fullwidth_traditional(cleaned: dict[str, Any]) -> None:
    assert cleaned["M01"]["name"] == "张三"
    assert cleaned["M02"]["name"] == "李四"
    assert cleaned["M03"]["name"] == "LI Ming"
    assert "name_normalized" in cleaned["M01"]["fixes"]


def test_emails(cleaned: dict[str, Any]) -> None:
    assert cleaned["M01"]["email"] == "zs@example.com"
    assert "email_normalized" in cleaned["M01"]["fixes"]
    assert cleaned["M02"]["email"] is None
    assert "email_invalid" in cleaned["M02"]["fixes"]


def test_birthdays_validated_not_invented(cleaned: dict[str, Any]) -> None:
    assert str(cleaned["M01"]["birthday"]) == "1990-05-03"
    assert cleaned["M02"]["birthday"] is None  # in the future
    assert "birthday_invalid" in cleaned["M02"]["fixes"]
    assert cleaned["M03"]["birthday"] is None  # placeholder
    assert "birthday_placeholder" in cleaned["M03"]["fixes"]
    assert cleaned["M04"]["birthday"] is None  # 30 February
    assert "birthday_invalid" in cleaned["M04"]["fixes"]


def test_gender_values_mapped(cleaned: dict[str, Any]) -> None:
    assert [cleaned[m]["gender"] for m in ("M01", "M02", "M03", "M05", "M06")] == [
        "M", "F", None, "F", "M"
    ]  # fmt: skip


def test_places_normalized_and_province_filled_from_city(cleaned: dict[str, Any]) -> None:
    assert (cleaned["M01"]["province"], cleaned["M01"]["city"]) == ("广东", "广州")
    assert (cleaned["M03"]["province"], cleaned["M03"]["city"]) == ("浙江", "杭州")
    # M02 has only a city: the province is filled by the documented rule and flagged
    assert cleaned["M02"]["province"] == "广东"
    assert "filled:province" in cleaned["M02"]["fixes"]
    assert cleaned["M04"]["province"] is None


def test_test_accounts_and_duplicates_are_counted_not_dropped_silently(
    cleaned: dict[str, Any],
) -> None:
    assert "M08" not in cleaned
    with session_scope() as s:
        q = service.list_quarantine(s, source="pos_members")
        rep = service.report(s, source="pos_members")[0]
    assert [(r.reason, r.raw["会员卡号"], r.row) for r in q] == [("junk:test_account", "M08", 8)]
    assert rep["rows_read"] == 9
    assert rep["duplicates"] == 1
    assert rep["quarantined"] == 1
    assert rep["accepted"] == 7
    assert rep["accepted"] + rep["duplicates"] + rep["quarantined"] == rep["rows_read"]
    assert rep["fixes_by_rule"]["phone_invalid"] == 1
    assert rep["fixes_by_rule"]["filled:province"] == 1
    assert rep["filled"] == 1  # the province filled from the city
    assert rep["fixed"] >= 6


def test_shared_store_phone_is_cleared(sqlite_session: Any, tmp_path: Path) -> None:
    lines = ["会员卡号,姓名,手机号,邮箱,生日,性别,省,市,开卡门店"]
    lines += [f"W{i:02d},顾客{i},13955556666,,,,,,S009" for i in range(7)]
    lines += ["X01,周九,13955556666,,,,,,S001"]
    f = tmp_path / "walkins.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_text(MAPPING, [f])
    eng, _ = standardize()
    try:
        recs = {r["member_id"]: r for r in eng.fetch_rows("SELECT * FROM std_identity_records")}
        shared = eng.fetch_rows("SELECT * FROM quality_shared_phones")
    finally:
        eng.close()
    assert recs["W00"]["phone"] is None
    assert "phone_shared_store" in recs["W03"]["fixes"]
    assert recs["X01"]["phone"] == "+8613955556666"  # the same number at another store is kept
    assert shared == [
        {
            "source": "pos_members",
            "home_store_code": "S009",
            "phone": "+8613955556666",
            "members": 7,
        }
    ]


def test_stage_tables_are_dropped_once_a_source_is_done(
    sqlite_session: Any, tmp_path: Path
) -> None:
    """A source's stage tables (raw with fixed rows swapped in, the Python pass's value maps,
    s1, s2) are dropped when it is done; only its entity tables stay for the final union.
    Kept until the last source they were most of the step's peak memory on the demo."""
    from omniretail.cdp.ingest.mapping import parse_mapping
    from omniretail.cdp.quality.junk import load_junk
    from omniretail.cdp.quality.standardize import Override, SourceStandardizer
    from omniretail.platform.config import get_settings
    from omniretail.platform.engine.duckdb import DuckDBEngine

    f = tmp_path / "members.csv"
    f.write_text(MEMBERS, encoding="utf-8")
    (landed,) = import_text(MAPPING, [f])
    settings = get_settings()
    path = settings.landing_dir / "pos_members" / f"{landed.batch_id}.parquet"
    header = MEMBERS.lstrip("\ufeff").splitlines()[0].split(",")
    fixed = dict(zip(header, "M06,钱七,13912345678,,,M,,,S002".split(","), strict=True))  # noqa: SIM905
    with DuckDBEngine() as eng:
        result = SourceStandardizer(
            eng,
            source="pos_members",
            mapping=parse_mapping(MAPPING),
            paths=[str(path)],
            overrides=[Override(landed.batch_id, 6, fixed)],
            junk=load_junk(settings),
        ).run()
        left = eng.list_tables("__q_")
    kept = sorted(n for names in result.entity_tables.values() for n in names)
    assert kept == ["__q_pos_members_0_identity"]
    assert left == sorted([*kept, "__q_pos_members_0_landed"])  # the landed Parquet's view
    assert result.stats["rows_read"] == 9
    assert result.stats["accepted"] == 7
