"""系统设置: users and API keys in the console."""

from __future__ import annotations

from tests.web.conftest import ANALYST, csrf_from, login


def test_admin_sees_users_and_can_create_one(admin_console) -> None:
    page = admin_console.get("/settings").text
    assert 'data-testid="users"' in page
    assert "小安" in page  # the analyst
    token = csrf_from(page)
    r = admin_console.post(
        "/settings/users",
        data={
            "username": "mkt1", "display_name": "市场部小李", "role": "marketer",
            "password": "marketer-pass-1", "csrf_token": token,
        },
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    assert r.headers["location"] == "/settings?created=mkt1"
    page = admin_console.get(r.headers["location"]).text
    assert '已创建用户 <span translate="no">mkt1</span>' in page  # a login name, not prose
    assert "市场部小李" in page
    admin_console.cookies.clear()
    assert login(admin_console, "mkt1", "marketer-pass-1").status_code == 303


def test_create_user_errors_name_the_field(admin_console) -> None:
    token = csrf_from(admin_console.get("/settings").text)
    r = admin_console.post(
        "/settings/users",
        data={"username": "ana", "role": "analyst", "password": "whatever-1", "csrf_token": token},
    )
    assert r.status_code == 422
    assert "username: user &#39;ana&#39; already exists" in r.text
    r = admin_console.post(
        "/settings/users",
        data={"username": "short", "role": "analyst", "password": "x", "csrf_token": token},
    )
    assert r.status_code == 422
    assert "password: password must be at least 8 characters" in r.text
    assert 'value="short"' in r.text  # the form keeps what was typed


def test_api_key_is_shown_once_and_works(admin_console) -> None:
    token = csrf_from(admin_console.get("/settings").text)
    r = admin_console.post(
        "/settings/api-keys",
        data={"name": "pos-import", "scopes": ["read", "events"], "csrf_token": token},
    )
    assert r.status_code == 201
    import re

    key = re.search(r"<code>(or_[^<]+)</code>", r.text).group(1)
    page = admin_console.get("/settings").text
    assert key not in page  # never shown again
    assert "pos-import" in page
    me = admin_console.get(
        "/api/v1/auth/me", headers={"authorization": f"Bearer {key}", "accept": "application/json"}
    )
    assert me.status_code == 200
    assert sorted(me.json()["scopes"]) == ["events", "read"]


def test_non_admin_sees_only_their_account(console) -> None:
    login(console, *ANALYST)
    page = console.get("/settings").text
    assert 'data-testid="my-account"' in page
    assert 'data-testid="users"' not in page
    assert "只有管理员可以管理用户和接口密钥" in page
    r = console.post(
        "/settings/users",
        data={
            "username": "x",
            "role": "admin",
            "password": "xxxxxxxx1",
            "csrf_token": csrf_from(page),
        },
    )
    assert r.status_code == 403
    assert "仅限管理员" in r.text


def test_api_key_with_a_store_scope(admin_console) -> None:
    """The key form takes the stores a key is limited to (the CLI's ``--store``)."""
    from sqlalchemy import select

    from omniretail.omnichannel.store.models import Store
    from omniretail.platform.auth.models import ApiKey
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        store = Store(code="S001", name="武汉江汉路店", kind="direct", store_type="street")
        s.add(store)
        s.flush()
        store_id = store.id
    page = admin_console.get("/settings").text
    assert 'data-testid="key-stores"' in page
    assert "密钥限定的门店" in page
    r = admin_console.post(
        "/settings/api-keys",
        data={"name": "s001-pos", "scopes": ["read"], "store_ids": [str(store_id)],
              "csrf_token": csrf_from(page)},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    with session_scope() as s:
        key = s.scalar(select(ApiKey).where(ApiKey.name == "s001-pos"))
        assert key is not None
        assert key.store_ids == [store_id]
    r = admin_console.post(
        "/settings/api-keys",
        data={"name": "chain-pos", "scopes": ["read"], "csrf_token": csrf_from(page)},
    )
    assert r.status_code == 201
    with session_scope() as s:
        assert s.scalar(select(ApiKey.store_ids).where(ApiKey.name == "chain-pos")) is None
