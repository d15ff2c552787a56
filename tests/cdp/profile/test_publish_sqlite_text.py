"""The SQLite dates and times formatted by Arrow for a whole column are what SQLAlchemy's SQLite
DATE / DATETIME bind processors write value by value (the publish step's fast path)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import Date, DateTime
from sqlalchemy.dialects import sqlite

from omniretail.cdp.profile.publish import _chain_local, _sqlite_text

DIALECT = sqlite.dialect()


def _processor(typ: object) -> object:
    impl = typ.dialect_impl(DIALECT)  # type: ignore[attr-defined]
    return impl, impl.bind_processor(DIALECT)


def test_datetimes_as_the_bind_processor_writes_them() -> None:
    rng = np.random.default_rng(5)
    micros = rng.integers(-30 * 365 * 86_400 * 10**6, 60 * 365 * 86_400 * 10**6, size=2_000)
    micros[:300] -= micros[:300] % 1_000_000  # whole seconds: .000000 all the same
    values = [dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(m)) for m in micros]
    values += [None, dt.datetime(1000, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999)]
    column = pa.chunked_array([pa.array(values[:1000], pa.timestamp("us")),
                               pa.array(values[1000:], pa.timestamp("us"))])  # fmt: skip
    for typ in (DateTime(timezone=True), DateTime()):
        impl, process = _processor(typ)
        expected = [process(_chain_local(v)) for v in values]  # type: ignore[operator]
        assert _sqlite_text(column, impl) == expected
    ms = pa.chunked_array([pa.array(values[:50], pa.timestamp("us")).cast(pa.timestamp("s"))])
    impl, process = _processor(DateTime(timezone=True))
    assert _sqlite_text(ms, impl) == [process(v) for v in ms.to_pylist()]  # type: ignore[operator]


def test_dates_as_the_bind_processor_writes_them() -> None:
    values = [dt.date(1990, 2, 28), None, dt.date(2024, 12, 31), dt.date(1000, 1, 1)]
    impl, process = _processor(Date())
    column = pa.chunked_array([pa.array(values, pa.date32())])
    assert _sqlite_text(column, impl) == [process(v) for v in values]  # type: ignore[operator]


@pytest.mark.parametrize(
    "column",
    [
        pa.chunked_array([pa.array([dt.datetime(2024, 1, 2)], pa.timestamp("us", tz="UTC"))]),
        pa.chunked_array([pa.array([dt.datetime(2024, 1, 2)], pa.timestamp("ns"))]),
        pa.chunked_array([pa.array([dt.datetime(999, 1, 2)], pa.timestamp("us"))]),
        pa.chunked_array([pa.array(["2024-01-02"], pa.string())]),
    ],
)
def test_other_columns_go_through_the_processor(column: pa.ChunkedArray) -> None:
    impl, _ = _processor(DateTime(timezone=True))
    assert _sqlite_text(column, impl) is None


def test_all_null_and_other_storage_formats() -> None:
    impl, process = _processor(DateTime())
    nulls = pa.chunked_array([pa.nulls(3, pa.timestamp("us"))])
    assert _sqlite_text(nulls, impl) == [None, None, None]
    custom = sqlite.DATETIME(truncate_microseconds=True)
    column = pa.chunked_array([pa.array([dt.datetime(2024, 1, 2, 3, 4, 5, 6)], pa.timestamp("us"))])
    assert _sqlite_text(column, custom) is None
