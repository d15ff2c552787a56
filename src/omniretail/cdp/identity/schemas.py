"""Typed results of identity resolution's read side: a customer's records and links, and the
chains of links that explain why records are one customer (合并解释)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class IdentityRecord(BaseModel):
    record_key: str = Field(description="source:record id")
    source: str | None = None
    cluster_rule: str | None = Field(None, description="deterministic, probabilistic, manual…")


class IdentityEdge(BaseModel):
    left_key: str
    right_key: str
    rule: str | None = None
    evidence: dict[str, Any] | None = Field(None, description="what the two records share")
    weight: float | None = None


class ChainLink(IdentityEdge):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_key: str = Field(alias="from")
    to_key: str = Field(alias="to")


class Chain(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_key: str = Field(alias="from")
    to_key: str = Field(alias="to")
    links: list[ChainLink] = Field(description="empty when the records are not connected")


class CustomerCluster(BaseModel):
    customer_id: str
    records: list[IdentityRecord]
    edges: list[IdentityEdge]


class Explanation(CustomerCluster):
    chains: list[Chain] = Field(default_factory=list)


class MergeResult(BaseModel):
    customer_id: str
    merged: str
    constraint_id: int
    cannot_links_lifted: int
    identities_moved: int
    takes_full_effect: str


class UnmergeResult(BaseModel):
    customer_id: str
    split: list[str] = Field(description="record keys split off")
    cannot_links: int
    must_links_lifted: int
    takes_effect: str


class ConstraintRead(BaseModel):
    id: int
    kind: str = Field(description="must_link or cannot_link")
    left_key: str
    right_key: str
    active: bool
    created_by: str | None = None
    reason: str | None = None
    origin: str | None = None
    created_at: str | None = None


class ConstraintList(BaseModel):
    count: int
    items: list[ConstraintRead]
