from __future__ import annotations

from collections import Counter
from pathlib import Path

from omniretail.insight.tag.catalogue import FAMILY_NAMES, all_tags
from omniretail.insight.tag.service import catalogue, catalogue_markdown

REPO = Path(__file__).resolve().parents[3]


def test_catalogue_has_ninety_plus_tags_in_five_families() -> None:
    tags = all_tags()
    assert len(tags) >= 90
    per_family = Counter(t.family for t in tags)
    assert set(per_family) == set(FAMILY_NAMES)
    assert min(per_family.values()) >= 10
    for t in tags:
        assert t.id.isidentifier()
        assert t.id == t.id.lower()
        assert t.zh
        assert t.en
        assert t.definition
        assert t.sql
        assert t.refresh in ("daily", "incremental", "profile")


def test_campaign_tags_exist() -> None:
    ids = {t.id for t in all_tags()}
    assert {"most_active_channel", "preferred_store", "rfm_group", "lifecycle_stage"} <= ids


def test_generated_docs_are_up_to_date() -> None:
    page = REPO / "docs" / "tags.md"
    assert page.read_text(encoding="utf-8") == catalogue_markdown(), (
        "docs/tags.md is stale: run `omniretail tags docs --out docs/tags.md`"
    )


def test_catalogue_reports_coverage(insight_duckdb) -> None:
    rows = catalogue(insight_duckdb)
    cov = {r["id"]: r["coverage"] for r in rows}
    assert cov["gender"] is not None
    assert 0.8 < cov["gender"] < 1.0
    assert cov["consent_sms"] == 1.0  # booleans are always filled
    assert 0 < cov["rfm_group"] < 1  # prospects have no RFM group
    assert all("sql" not in r for r in rows)


def test_every_definition_has_a_chinese_and_an_english_text() -> None:
    """The catalogue page shows each tag's definition in the reader's language: the tag
    domain's catalogs carry all of them, the Chinese one without untranslated English."""
    import re

    from omniretail.platform import i18n

    acronyms = {"RFM", "SKU", "APP", "NPS"}
    for tag in all_tags():
        with i18n.use_locale("zh_CN"):
            zh = i18n.gettext(tag.definition)
        with i18n.use_locale("en"):
            en = i18n.gettext(tag.definition)
        assert en == tag.definition, tag.id
        assert zh != tag.definition, f"{tag.id}: no Chinese definition"
        latin = set(re.findall(r"[A-Za-z]{2,}", zh)) - acronyms
        assert not latin, f"{tag.id}: {sorted(latin)} in {zh!r}"


def test_catalogue_page_definitions_in_the_reader_language(client) -> None:
    gender = next(t for t in all_tags() if t.id == "gender")
    zh = client.get("/segments/tags").text
    assert "统一档案中的性别" in zh
    assert gender.definition not in zh
    assert "Paid orders, all time." not in zh
    client.cookies.set("omniretail_lang", "en")
    en = client.get("/segments/tags").text
    assert gender.definition in en
    assert "统一档案中的性别" not in en
