"""The ``omniretail`` command. Each ``omniretail/cli/<group>.py`` module contributes either a
command group (module attributes ``app`` and ``NAME``) or top-level commands (``register(app)``).
Commands are thin: they parse arguments, call a service and print."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer
from pydantic import ValidationError

from omniretail.platform.errors import DomainError

app = typer.Typer(
    name="omniretail",
    help="omniretail — 全渠道新零售数字化营销与服务系统 (omnichannel new-retail marketing system).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


@app.callback()
def _root(
    as_user: str | None = typer.Option(
        None,
        "--as",
        envvar="OMNIRETAIL_AS",
        help="Run as this console user: their role and stores limit what store-data commands "
        "show and do, as in the API (or set OMNIRETAIL_API_KEY to act as an API key). "
        "Default: the local operator, with full rights.",
    ),
) -> None:
    """omniretail — 全渠道新零售数字化营销与服务系统 (omnichannel new-retail marketing system)."""
    from omniretail.cli._operator import choose

    choose(as_user)


def _load_groups() -> None:
    import omniretail.cli as pkg

    for mod in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if mod.name in ("main", "__main__") or mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"omniretail.cli.{mod.name}")
        if hasattr(module, "register"):
            module.register(app)
        sub = getattr(module, "app", None)
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=getattr(module, "NAME", mod.name.replace("_", "-")))


_load_groups()


def main() -> None:
    try:
        app()
    except DomainError as exc:
        typer.secho(
            f"error: {exc.detail}" + (f" (field: {exc.field})" if exc.field else ""),
            fg="red",
            err=True,
        )
        sys.exit(2)
    except ValidationError as exc:
        if exc.title != "Settings":
            raise
        # the instance's configuration (OMNIRETAIL_* variables, .env): name each bad setting
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "settings"
            message = str(err["msg"]).removeprefix("Value error, ")
            typer.secho(f"error: configuration {where}: {message}", fg="red", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
