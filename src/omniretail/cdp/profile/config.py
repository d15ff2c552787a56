"""Survivorship rules of the golden record (黄金记录取值规则), per attribute.

Each attribute of a customer takes its value from one of the customer's source records:

- ``trust``: the most trusted source that has a value (ranking below), then the most recent;
- ``recent``: the most recently observed value, then the most trusted source;
- ``earliest`` / ``latest``: the smallest / largest value (dates).

The default ranking puts verified member systems first (the app verifies the phone by SMS,
the POS card is opened face to face), then WeChat, then marketplaces and delivery apps whose
records are receivers of parcels. Override in ``$OMNIRETAIL_HOME/config/profile.yaml``::

    source_ranking: [app, pos, miniprogram, ...]
    attributes:
      city: {rule: recent}
      name: {rule: trust, ranking: [pos, enterprise, giftcard, tmall, jd]}
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from omniretail.platform.config import Settings, get_settings
from omniretail.platform.errors import InvalidInput

Rule = Literal["trust", "recent", "earliest", "latest"]

DEFAULT_RANKING = [
    "app",
    "pos",
    "miniprogram",
    "wecom",
    "enterprise",
    "giftcard",
    "groupbuy",
    "wechat_oa",
    "tmall",
    "jd",
    "kuaishou",
    "douyin",
    "dianping",
    "meituan",
    "eleme",
    "events",
]


class AttributeRule(BaseModel):
    rule: Rule = "trust"
    ranking: list[str] | None = Field(None, description="Overrides source_ranking for this one.")


def _default_attributes() -> dict[str, AttributeRule]:
    real_names_first = [
        "pos",
        "enterprise",
        "giftcard",
        "app",
        "tmall",
        "jd",
        "kuaishou",
        "groupbuy",
        "miniprogram",
        "wecom",
    ]
    return {
        "name": AttributeRule(rule="trust", ranking=real_names_first),
        "gender": AttributeRule(rule="trust"),
        "birthday": AttributeRule(rule="trust"),
        "phone": AttributeRule(rule="trust"),
        "email": AttributeRule(rule="recent"),
        "province": AttributeRule(rule="recent"),
        "city": AttributeRule(rule="recent"),
        "address": AttributeRule(rule="recent"),
        "home_store_code": AttributeRule(rule="trust"),
        "registered_at": AttributeRule(rule="earliest"),
    }


class ProfileConfig(BaseModel):
    source_ranking: list[str] = Field(default_factory=lambda: list(DEFAULT_RANKING))
    attributes: dict[str, AttributeRule] = Field(default_factory=_default_attributes)

    def ranking_for(self, attribute: str) -> list[str]:
        rule = self.attributes.get(attribute)
        return (rule.ranking if rule and rule.ranking else None) or self.source_ranking


def load_profile_config(
    settings: Settings | None = None, path: Path | None = None
) -> ProfileConfig:
    path = path or (settings or get_settings()).home / "config" / "profile.yaml"
    if not path.exists():
        return ProfileConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path.name} is not valid YAML: {exc}", field="profile.yaml") from exc
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path.name} must be a mapping", field="profile.yaml")
    base = ProfileConfig()
    attributes = dict(base.attributes)
    for name, value in (raw.get("attributes") or {}).items():
        attributes[name] = AttributeRule.model_validate(value)
    return ProfileConfig(
        source_ranking=raw.get("source_ranking") or base.source_ranking, attributes=attributes
    )
