"""The navigation shows each role what it may open, and nothing else: every area it shows opens
for that role, every area it hides refuses it (403, said in Chinese) — a group-buy leader (团长)
sees their point's workbench and their account, not the chain's areas; the privacy requests
are the administrators'."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from omniretail.platform import db
from omniretail.platform.console import nav
from tests.web.conftest import login

SHOWN = re.compile(r'class="nav-item[^"]*" href="([^"]+)"\s+data-nav="([\w-]+)"')
ROLES = ("admin", "marketer", "store_manager", "clerk", "analyst", "leader")


def _users() -> None:
    from omniretail.omnichannel.store import service as store_service
    from omniretail.omnichannel.store.schemas import StoreCreate
    from omniretail.platform.auth import service

    with db.session_scope() as s:
        store_service.upsert_stores(s, stores=[StoreCreate(code="S001", name="江汉路店")])
        sid = store_service.store_ids_by_code(s, codes=["S001"])["S001"]
        for role in ROLES[1:]:
            service.ensure_user(s, username=f"u_{role}", password=f"{role}-pass-A1", role=role,
                                store_ids=[] if role == "leader" else [sid])  # fmt: skip


def _client(console: TestClient, role: str) -> TestClient:
    c = TestClient(console.app, raise_server_exceptions=False, headers={"accept": "text/html"})
    user = ("admin", "admin-pass-1") if role == "admin" else (f"u_{role}", f"{role}-pass-A1")
    assert login(c, *user).status_code == 303  # type: ignore[attr-defined]
    return c


def test_each_role_sees_what_it_may_open(console: TestClient, published: object) -> None:
    _users()
    expected = {
        "admin": {i.key for i in nav.items()},
        "leader": {"groupbuy", "settings"},
    }
    for role in ROLES:
        c = _client(console, role)
        home = c.get("/")
        shown = {k: h for h, k in SHOWN.findall(home.text)}
        want = expected.get(role, {i.key for i in nav.items()} - {"privacy"})
        assert set(shown) == want, role
        for item in nav.items():
            r = c.get(item.href, follow_redirects=False)
            if item.key in shown:
                assert r.status_code in (200, 303), (role, item.href, r.status_code)
                if r.status_code == 303:  # to a page of its own area
                    assert nav.active_item(r.headers["location"].split("?")[0]) == item
            elif item.href == "/":
                assert r.status_code == 303, role
                assert r.headers["location"] == "/operations/groupbuy"
            else:
                assert r.status_code == 403, (role, item.href, r.status_code)
                said = (
                    "只有管理员可以处理个人信息请求"
                    if item.key == "privacy"
                    else "您的角色无权打开此页面"
                )
                assert said in r.text, (role, item.href)


def test_a_leader_cannot_reach_the_chains_pages_by_their_address(
    console: TestClient, published: object
) -> None:
    _users()
    c = _client(console, "leader")
    for path in ("/customers/C000000001", "/guide/me", "/campaigns/new", "/jobs", "/data/identity"):
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
        assert "您的角色无权打开此页面" in r.text, path
        assert 'data-nav="customers"' not in r.text  # the error page's menu is theirs too
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/settings").text)
    assert token
    r = c.post("/guide/me/visits", data={"staff": "G1", "customer_id": "C000000001",
                                         "csrf_token": token.group(1)})  # fmt: skip
    assert r.status_code == 403
