"""The one store-visibility rule: ``platform.auth.scope``."""

from __future__ import annotations

import duckdb
import pytest
from sqlalchemy import column, select, table, text
from sqlalchemy.orm import Session

from omniretail.omnichannel.store.models import City, Store
from omniretail.platform.auth import service as auth_service
from omniretail.platform.auth.deps import Principal, principal_from_user
from omniretail.platform.auth.errors import PermissionDenied
from omniretail.platform.auth.scope import OutOfScope, StoreScope, store_codes_of, store_scope
from omniretail.platform.errors import DomainError

ROWS = [("C1", "S001"), ("C2", "S002"), ("C3", "O'Brien"), ("C4", None)]


def _visible(scope: StoreScope, sql_rows: list[tuple[str, str | None]]) -> list[str]:
    return sorted(c for c, code in sql_rows if scope.allows(code))


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (StoreScope.everything(), ["C1", "C2", "C3", "C4"]),
        (StoreScope.only([]), []),
        (StoreScope.only(["S001", "O'Brien"]), ["C1", "C3"]),
        (StoreScope.only(["S404"]), []),
    ],
)
def test_sql_filter_agrees_with_allows_in_duckdb_and_sqlite(
    scope: StoreScope, expected: list[str], sqlite_session: Session
) -> None:
    assert _visible(scope, ROWS) == expected
    con = duckdb.connect()
    con.execute("CREATE TABLE c (customer_id VARCHAR, home_store_code VARCHAR)")
    con.executemany("INSERT INTO c VALUES (?, ?)", ROWS)
    got = con.execute(
        f"SELECT customer_id FROM c WHERE {scope.sql('home_store_code')} ORDER BY 1"
    ).fetchall()
    assert [r[0] for r in got] == expected

    db = sqlite_session
    db.execute(text("CREATE TABLE c (customer_id VARCHAR, home_store_code VARCHAR)"))
    db.execute(text("INSERT INTO c VALUES (:c, :s)"), [{"c": c, "s": s} for c, s in ROWS])
    raw = db.execute(
        text(f"SELECT customer_id FROM c WHERE {scope.sql('home_store_code')} ORDER BY 1")
    )
    assert [r[0] for r in raw] == expected
    t = table("c", column("customer_id"), column("home_store_code"))
    orm = db.execute(
        select(t.c.customer_id).where(scope.where(t.c.home_store_code)).order_by(t.c.customer_id)
    )
    assert [r[0] for r in orm] == expected


def test_require_raises_a_403_problem() -> None:
    scope = StoreScope.only(["S001"])
    scope.require("S001")
    with pytest.raises(OutOfScope) as caught:
        scope.require("S002")
    err = caught.value
    assert isinstance(err, PermissionDenied)
    assert isinstance(err, DomainError)
    problem = err.to_problem(instance="/x")
    assert problem["status"] == 403
    assert "S002" in problem["detail"]
    assert problem["errors"][0]["field"] == "store_code"
    with pytest.raises(OutOfScope, match="no store"):
        scope.require(None)
    StoreScope.everything().require(None)


def test_codes_form_for_services() -> None:
    assert StoreScope.everything().codes() is None
    assert StoreScope.only(["B", "A"]).codes() == ["A", "B"]
    assert StoreScope.of_codes(None).all_stores
    assert StoreScope.of_codes([]).codes() == []


def _store(db: Session, code: str) -> Store:
    city = City(code=f"c{code}", name="武汉", province="湖北省")
    store = Store(code=code, name=f"门店{code}", store_type="mall", city=city)
    db.add(store)
    db.flush()
    return store


def test_principals_resolve_their_store_ids_to_codes(sqlite_session: Session) -> None:
    db = sqlite_session
    a, b = _store(db, "S001"), _store(db, "S002")
    assert store_codes_of(db, None) is None
    assert store_codes_of(db, []) == []
    assert store_codes_of(db, [b.id, a.id, 9999]) == ["S001", "S002"]

    manager = auth_service.create_user(
        db, username="mgr", password="a-long-password-1", role="store_manager", store_ids=[a.id]
    )
    admin = auth_service.create_user(
        db, username="boss", password="a-long-password-2", role="admin"
    )
    db.flush()
    scope = store_scope(principal_from_user(manager))
    assert not scope.all_stores
    assert scope.store_codes == {"S001"}
    assert scope.allows("S001")
    assert not scope.allows("S002")
    assert store_scope(principal_from_user(admin)).all_stores
    # an API key (no store list) sees every store; a principal built without stores sees none
    assert store_scope(Principal(name="apikey:x", role="api")).all_stores
    assert (
        store_scope(Principal(name="p", role="clerk", store_ids=[], store_codes=[])).codes() == []
    )
