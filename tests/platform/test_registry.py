"""The registry finds the same modules as walking the packages, without importing the others."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import omniretail
from omniretail.platform.registry import module_names


@pytest.mark.parametrize("leaf", ["models", "pipeline", "api", "pages", "jobs", "privacy_hooks"])
def test_module_names_equal_a_package_walk(leaf: str) -> None:
    walked = sorted(
        m.name
        for m in pkgutil.walk_packages(omniretail.__path__, "omniretail.")
        if m.name.rsplit(".", 1)[-1] == leaf and not m.ispkg
    )
    assert walked, leaf
    assert module_names(leaf) == walked


def test_importing_the_models_does_not_import_the_model_libraries() -> None:
    code = (
        "import sys\n"
        "from omniretail.platform.db import import_all_models\n"
        "import_all_models()\n"
        "print(sorted(m for m in ('sklearn', 'omniretail.insight.uplift.learners') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
