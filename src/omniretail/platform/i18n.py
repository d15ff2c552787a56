"""Translations for the console and for code: zh-CN is the default language, English the second.

Message catalogs are Babel/gettext ``.po`` files, read at run time (no compile step):

- the console's own: ``omniretail/web/locales/<locale>/LC_MESSAGES/messages.po``;
- any domain may ship its own: ``omniretail/<domain...>/locales/<locale>/LC_MESSAGES/messages.po``.

All catalogs of a locale are merged (the web catalog wins on a clash) and compiled in memory
to a :class:`babel.support.Translations`, once per process. Message ids are English source
text; the ``en`` catalog carries them too, so a test can check that every id has both
translations.

The current locale is a context variable: the console sets it for the duration of a request
(:func:`use_locale`); code calls :func:`gettext` (alias ``_``) and gets the user's language.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

SUPPORTED_LOCALES: tuple[str, ...] = ("zh_CN", "en")
LOCALE_NAMES: dict[str, str] = {"zh_CN": "简体中文", "en": "English"}
DOMAIN = "messages"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # src/omniretail
WEB_LOCALES = PACKAGE_ROOT / "web" / "locales"

_current: ContextVar[str | None] = ContextVar("omniretail_locale", default=None)


def default_locale() -> str:
    from omniretail.platform.config import get_settings

    return get_settings().default_locale


def normalize_locale(value: str | None) -> str | None:
    """Map ``zh``, ``zh-CN``, ``zh_Hans_CN``, ``en-US`` ... to a supported locale, else None."""
    if not value:
        return None
    v = value.strip().replace("-", "_").lower()
    if v.startswith("zh"):
        return "zh_CN"
    if v.startswith("en"):
        return "en"
    return None


def current_locale() -> str:
    return _current.get() or default_locale()


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    """Run a block in ``locale`` (normalized; unknown values fall back to the default)."""
    chosen = normalize_locale(locale) or default_locale()
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def catalog_files(locale: str) -> list[Path]:
    """Every ``.po`` of ``locale``: the web catalog first, then domain catalogs by path."""
    rel = Path(locale) / "LC_MESSAGES" / f"{DOMAIN}.po"
    files = [WEB_LOCALES / rel] if (WEB_LOCALES / rel).exists() else []
    for locales_dir in sorted(PACKAGE_ROOT.rglob("locales")):
        if locales_dir == WEB_LOCALES or not locales_dir.is_dir():
            continue
        if (locales_dir / rel).exists():
            files.append(locales_dir / rel)
    return files


def load_catalog(locale: str) -> Catalog:
    """The merged catalog of ``locale`` (the first file defining a message wins)."""
    merged = Catalog(locale=locale, domain=DOMAIN)
    for path in catalog_files(locale):
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale, domain=DOMAIN)
        for message in catalog:
            if not message.id or message.id in merged:
                continue
            merged[message.id] = message
    return merged


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def translations(locale: str) -> Translations:
    """Compiled translations of a supported locale (cached; :func:`reload` forgets them)."""
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {locale!r}; choose {', '.join(SUPPORTED_LOCALES)}")
    buf = io.BytesIO()
    write_mo(buf, load_catalog(locale), use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


def reload() -> None:
    """Forget compiled catalogs (after editing a .po in a running process)."""
    translations.cache_clear()


def gettext(message: str) -> str:
    """``message`` in the current locale (the message itself when it has no translation)."""
    result: str = translations(current_locale()).gettext(message)
    return result


def ngettext(singular: str, plural: str, n: int) -> str:
    result: str = translations(current_locale()).ngettext(singular, plural, n)
    return result


def pgettext(context: str, message: str) -> str:
    return str(translations(current_locale()).pgettext(context, message))


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    result: str = translations(current_locale()).npgettext(context, singular, plural, n)
    return result


class LazyText(str):
    """Text that reads in the current locale when it is shown (``%s``, ``str()``, ``format``)
    and is its English form everywhere else (a JSON dump, a comparison, ``==``).

    For the ``params`` of a domain error's catalog message: the error is raised before anyone
    knows who reads it, and the console fills the message in the reader's language
    (``platform.console.render.error_text``), so a field's label or an operator's name given
    as a parameter must wait until then to choose its language."""

    _render: Callable[[], str]

    def __new__(cls, english: str, render: Callable[[], str]) -> LazyText:
        obj = super().__new__(cls, english)
        obj._render = render
        return obj

    def __str__(self) -> str:
        return self._render()

    def __format__(self, spec: str) -> str:
        return format(self._render(), spec)


def lazy_gettext(message: str, params: dict[str, Any] | None = None) -> LazyText:
    """``message`` (a catalog id, filled with ``params``) translated when it is shown."""
    values = params or {}
    if not values:
        return LazyText(message, lambda: gettext(message))
    with use_locale("en"):  # lazy parameters in their English form
        english = message % values
    return LazyText(english, lambda: gettext(message) % values)


def lazy_pair(zh: str, en: str) -> LazyText:
    """A label that has its two languages at hand (a tag's ``zh``/``en``), chosen when shown."""
    return LazyText(en, lambda: zh if current_locale() == "zh_CN" else en)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a string for extraction without translating it now (translated when shown)."""
    return message


_ = gettext
