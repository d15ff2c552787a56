"""The OpenAPI fuzz pass (issue 13's standing check): schemathesis generates requests from our
OpenAPI document for every operation and sends them to a running instance on loopback, as an
administrator and as a store-scoped API key: no server error (5xx) and no answer that breaks the
document (status code, content type, response schema). Examples per operation are bounded so
the pass takes a few minutes. Not checked: schemathesis' "positive data acceptance" (a
schema-valid request refused with 422): business rules beyond the schema are refused as 422
problems on purpose.

``KNOWN`` lists operations that still failed when this test was written, each with what failed:
they may fail (their owners' fixes are pending), every other operation must pass. Which example
finds a 500 depends on the state earlier operations left, so a listed operation that passes
once is not proof it is fixed: strike it when its cause is fixed.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.e2e.conftest import run_cli, serve_console
from tests.web.seed import make_seed, write_snapshot

pytestmark = pytest.mark.slow

# Operations that may still fail, each with what failed and its owner; empty since the last
# findings were fixed (bad WeCom send times, group-buy refund ids and keys, undeclared 503s and
# model 404s, naive date-times in live figures, ids beyond 64 bits in paths, unstorable text).
KNOWN: dict[str, str] = {}


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("fuzz") / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRETAIL_")}
    env.update({"OMNIRETAIL_HOME": str(home), "OMNIRETAIL_DEMO": "1", "PYTHONUNBUFFERED": "1"})
    run_cli(env, "init")
    con = sqlite3.connect(home / "omniretail.db")
    con.execute("INSERT INTO store (code, name, kind, store_type, is_active, created_at, "
                "updated_at) VALUES ('S001', '武汉江汉路店', 'direct', 'street', 1, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")  # fmt: skip
    con.commit()
    con.close()
    admin = run_cli(env, "apikey", "create", "--name", "fuzz-admin", "--scope", "read",
                    "--scope", "write", "--scope", "admin").strip()  # fmt: skip
    scoped = run_cli(env, "apikey", "create", "--name", "fuzz-store", "--scope", "read",
                     "--scope", "write", "--store", "S001").strip()  # fmt: skip
    write_snapshot(home / "analytics" / "published.duckdb", make_seed())
    with serve_console(env, home / "server.log") as url:
        yield {"url": url, "admin": admin, "scoped": scoped}


def _no_server_error(response: Any) -> None:
    """No 5xx — except the documented 503 "not computed yet" of an analytics read on a
    snapshot without its tables (the document declares it; the status code check holds the
    route to that)."""
    if response.status_code < 500:
        return
    problem = response.json() if response.status_code == 503 else {}
    assert str(problem.get("type", "")).endswith("/NoPublishedSnapshot"), (
        f"server error {response.status_code}: {response.text[:200]}"
    )


def _operations(url: str) -> list[Any]:
    spec = httpx.get(f"{url}/api/v1/openapi.json", timeout=120).json()
    return [r.ok() for r in schemathesis.openapi.from_dict(spec).get_all_operations()]


def test_api_answers_by_its_document(fuzz_server: dict[str, Any]) -> None:
    url = fuzz_server["url"]
    failures: dict[str, str] = {}
    for op in _operations(url):

        @given(case=op.as_strategy())
        @settings(max_examples=4, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def run(case: Any) -> None:
            for who in ("admin", "scoped"):
                response = case.call_and_validate(
                    base_url=url,
                    headers={"authorization": f"Bearer {fuzz_server[who]}"},
                    timeout=60,
                    # a business rule answered as a 422 problem (an unknown template, dates in
                    # the wrong order) is right even when the schema cannot say so; a server
                    # error is checked below (the status code check still runs)
                    excluded_checks=[positive_data_acceptance, not_a_server_error],
                )
                _no_server_error(response)

        try:
            run()
        except BaseException as exc:  # every failure is reported, by operation
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures[op.label] = " ".join(str(exc).split())[:160]
    new = {k: v for k, v in failures.items() if k not in KNOWN}
    assert not new, "\n".join(f"{k}: {v}" for k, v in sorted(new.items()))
