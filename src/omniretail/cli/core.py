"""Top-level commands: init, serve, users, apikey."""

from __future__ import annotations

import json
import os

import typer

from omniretail.platform.config import get_settings

users_app = typer.Typer(help="Console users (用户).", no_args_is_help=True)
apikey_app = typer.Typer(help="API keys for machines (接口密钥).", no_args_is_help=True)


def init() -> None:
    """Create or upgrade the operational store and the data directory (创建/升级数据库)."""
    from omniretail.platform import migrate

    settings = get_settings()
    settings.ensure_dirs()
    migrate.upgrade()
    typer.echo(
        json.dumps(
            {
                "home": str(settings.home),
                "database": _safe_url(settings.sqlalchemy_url),
                "status": "up to date",
            },
            ensure_ascii=False,
        )
    )


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(int(os.environ.get("PORT", "8000")), help="Port (env PORT)."),
    workers: int = typer.Option(1, help="Worker processes."),
) -> None:
    """Serve the console and the API (启动控制台与接口)."""
    import uvicorn

    typer.echo(
        f"omniretail console: http://{host}:{port}/   API docs: http://{host}:{port}/api/v1/docs"
    )
    uvicorn.run(
        "omniretail.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


@users_app.command("create")
def users_create(
    username: str = typer.Option(..., "--username", "-u"),
    role: str = typer.Option("marketer", help="admin, marketer, store_manager, clerk or analyst"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    store: list[str] = typer.Option(
        [], "--store", help="Store code a store manager/clerk may see, e.g. S0001 (repeat)."
    ),
    display_name: str | None = typer.Option(None),
) -> None:
    """Create a console user."""
    from omniretail.cli._operator import admin_job
    from omniretail.omnichannel.store import service as store_service
    from omniretail.omnichannel.store.errors import UnknownStore
    from omniretail.platform.auth import service
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        admin_job("users create", s)
        ids = store_service.store_ids_by_code(s, codes=store)
        missing = [c for c in store if c not in ids]
        if missing:
            raise UnknownStore(missing[0], field="store")
        user = service.create_user(
            s,
            username=username,
            password=password,
            role=role,
            display_name=display_name,
            store_ids=[ids[c] for c in store] or None,
        )
        typer.echo(json.dumps({"id": user.id, "username": user.username, "role": user.role}))


@apikey_app.command("create")
def apikey_create(
    name: str = typer.Option(..., "--name"),
    scope: list[str] = typer.Option(
        ["read"], "--scope", help="read, write, events, admin (repeat)"
    ),
    store: list[str] = typer.Option(
        [], "--store", help="store code the key is limited to (repeat); none = every store"
    ),
) -> None:
    """Create an API key; the key is printed once and never shown again."""
    from omniretail.cli._operator import admin_job
    from omniretail.omnichannel.store import service as store_service
    from omniretail.omnichannel.store.errors import UnknownStore
    from omniretail.platform.auth import service
    from omniretail.platform.db import session_scope

    with session_scope() as s:
        admin_job("apikey create", s)
        ids = store_service.store_ids_by_code(s, codes=store)
        missing = [c for c in store if c not in ids]
        if missing:
            raise UnknownStore(missing[0], field="store")
        _, plain = service.create_api_key(
            s, name=name, scopes=scope, store_ids=[ids[c] for c in store] or None
        )
    typer.echo(plain)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
    app.add_typer(apikey_app, name="apikey")
