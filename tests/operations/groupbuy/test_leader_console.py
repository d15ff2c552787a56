"""A leader's console login (role ``leader``, user name = leader code): an administrator opens
it from the group-buy page; the leader then sees only their own workbench (orders, pick list,
pickup by code, commission and its ledger) — another leader's page, the HQ actions and every
store's customers are refused or empty; a store manager cannot open logins."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from omniretail.omnichannel.store import service as store_service
from omniretail.operations.groupbuy import service, settle
from omniretail.operations.groupbuy.schemas import GroupOrderCreate
from omniretail.platform import db, migrate
from omniretail.platform.auth import service as auth_service
from omniretail.platform.auth.models import AuditLog, User
from omniretail.platform.db import utcnow
from omniretail.web.app import create_app
from tests.operations.groupbuy.factories import activity_in, groupbuy_world
from tests.web.conftest import csrf_from, login


def _world() -> None:
    t0 = utcnow()
    with db.session_scope() as s:
        groupbuy_world(s)
        service.create_activity(s, data=activity_in("LC1", t0, min_orders=1))
        for leader, ext in (("L1", "LC-A"), ("L2", "LC-B")):
            service.place_order(
                s,
                data=GroupOrderCreate.model_validate({
                    "activity": "LC1", "leader": leader, "external_id": ext,
                    "customer_id": f"C-{ext}", "lines": [{"sku": "A1", "quantity": 1}],
                }),
                now=t0,
            )  # fmt: skip
        settle.decide(s, activity="LC1", now=t0 + timedelta(hours=3))
        auth_service.create_user(s, username="admin", password="admin-pass-1", role="admin")
        store_ids = list(store_service.store_ids_by_code(s, codes=["S1"]).values())
        auth_service.create_user(s, username="mgr", password="mgr-pass-12", role="store_manager",
                                 store_ids=store_ids)  # fmt: skip


def _open(c: TestClient, code: str, password: str) -> object:
    token = csrf_from(c.get("/operations/groupbuy").text)
    return c.post(
        f"/operations/groupbuy/leaders/{code}/account",
        data={"password": password, "csrf_token": token},
    )


def test_an_admin_opens_a_leader_login_that_sees_only_its_point(home: Path) -> None:
    migrate.upgrade()
    _world()
    app = create_app()
    with TestClient(app, headers={"accept": "text/html"}) as admin:
        assert login(admin, "admin", "admin-pass-1").status_code == 303  # type: ignore[attr-defined]
        page = admin.get("/operations/groupbuy").text
        assert 'data-testid="accounts"' in page
        short = _open(admin, "L1", "short")
        assert short.status_code == 422  # type: ignore[attr-defined]
        assert "密码至少 8 位" in short.text  # type: ignore[attr-defined]
        applied = _open(admin, "L3", "leader-pass-3")
        assert applied.status_code == 422  # type: ignore[attr-defined]
        assert "待审核" in applied.text  # type: ignore[attr-defined]
        ok = _open(admin, "L1", "leader-pass-1")
        assert ok.status_code == 200  # type: ignore[attr-defined]
        assert "已为团长 王阿姨 开通账号，登录名" in ok.text  # type: ignore[attr-defined]
        assert '<code translate="no">l1</code>' in ok.text  # type: ignore[attr-defined]
    with db.session_scope() as s:
        u = s.query(User).filter(User.username == "l1").one()
        assert (u.role, u.store_ids, u.display_name) == ("leader", [], "王阿姨")
        logged = s.query(AuditLog).filter(AuditLog.action == "groupbuy.leader_login").one()
        assert (logged.actor, logged.object_id) == ("admin", "l1")

    with TestClient(app, headers={"accept": "text/html"}) as mgr:
        assert login(mgr, "mgr", "mgr-pass-12").status_code == 303  # type: ignore[attr-defined]
        assert 'data-testid="accounts"' not in mgr.get("/operations/groupbuy").text
        refused = _open(mgr, "L1", "leader-pass-9")
        assert refused.status_code == 403  # type: ignore[attr-defined]

    with TestClient(app, headers={"accept": "text/html"}) as leader:
        assert login(leader, "l1", "leader-pass-1").status_code == 303  # type: ignore[attr-defined]
        home_page = leader.get("/operations/groupbuy")  # the overview sends a leader home
        assert home_page.url.path == "/operations/groupbuy/leaders/l1"
        mine = leader.get("/operations/groupbuy/me")
        assert mine.status_code == 200
        assert "lc-a" in mine.text  # their own order
        assert "lc-b" not in mine.text
        assert 'data-testid="ledger"' in mine.text  # the commission ledger
        assert "成团计提" in mine.text
        other = leader.get("/operations/groupbuy/leaders/L2")
        assert other.status_code == 403
        token = csrf_from(mine.text)
        grab = leader.post("/operations/groupbuy/leaders/L2/pickup",
                           data={"pickup_code": "12345678", "csrf_token": token})  # fmt: skip
        assert grab.status_code == 403
        decide = leader.post("/operations/groupbuy/leaders/L3/decision",
                             data={"approve": "1", "csrf_token": token})  # fmt: skip
        assert decide.status_code == 403
        found = leader.get("/api/v1/customers?q=C", headers={"accept": "application/json"})
        assert found.json()["count"] == 0  # no store's customers
        assert leader.get("/api/v1/groupbuy/orders").json() == []
