"""Publishing golden records and identities to the operational store (SQLite and PostgreSQL):
the first publish writes everything, a re-run writes nothing, a change writes only itself,
retired customers and vanished identifiers are marked and removed; what the bulk path stores
is exactly what the ORM stores for the same values."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from omniretail.cdp.profile.models import Customer, CustomerIdentity
from omniretail.cdp.profile.service import local_time
from omniretail.omnichannel.store.models import City, Store
from omniretail.platform import db
from omniretail.platform.timezone import CHAIN_TZ
from tests.cdp.identity.factories import record, run_steps

PEOPLE = [
    record(
        "pos",
        "M1",
        member_id="M1",
        phone="+8613811110001",
        name="张三",
        gender="M",
        birthday=date(1990, 5, 17),
        city="武汉",
        province="湖北",
        address='江汉路1号 "老店"',
        home_store_code="S001",
        consent_sms=True,
        registered_at=datetime(2023, 1, 5, 9, 30, 15, 123456),
        observed_at=datetime(2025, 3, 1, 8),
    ),
    record(
        "miniprogram",
        "o1",
        openid="o1",
        unionid="u1",
        phone="+8613811110001",
        name="三三",
        consent_sms=False,
        consent_wechat=True,
        observed_at=datetime(2025, 6, 1),
    ),
    record(
        "pos",
        "M2",
        member_id="M2",
        phone="+8613922220002",
        name="李四",
        email="LiSi@QQ.com",
        home_store_code="S404",  # no such store: no home_store_id
    ),
    record("tmall", "b3", platform_buyer_id="b3", name="王五", email="wang5@example.com"),
]


def _publish(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = run_steps(rows, "identity", "unify", "publish_customers")
    return out["publish_customers"]


def _stores() -> dict[str, int]:
    with db.session_scope() as s:
        city = City(code="420100", name="武汉", province="湖北")
        s.add(city)
        s.flush()
        store = Store(code="S001", name="门店S001", store_type="street", city_id=city.id)
        s.add(store)
        s.flush()
        return {"S001": store.id}


def _customers() -> dict[str, Customer]:
    with db.session_scope() as s:
        return {c.customer_id: c for c in s.scalars(select(Customer))}


def _identities() -> set[tuple[str, str, str, str]]:
    with db.session_scope() as s:
        rows = s.execute(
            select(
                CustomerIdentity.kind,
                CustomerIdentity.value,
                CustomerIdentity.source,
                Customer.customer_id,
            ).join(Customer, Customer.id == CustomerIdentity.customer_pk)
        )
        return {tuple(r) for r in rows}  # type: ignore[misc]


def _by_name(customers: dict[str, Customer]) -> dict[str, Customer]:
    return {c.name: c for c in customers.values() if c.status == "active" and c.name}


def test_first_publish_then_only_changes(store_engine: Engine) -> None:
    stores = _stores()
    first = _publish(PEOPLE)
    customers = _customers()
    assert first["customers_written"] == len(customers) == 3
    assert first["customers_retired"] == 0
    zhang, li, wang = (_by_name(customers)[n] for n in ("张三", "李四", "王五"))
    assert zhang.birthday == date(1990, 5, 17)
    assert zhang.registered_at is not None
    # the analytics store's local wall clock, stored as that instant (PostgreSQL) or wall clock
    registered = local_time(zhang.registered_at)
    assert registered == datetime(2023, 1, 5, 9, 30, 15, 123456, tzinfo=CHAIN_TZ)
    assert zhang.home_store_id == stores["S001"]
    assert li.home_store_id is None
    assert li.home_store_code == "S404"
    assert zhang.address == '江汉路1号 "老店"'
    assert (zhang.consent_wechat, li.consent_sms) == (True, None)
    assert zhang.sources == ["miniprogram", "pos"]
    assert zhang.records == 2
    assert zhang.golden is not None
    assert zhang.golden["name"] in ("pos", "miniprogram")
    assert li.email == "lisi@qq.com"
    assert zhang.status == "active"
    assert zhang.created_at is not None
    assert zhang.updated_at is not None
    identities = _identities()
    assert first["identities_written"] == len(identities)
    assert ("phone", "+8613811110001", "pos", zhang.customer_id) in identities
    assert ("unionid", "u1", "miniprogram", zhang.customer_id) in identities
    assert ("email", "lisi@qq.com", "pos", li.customer_id) in identities
    assert ("source_record_id", "b3", "tmall", wang.customer_id) in identities

    again = _publish(PEOPLE)
    assert again == {
        "customers_written": 0,
        "customers_retired": 0,
        "identities_written": 0,
        "identities_removed": 0,
        "seconds": again["seconds"],
    }
    assert _customers().keys() == customers.keys()
    assert _identities() == identities

    # 王五 is gone from every source; 李四 changed the email
    changed = [
        {**r, "email": "li4@example.com"} if r["record_key"] == "pos:M2" else r
        for r in PEOPLE
        if r["record_key"] != "tmall:b3"
    ]
    third = _publish(changed)
    assert third["customers_written"] == 1
    assert third["customers_retired"] == 1
    assert third["identities_written"] == 1  # the new email
    # 李四's old email; 王五's email, buyer id and record id
    assert third["identities_removed"] == 4
    after = _customers()
    assert (after[wang.customer_id].status, after[wang.customer_id].merged_into) == ("gone", None)
    assert after[li.customer_id].email == "li4@example.com"
    assert after[li.customer_id].updated_at == li.updated_at  # an upsert keeps it, as before
    assert after[wang.customer_id].updated_at > wang.updated_at
    assert after[zhang.customer_id].updated_at == zhang.updated_at
    now = _identities()
    assert ("email", "li4@example.com", "pos", li.customer_id) in now
    assert ("email", "lisi@qq.com", "pos", li.customer_id) not in now
    assert not {i for i in now if i[3] == wang.customer_id}
    assert now - identities == {("email", "li4@example.com", "pos", li.customer_id)}


def test_store_not_matching_the_snapshot_is_written_again(store_engine: Engine) -> None:
    _stores()
    _publish(PEOPLE)
    before = _identities()
    with db.session_scope() as s:
        s.execute(delete(CustomerIdentity))
        s.execute(delete(Customer).where(Customer.name == "王五"))
    out = _publish(PEOPLE)
    assert out["customers_written"] == 3
    assert out["identities_written"] == len(before)
    assert _identities() == before


def _stored(engine: Engine, customer_id: str) -> tuple[Any, ...]:
    """A customer row as the database holds it (each value cast to text)."""
    skip = {"id", "customer_id", "created_at", "updated_at"}
    cols = [c.name for c in Customer.__table__.columns if c.name not in skip]
    sql = ", ".join(f"CAST({c} AS TEXT)" for c in cols)
    with engine.connect() as conn:
        return tuple(
            conn.exec_driver_sql(
                f"SELECT {sql} FROM customer WHERE customer_id = '{customer_id}'"
            ).one()
        )


def test_bulk_path_stores_what_the_orm_stores(store_engine: Engine) -> None:
    _stores()
    _publish(PEOPLE)
    skip = {"id", "customer_id", "created_at", "updated_at"}
    for c in _customers().values():
        values = {
            col.name: getattr(c, col.name)
            for col in Customer.__table__.columns
            if col.name not in skip
        }
        with db.session_scope() as s:
            s.execute(insert(Customer).values(customer_id="X" + c.customer_id, **values))
        assert _stored(store_engine, c.customer_id) == _stored(store_engine, "X" + c.customer_id)
