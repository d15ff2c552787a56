"""The console's Jinja2 environment: one loader over the web shell's templates and every
domain's.

Templates are looked up, in order, in ``omniretail/web/templates`` (the shell: ``base.html``,
``_macros.html``, ``error.html``) and then in each ``omniretail/<domain...>/templates`` folder
(sorted by path). A domain keeps its templates in
a sub-folder named after itself to avoid clashes, e.g.
``marketing/coupon/templates/coupon/list.html`` is rendered as ``"coupon/list.html"`` and
starts with ``{% extends "base.html" %}``. A test checks that no two folders define the same
template name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from omniretail.platform import i18n
from omniretail.platform.timezone import CHAIN_TZ

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # src/omniretail
WEB_TEMPLATES = PACKAGE_ROOT / "web" / "templates"


def template_dirs() -> list[Path]:
    """The web templates first, then every domain's ``templates`` folder."""
    dirs = [WEB_TEMPLATES]
    for path in sorted(PACKAGE_ROOT.rglob("templates")):
        if path.is_dir() and path != WEB_TEMPLATES and "__pycache__" not in path.parts:
            dirs.append(path)
    return dirs


def _number(value: object, digits: int = 0) -> str:
    """Thousands separators; ``—`` for a missing value."""
    if value is None or value == "":
        return "—"
    try:
        return f"{float(str(value)):,.{digits}f}"
    except ValueError:
        return str(value)


def _yuan(value: object, digits: int = 2) -> str:
    """An amount in yuan as the stores write it: ``¥94,756.05``, ``-¥3.51``; ``—`` if missing."""
    if value is None or value == "":
        return "—"
    try:
        amount = float(str(value))
    except ValueError:
        return str(value)
    sign = "-" if round(amount, digits) < 0 else ""
    return f"{sign}¥{abs(amount):,.{digits}f}"


def local_time(value: object) -> str:
    """An instant (aware, or naive UTC as the operational store keeps it; or ISO text) as the
    chain's local wall-clock time to the minute, "2026-11-01 09:00": the one format the
    console shows times in."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return text
    if not isinstance(value, datetime):
        return str(value)
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return f"{aware.astimezone(CHAIN_TZ):%Y-%m-%d %H:%M}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in template_dirs()]),
        autoescape=select_autoescape(("html", "htm", "xml", "svg")),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext,
        ngettext=i18n.ngettext,
        pgettext=i18n.pgettext,
        npgettext=i18n.npgettext,
        newstyle=True,
    )
    env.filters["number"] = _number
    env.filters["yuan"] = _yuan
    env.filters["local_time"] = local_time
    return env
