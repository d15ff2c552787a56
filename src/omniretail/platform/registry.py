"""Discovery of the pieces each domain contributes, so adding a domain touches no shared file.

- ``<domain>/api.py`` exposing ``router`` (an ``APIRouter``) is mounted under ``/api/v1``;
- ``<domain>/pages.py`` exposing ``router`` is mounted at the console root;
- ``omniretail/cli/<group>.py`` exposing ``app`` (a ``typer.Typer``) becomes a command group,
  or exposing ``register(app)`` adds top-level commands.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path
from types import ModuleType


def module_names(leaf: str) -> list[str]:
    """The dotted names of every ``<package>/<leaf>.py`` under omniretail, found on disk
    without importing anything.

    ``pkgutil.walk_packages`` imports every package to look inside it, so asking for the
    ``models`` modules imported the whole code base (scikit-learn and SciPy through the uplift
    package, pandas through the demo's): seconds for every process that migrates or starts the
    console. Only regular packages (a folder with ``__init__.py``) are entered, as
    ``walk_packages`` does."""
    return [name for name in _all_modules() if name.rsplit(".", 1)[-1] == leaf]


@cache
def _all_modules() -> tuple[str, ...]:
    """Every module of omniretail's regular packages, sorted: the disk is walked once per
    process (a start-up asks for several kinds of module)."""
    import omniretail

    names: list[str] = []

    def walk(folder: Path, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.is_dir():
                if (entry / "__init__.py").is_file():
                    walk(entry, f"{prefix}{entry.name}.")
            elif entry.suffix == ".py" and entry.stem != "__init__":
                names.append(f"{prefix}{entry.stem}")

    for base in omniretail.__path__:
        walk(Path(base), "omniretail.")
    return tuple(sorted(names))


def modules_named(leaf: str) -> list[ModuleType]:
    """Every ``<package>/<leaf>.py`` module under omniretail, imported (with its packages)."""
    return [importlib.import_module(name) for name in module_names(leaf)]
