"""Known junk values (seed 001 §3.2 "纠正错误数据"): configurable lists and thresholds.

The defaults ship in ``junk.yaml`` next to this module; an instance may override any key with
``$OMNIRETAIL_HOME/quality/junk.yaml``.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from omniretail.platform.config import Settings

DEFAULTS = Path(__file__).parent / "junk.yaml"


class JunkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    test_account_names: list[str] = Field(default_factory=list)
    test_member_ids: list[str] = Field(default_factory=list)
    junk_phones: list[str] = Field(default_factory=list)  # E.164
    junk_emails: list[str] = Field(default_factory=list)
    placeholder_birthdays: list[str] = Field(default_factory=list)  # ISO dates
    min_birthday: str = "1900-01-01"
    shared_phone_max_members: int = 5  # a phone on more member cards at one store is shared


def load_junk(settings: Settings | None = None) -> JunkConfig:
    data = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8")) or {}
    if settings is not None:
        override = settings.home / "quality" / "junk.yaml"
        if override.is_file():
            data.update(yaml.safe_load(override.read_text(encoding="utf-8")) or {})
    return JunkConfig.model_validate(data)
