"""Discovery of the pieces each domain contributes, so adding a domain touches no shared file.

- ``<domain>/api.py`` exposing ``router`` (an ``APIRouter``) is mounted under ``/api/v1``;
- ``<domain>/pages.py`` exposing ``router`` is mounted at the console root;
- ``omniretail/cli/<group>.py`` exposing ``app`` (a ``typer.Typer``) becomes a command group,
  or exposing ``register(app)`` adds top-level commands.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def modules_named(leaf: str) -> list[ModuleType]:
    import omniretail

    found: list[ModuleType] = []
    for mod in pkgutil.walk_packages(omniretail.__path__, "omniretail."):
        if mod.name.rsplit(".", 1)[-1] == leaf and not mod.ispkg:
            found.append(importlib.import_module(mod.name))
    return sorted(found, key=lambda m: m.__name__)
