"""Reading the basket tables: top rules and the category co-purchase network."""

from __future__ import annotations

from typing import Any

from omniretail.platform.engine.base import AnalyticsEngine
from omniretail.platform.engine.snapshot import require_tables
from omniretail.platform.errors import InvalidInput

_ORDER = {"lift": "lift", "support": "support", "confidence": "confidence"}


def top_pairs(
    engine: AnalyticsEngine, *, level: str = "category", by: str = "lift", limit: int = 50
) -> list[dict[str, Any]]:
    if level not in ("category", "sku"):
        raise InvalidInput("level must be category or sku", field="level")
    if by not in _ORDER:
        raise InvalidInput("sort by lift, support or confidence", field="by")
    require_tables(engine, "basket_pairs")
    return engine.fetch_rows(
        f"SELECT * FROM basket_pairs WHERE level = '{level}' "
        f"ORDER BY {_ORDER[by]} DESC, antecedent, consequent LIMIT {int(limit)}"
    )


def top_bundles(engine: AnalyticsEngine, *, limit: int = 50) -> list[dict[str, Any]]:
    require_tables(engine, "basket_bundles")
    return engine.fetch_rows(
        f"SELECT * FROM basket_bundles ORDER BY lift DESC, antecedent, consequent "
        f"LIMIT {int(limit)}"
    )


def category_network(engine: AnalyticsEngine) -> dict[str, Any]:
    """Nodes (categories with their order counts) and undirected edges for a graph chart."""
    require_tables(engine, "basket_pairs", "dim_product")
    edges = engine.fetch_rows(
        "SELECT antecedent AS source, consequent AS target, orders_ab, lift, support "
        "FROM basket_pairs WHERE level = 'category' AND antecedent < consequent "
        "ORDER BY orders_ab DESC"
    )
    # a category's name: the category master's (a product export rarely carries it), else
    # the products'; the chart falls back to the code only when neither names it
    master = engine.table_exists("dim_category")
    nodes = engine.fetch_rows(
        "SELECT p.antecedent AS id, max(p.orders_antecedent) AS orders, "
        + ("coalesce(max(c.name), max(d.category_name))" if master else "max(d.category_name)")
        + " AS name FROM basket_pairs p "
        "LEFT JOIN dim_product d ON d.category_code = p.antecedent "
        + ("LEFT JOIN dim_category c ON c.category_code = p.antecedent " if master else "")
        + "WHERE p.level = 'category' GROUP BY p.antecedent ORDER BY p.antecedent"
    )
    return {"nodes": nodes, "edges": edges}
