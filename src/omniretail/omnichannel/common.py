"""Small pieces every master-data service shares."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert by code did: rows created, changed, and left as they were."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}
