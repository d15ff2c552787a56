"""Console fixtures: an anonymous client over a migrated store with users, a published snapshot."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from omniretail.platform import db
from omniretail.platform.console import nav
from omniretail.platform.engine import published_path
from tests.web.seed import Seed, make_seed, write_snapshot

ADMIN = ("admin", "admin-pass-1")
ANALYST = ("ana", "analyst-pass-1")

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def login(client: TestClient, username: str, password: str, next: str = "") -> object:
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next},
        follow_redirects=False,
    )


def coming_soon_areas(client: TestClient) -> list[nav.NavItem]:
    """Navigation areas whose page is still the shell's placeholder (``client`` logged in)."""
    return [
        item
        for item in nav.items()
        if item.href != "/" and f'data-coming-soon="{item.key}"' in client.get(item.href).text
    ]


@pytest.fixture(scope="session")
def password_hashes() -> dict[str, str]:
    """argon2 hashes of the fixture users' passwords, computed once (hashing is slow on purpose)."""
    from omniretail.platform.auth.service import hash_secret

    return {ADMIN[0]: hash_secret(ADMIN[1]), ANALYST[0]: hash_secret(ANALYST[1])}


@pytest.fixture
def console(home: Path, password_hashes: dict[str, str]) -> Iterator[TestClient]:
    """An anonymous browser-like client; the store has an admin and an analyst."""
    from omniretail.platform.auth.models import User
    from omniretail.web.app import create_app

    db.create_all(db.get_engine())  # quick; migrations are tested in tests/platform
    with db.session_scope() as s:
        s.add(User(username=ADMIN[0], password_hash=password_hashes[ADMIN[0]], role="admin"))
        s.add(
            User(
                username=ANALYST[0],
                password_hash=password_hashes[ANALYST[0]],
                role="analyst",
                display_name="小安",
            )
        )
    with TestClient(create_app(), headers={"accept": "text/html"}) as c:
        yield c


@pytest.fixture
def admin_console(console: TestClient) -> TestClient:
    r = login(console, *ADMIN)
    assert r.status_code == 303, r.text
    return console


@pytest.fixture(scope="session")
def seed() -> Seed:
    return make_seed()


@pytest.fixture
def published(home: Path, seed: Seed) -> Seed:
    """The seed published as the analytics snapshot the console reads."""
    write_snapshot(published_path(), seed)
    return seed
