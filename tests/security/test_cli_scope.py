"""Store scope in the CLI: ``--as USER`` (or an API key in ``OMNIRETAIL_API_KEY``) limits a
command to that caller's rights and stores exactly as the API does; without either, the local
operator keeps full rights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from omniretail.cli.main import app
from omniretail.platform import db, migrate
from omniretail.platform.auth.errors import AuthError, PermissionDenied
from omniretail.platform.errors import NotFound

A, B = "C000000001", "C000000002"  # home stores S1 and S2


@pytest.fixture
def instance(home: Path) -> dict[str, Any]:
    from omniretail.cdp.profile.models import Customer
    from omniretail.omnichannel.store.models import Store
    from omniretail.platform.auth import service

    migrate.upgrade()
    with db.session_scope() as s:
        stores = {}
        for code in ("S1", "S2"):
            st = Store(code=code, name=f"门店{code}", kind="direct", store_type="street")
            s.add(st)
            s.flush()
            stores[code] = st.id
        for cid, code in ((A, "S1"), (B, "S2")):
            s.add(Customer(customer_id=cid, home_store_code=code, home_store_id=stores[code]))
        service.create_user(s, username="mgr", password="manager-pass-1",
                            role="store_manager", store_ids=[stores["S1"]])  # fmt: skip
        service.create_user(s, username="ana", password="analyst-pass-1", role="analyst")
        _, key = service.create_api_key(s, name="s2-key", scopes=["read", "write"],
                                        store_ids=[stores["S2"]])  # fmt: skip
    return {"key": key}


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    result = CliRunner().invoke(app, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return result.exception
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def _earn(customer: str, order: str, *who: str, env: dict[str, str] | None = None) -> Any:
    return run(*who, "loyalty", "earn", "--customer", customer, "--source", "pos",
               "--order", order, "--amount", "20", "--at", "2026-03-01T10:00:00+08:00",
               env=env)  # fmt: skip


def test_as_a_store_user_limits_the_cli_like_the_api(
    instance: dict[str, Any], tmp_path: Path
) -> None:
    # the local operator: full rights, every store
    first = _earn(B, "O-1")["points"]
    assert first > 0
    assert run("loyalty", "account", B)["balance"] > 0
    # a store-S1 manager: their customer yes, store S2's customer is unknown (as in the API)
    assert _earn(A, "O-2", "--as", "mgr")["points"] > 0
    refused = _earn(B, "O-3", "--as", "mgr")
    assert isinstance(refused, NotFound), refused
    assert refused.field == "customer"
    assert isinstance(run("--as", "mgr", "loyalty", "account", B), NotFound)
    assert run("--as", "mgr", "loyalty", "account", A)["balance"] > 0
    # a role without the permission: 403 as in the API (analysts do not write points)
    assert isinstance(_earn(A, "O-4", "--as", "ana"), PermissionDenied)
    # the environment variable and an API key limited to store S2
    assert isinstance(_earn(B, "O-5", env={"OMNIRETAIL_AS": "mgr"}), NotFound)
    key_env = {"OMNIRETAIL_API_KEY": instance["key"]}
    assert isinstance(_earn(A, "O-6", env=key_env), NotFound)
    assert _earn(B, "O-7", env=key_env)["points"] == first
    # chain-wide figures and privacy requests are refused to store users, as in the API
    assert isinstance(run("--as", "mgr", "kpi", "summary"), PermissionDenied)
    out = tmp_path / "person.json"
    assert isinstance(
        run("--as", "mgr", "privacy", "export", "--customer", A, "--out", str(out)),
        PermissionDenied,
    )
    assert not out.exists()
    # an unknown user or a bad key is refused, never silently the local operator
    assert isinstance(run("--as", "nobody", "loyalty", "account", A), AuthError)
    assert isinstance(_earn(A, "O-8", env={"OMNIRETAIL_API_KEY": "or_bad_key"}), AuthError)
    # the points of S2's customer: only the operator's and the S2 key's earns
    assert run("loyalty", "account", B)["balance"] == 2 * first
