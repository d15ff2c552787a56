from __future__ import annotations

from decimal import Decimal

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from omniretail.omnichannel.channel.models import Channel
from omniretail.omnichannel.product.models import Category, Product
from omniretail.omnichannel.store.models import City, Region, Store
from omniretail.platform import migrate
from omniretail.platform.auth import service
from omniretail.platform.auth.errors import AuthError
from omniretail.platform.db import Base, import_all_models
from omniretail.platform.errors import Conflict, InvalidInput


def test_migrations_match_models(store_engine: Engine) -> None:
    """Every model change has a migration: autogenerate finds nothing left to do."""
    import_all_models()
    with store_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrations_downgrade_and_upgrade_again(store_engine: Engine, db_url: str) -> None:
    migrate.downgrade(db_url, "base")
    migrate.upgrade(db_url)
    cfg = migrate.alembic_config(db_url)
    command.check(cfg)


def test_retail_world_round_trip(session: Session) -> None:
    region = Region(code="central", name="华中")
    city = City(code="420100", name="武汉", province="湖北省", region=region, tier=2)
    store = Store(
        code="S001",
        name="武汉光谷店",
        store_type="mall",
        city=city,
        opening_hours={"mon": "09:00-22:00"},
        latitude=30.5,
        longitude=114.4,
    )
    pos = Channel(code="pos", name="门店收银", name_en="POS", kind="offline", domain="private")
    cat = Category(code="nuts", name="坚果", name_en="Nuts", replenish_days=30)
    product = Product(
        sku="SKU1", name="每日坚果", category=cat, flavor="原味", price=Decimal("59.90")
    )
    session.add_all([store, pos, product])
    session.commit()
    got = session.scalar(select(Product).where(Product.sku == "SKU1"))
    assert got is not None
    assert got.category is not None
    assert got.category.code == "nuts"
    assert got.price == Decimal("59.90")
    assert session.scalar(select(Store.kind).where(Store.code == "S001")) == "direct"


def test_users_and_api_keys(session: Session) -> None:
    user = service.create_user(session, username="li", password="pass-word-1", role="marketer")
    assert user.password_hash.startswith("$argon2")
    assert service.authenticate(session, username="li", password="pass-word-1").id == user.id
    with pytest.raises(AuthError):
        service.authenticate(session, username="li", password="wrong-pass")
    with pytest.raises(Conflict):
        service.create_user(session, username="li", password="pass-word-1", role="marketer")
    with pytest.raises(InvalidInput, match="role"):
        service.create_user(session, username="x", password="pass-word-1", role="king")
    with pytest.raises(InvalidInput, match="store"):
        service.create_user(session, username="m", password="pass-word-1", role="store_manager")
    key, plain = service.create_api_key(session, name="pos-sync", scopes=["events"])
    assert plain not in key.key_hash
    assert service.verify_api_key(session, plain).name == "pos-sync"
    with pytest.raises(AuthError):
        service.verify_api_key(session, plain[:-2] + "xx")
