"""Shared by the campaign tests: the insight tags over a small world (built once per session),
published into the test's instance, with a 满50减10 coupon template."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from bench.insight_world import world_tables

from omniretail.marketing.coupon import service as coupon_service
from omniretail.marketing.coupon.schemas import TemplateCreate
from omniretail.platform import db
from omniretail.platform.engine import DuckDBEngine, publish_snapshot, work_path
from tests.insight.conftest import load_world, run_insight


@pytest.fixture(scope="session")
def snapshot_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("campaign-snapshot")
    path = home / "snapshot.duckdb"
    engine = DuckDBEngine(path)
    load_world(engine, world_tables(customers=400))
    run_insight(
        engine, home, steps=["insight.features", "insight.rfm", "insight.lifecycle", "insight.tags"]
    )
    engine.close()
    return path


def publish_with_template(snapshot: Path, template_code: str) -> None:
    """Publish the snapshot into the current instance and create a spend-50-save-10 template."""
    shutil.copyfile(snapshot, work_path())
    publish_snapshot()
    with db.session_scope() as s:
        coupon_service.create_template(
            s,
            data=TemplateCreate(
                code=template_code,
                name="满50减10",
                kind="spend_save",
                rules={"tiers": [{"spend": "50", "save": "10"}]},
                valid_days=14,
                face_value=Decimal("10"),
            ),
        )
