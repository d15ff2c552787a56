from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.marketing.coupon.dbfixtures import PARAMS, _engine, _session


@pytest.fixture(scope="session", params=PARAMS)
def offers_engine_loyalty(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    yield from _engine(request, tmp_path_factory.mktemp("loyalty"), "loyalty")


@pytest.fixture
def session(offers_engine_loyalty: Engine) -> Iterator[Session]:
    """Overrides the global session: migrated once, rolled back after each test."""
    yield from _session(offers_engine_loyalty)
