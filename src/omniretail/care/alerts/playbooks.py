"""Crisis playbooks (预案): for each topic, who owns the response and how fast it is due.
A national spike is due faster than a city's, a city's faster than a store's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Playbook:
    code: str
    title: str
    owner_team: str
    first_response_h: float


PLAYBOOKS: dict[str, Playbook] = {
    "freshness": Playbook("food-safety", "食品安全预案", "quality", 1.0),
    "taste": Playbook("product-quality", "商品质量预案", "category", 4.0),
    "product": Playbook("product-quality", "商品质量预案", "category", 4.0),
    "packaging": Playbook("product-quality", "商品质量预案", "category", 8.0),
    "delivery": Playbook("delivery", "配送异常预案", "fulfilment", 2.0),
    "service": Playbook("service", "服务投诉预案", "store-ops", 4.0),
    "environment": Playbook("store", "门店环境预案", "store-ops", 8.0),
    "price": Playbook("pricing", "价格争议预案", "marketing", 8.0),
}
DEFAULT = Playbook("general", "舆情通用预案", "pr", 4.0)
SCOPE_FACTOR = {"store": 1.0, "city": 0.5, "national": 0.25}


def playbook_for(topic: str) -> Playbook:
    return PLAYBOOKS.get(topic, DEFAULT)
