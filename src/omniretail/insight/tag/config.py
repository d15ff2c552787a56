"""Insight settings: RFM binning and lifecycle windows.

Defaults suit a snack chain; an instance overrides them in ``$OMNIRETAIL_HOME/insight.json``::

    {"rfm": {"binning": "fixed", "recency_days": [365, 180, 90, 30]},
     "lifecycle": {"dormant_factor": 2.5}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from omniretail.insight.tag.lifecycle import LifecycleConfig
from omniretail.insight.tag.rfm import RfmConfig
from omniretail.platform.config import Settings
from omniretail.platform.errors import InvalidInput


@dataclass(frozen=True)
class InsightConfig:
    rfm: RfmConfig = field(default_factory=RfmConfig)
    lifecycle: LifecycleConfig = field(default_factory=LifecycleConfig)


def _build(cls: Any, data: dict[str, Any], where: str) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidInput(
            f"unknown setting(s) {', '.join(unknown)} in insight.json; known: {sorted(known)}",
            field=where,
        )
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(str(exc), field=where) from exc


def load_config(settings: Settings) -> InsightConfig:
    path = settings.home / "insight.json"
    if not path.exists():
        return InsightConfig()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"insight.json is not valid JSON: {exc}", field="insight.json") from exc
    return InsightConfig(
        rfm=_build(RfmConfig, raw.get("rfm", {}), "rfm"),
        lifecycle=_build(LifecycleConfig, raw.get("lifecycle", {}), "lifecycle"),
    )
