"""Translations: complete catalogs for every message the console uses, and the language switch."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from omniretail.platform import i18n
from omniretail.platform.console.templating import template_dirs
from tests.web.conftest import ADMIN, csrf_from, login

PACKAGE = Path(i18n.__file__).resolve().parent.parent
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}")


def extracted_ids() -> set[str]:
    ids: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE), METHOD_MAP, OPTIONS
    ):
        if isinstance(message, tuple):
            ids.update(m for m in message if m)
        elif message:
            ids.add(message)
    return ids


def test_every_message_in_code_and_templates_has_both_translations() -> None:
    ids = extracted_ids()
    assert "Log in" in ids
    assert "Customers" in ids
    for locale in i18n.SUPPORTED_LOCALES:
        catalog = i18n.load_catalog(locale)
        missing = sorted(i for i in ids if i not in catalog or not catalog[i].string)
        assert not missing, f"{locale}: add these to a messages.po: {missing}"


@pytest.mark.parametrize("locale", i18n.SUPPORTED_LOCALES)
def test_catalog_entries_are_translated_and_keep_placeholders(locale: str) -> None:
    for path in i18n.catalog_files(locale):
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in catalog:
            if not message.id:
                continue
            assert message.string, f"{path}: {message.id!r} has no {locale} translation"
            assert not message.fuzzy, f"{path}: {message.id!r} is marked fuzzy"
            ids = sorted(PLACEHOLDER.findall(str(message.id)))
            assert sorted(PLACEHOLDER.findall(str(message.string))) == ids, message.id


def test_chinese_translation_differs_from_english() -> None:
    zh = i18n.load_catalog("zh_CN")
    same = [
        m.id
        for m in zh
        if m.id and m.string == m.id and not re.fullmatch(r"[A-Z0-9 /&._%()-]+", str(m.id))
    ]  # acronyms such as "CSV" or "RFM" may stay as they are
    assert not same, f"untranslated (identical) zh_CN entries: {same}"


def test_gettext_follows_the_current_locale(home) -> None:
    with i18n.use_locale("en"):
        assert i18n.gettext("Customers") == "Customers"
    with i18n.use_locale("zh-CN"):
        assert i18n.gettext("Customers") == "客户"
    with i18n.use_locale("fr"):  # unknown: the default (zh-CN)
        assert i18n.gettext("Customers") == "客户"
    assert i18n.gettext("a message nobody translated") == "a message nobody translated"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("zh", "zh_CN"), ("zh-CN", "zh_CN"), ("zh_Hans_CN", "zh_CN"), ("en-US", "en"), ("de", None)],
)
def test_normalize_locale(raw: str, expected: str | None) -> None:
    assert i18n.normalize_locale(raw) == expected


def test_template_names_are_unique_across_domains() -> None:
    seen: dict[str, Path] = {}
    for folder in template_dirs():
        for file in folder.rglob("*.html"):
            name = file.relative_to(folder).as_posix()
            assert name not in seen, f"{name} is defined in {seen[name]} and {folder}"
            seen[name] = folder


def test_language_switch_sets_a_cookie_and_remembers_the_user_choice(admin_console) -> None:
    token = csrf_from(admin_console.get("/").text)
    r = admin_console.post(
        "/lang",
        data={"locale": "en", "next": "/settings", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/settings"
    assert "omniretail_lang=en" in r.headers["set-cookie"]
    page = admin_console.get("/settings").text
    assert '<html lang="en">' in page
    assert ">Customers<" in page
    assert "My account" in page

    from sqlalchemy import select

    from omniretail.platform import db
    from omniretail.platform.auth.models import User

    with db.session_scope() as s:
        assert s.scalar(select(User.locale).where(User.username == ADMIN[0])) == "en"


def test_saved_preference_applies_at_the_next_login(console) -> None:
    from sqlalchemy import update

    from omniretail.platform import db
    from omniretail.platform.auth.models import User

    with db.session_scope() as s:
        s.execute(update(User).where(User.username == ADMIN[0]).values(locale="en"))
    r = login(console, *ADMIN)
    assert "omniretail_lang=en" in r.headers["set-cookie"]
    assert "Overview" in console.get("/").text


def test_language_switch_works_before_login(console) -> None:
    token = csrf_from(console.get("/login").text)
    r = console.post("/lang", data={"locale": "en", "next": "/login", "csrf_token": token})
    assert r.status_code == 200
    assert "Log in to the console" in r.text


def test_language_switch_needs_the_token(console) -> None:
    console.get("/login")
    r = console.post("/lang", data={"locale": "en"}, follow_redirects=False)
    assert r.status_code == 403
