"""platform.phone, platform.timezone and platform.engine.dialect: the rules every domain shares."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pytest

from omniretail.cdp.identity.link import _clean_value
from omniretail.cdp.profile.lookup import normalize_phone as lookup_phone
from omniretail.cdp.quality.transforms import clean_phone
from omniretail.platform.engine.dialect import date_literal, ident, in_list, literal, string
from omniretail.platform.phone import normalize_masked, normalize_phone, parse_phone
from omniretail.platform.timezone import CHAIN_TZ, from_wall_clock, to_wall_clock


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13812345678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("１３８１２３４５６７８", "+8613812345678"),  # full-width digits
        ("(138) 1234.5678", "+8613812345678"),
        ("12345", None),
        ("138****5678", None),
        ("not a phone", None),
        ("", None),
    ],
)
def test_one_phone_rule_for_import_linking_and_lookup(raw: str, e164: str | None) -> None:
    assert normalize_phone(raw) == e164
    assert clean_phone(raw)[0] == e164  # import (write path)
    assert lookup_phone(raw) == e164  # lookup (read path)
    assert _clean_value(raw, ["phone"], None) == e164  # linking


def test_masked_and_fix_labels() -> None:
    assert parse_phone("138****5678").masked == "138****5678"
    assert parse_phone("138****5678").fix == "phone_masked"
    assert normalize_masked("手机尾号5678") == "*******5678"
    assert parse_phone("13812345678").fix == "phone_e164"
    assert parse_phone("+8613812345678").fix is None
    assert parse_phone("12").fix == "phone_invalid"


def test_chain_time_zone_conversions() -> None:
    wall = datetime(2026, 12, 6, 8, 0)  # 08:00 in Shanghai
    instant = from_wall_clock(wall)
    assert instant.tzinfo == CHAIN_TZ
    assert instant.astimezone(UTC) == datetime(2026, 12, 6, 0, 0, tzinfo=UTC)
    assert to_wall_clock(datetime(2026, 12, 6, 0, 0)) == wall  # naive = UTC (SQLite)
    assert to_wall_clock(instant) == wall


def test_dialect_literals_round_trip_in_duckdb() -> None:
    con = duckdb.connect()
    table = ident('we "ird')
    con.execute(f"CREATE TABLE {table} (v VARCHAR)")
    con.execute(f"INSERT INTO {table} VALUES ({string(chr(39) + 'O' + chr(39))})")
    assert con.execute(f"SELECT v FROM {table}").fetchone() == ("'O'",)
    row = con.execute(
        f"SELECT {literal(None)}, {literal(True)}, {literal(3)}, {literal({'a': 'é'})}, "
        f"{date_literal(date(2026, 1, 2))}"
    ).fetchone()
    assert row == (None, True, 3, '{"a": "é"}', date(2026, 1, 2))
    assert con.execute(f"SELECT 2 WHERE {in_list('1', [])}").fetchall() == []
    assert con.execute(f"SELECT 2 WHERE {in_list(literal('b'), ['a', 'b'])}").fetchall() == [(2,)]
