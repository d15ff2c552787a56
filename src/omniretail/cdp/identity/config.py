"""Identity resolution settings (身份识别配置): identifiers, guard-rails, probabilistic matching.

Defaults are the values tuned on the demo world (see docs/identity.md). An instance overrides
any of them in ``$OMNIRETAIL_HOME/config/identity.yaml``, e.g.::

    identifiers:
      phone: {max_records: 20, max_names: 2}
    blocked_values:
      phone: ["+8640088888888"]
    splink:
      threshold: 0.9
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from omniretail.platform.config import Settings, get_settings
from omniretail.platform.errors import InvalidInput


class IdentifierRule(BaseModel):
    """How one kind of strong identifier links records."""

    weight: float = Field(description="Strength of the link; the weakest link is cut first.")
    scope: Literal["global", "source"] = Field(
        "global",
        description="'source': the value is only unique within its source (openid, buyer id).",
    )
    max_records: int = Field(
        30, description="A value on more records than this is shared (e.g. a store phone)."
    )
    max_names: int = Field(
        8, description="A value used by more distinct names than this (all sources) is shared."
    )
    max_records_per_source: int = Field(
        3, description="A value on more records than this in one source is shared."
    )
    max_records_in_source: dict[str, int] = Field(
        default_factory=dict,
        description="Per-source exceptions to max_records_per_source: sources where one "
        "person normally has many records (a company buying 30 gift cards on one phone).",
    )
    max_names_per_source: int = Field(
        2,
        description="A value used by more distinct names than this within one source is "
        "shared (nicknames differ between channels, real names within one should not).",
    )


def _default_identifiers() -> dict[str, IdentifierRule]:
    return {
        "member_id": IdentifierRule(weight=10, max_records=40),
        "unionid": IdentifierRule(weight=9, max_records=40),
        "phone": IdentifierRule(
            weight=8, max_records=50, max_records_in_source={"giftcard": 40, "enterprise": 40}
        ),
        "email": IdentifierRule(weight=7, max_records=30),
        "wecom_external_userid": IdentifierRule(weight=6, max_records=20),
        "openid": IdentifierRule(weight=6, scope="source", max_records=20),
        "platform_buyer_id": IdentifierRule(weight=6, scope="source", max_records=20),
    }


def _default_blocked() -> dict[str, list[str]]:
    return {
        "phone": ["+8613800138000", "+8613888888888", "+8613900000000", "+8618888888888"],
        "email": ["test@test.com", "test@example.com", "noreply@example.com"],
        "member_id": ["0", "00000000", "TEST"],
    }


def _default_blocked_patterns() -> dict[str, list[str]]:
    # SQL LIKE patterns, matched case-insensitively
    return {"email": ["test%@%", "%@example.com"], "member_id": ["test%"]}


class SplinkSettings(BaseModel):
    """Probabilistic matching of weak evidence (name, birthday, city, masked phone, address)."""

    enabled: bool = True
    threshold: float = Field(0.9, ge=0.5, le=1.0, description="Minimum match probability.")
    weight: float = Field(1.0, description="Edge weight of a probabilistic link (below strong).")
    prior: Literal["masked_phone_moments", "rule"] = Field(
        "masked_phone_moments",
        description="How λ (the share of cluster pairs that are one person) is estimated: from "
        "how many cluster pairs share a masked phone beyond chance (method of moments), or "
        "from the pairs a deterministic rule finds divided by its assumed recall.",
    )
    prior_recall: float = Field(
        0.8, gt=0.0, le=1.0, description="Assumed recall of the rule used to estimate the prior."
    )
    min_records: int = Field(
        200, description="Below this many candidate records there is too little to train on."
    )
    u_max_pairs: float = 2e6
    seed: int = 42
    max_blocking_rules: int = Field(
        4,
        ge=1,
        le=4,
        description="Use the first N blocking rules (masked phone; phone ending + surname; "
        "name + birthday; address).",
    )


class IdentityConfig(BaseModel):
    identifiers: dict[str, IdentifierRule] = Field(default_factory=_default_identifiers)
    blocked_values: dict[str, list[str]] = Field(default_factory=_default_blocked)
    blocked_patterns: dict[str, list[str]] = Field(default_factory=_default_blocked_patterns)
    conflicting_kinds: list[str] = Field(
        default_factory=lambda: ["member_id"],
        description="Two different values of one of these kinds from the same source in one "
        "cluster (held by records of different names) are a conflict: the cluster is split "
        "on its weakest links.",
    )
    conflicts_need_different_names: bool = Field(
        True,
        description="Two member cards of one source under the same name are one person "
        "registered twice (a duplicate), not a conflict.",
    )
    link_weight: float = Field(
        5.0,
        description="Weight of a link a source asserts between two of its records "
        "(std_identity_links: a device to the member who logged in on it...).",
    )
    link_type_weights: dict[str, float] = Field(
        default_factory=dict, description="Per link_type weights; 0 ignores that type."
    )
    manual_weight: float = 100.0
    max_iterations: int = 64
    splink: SplinkSettings = Field(default_factory=SplinkSettings)


def config_path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).home / "config" / "identity.yaml"


def _merge(base: dict[str, object], override: dict[str, object]) -> dict[str, object]:
    out = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            out[key] = _merge(current, value)
        else:
            out[key] = value
    return out


def load_config(settings: Settings | None = None, path: Path | None = None) -> IdentityConfig:
    """The defaults, overridden by the instance's ``config/identity.yaml`` when it exists."""
    path = path or config_path(settings)
    if not path.exists():
        return IdentityConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path.name} is not valid YAML: {exc}", field="identity.yaml") from exc
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path.name} must be a mapping", field="identity.yaml")
    merged = _merge(IdentityConfig().model_dump(), raw)
    return IdentityConfig.model_validate(merged)
