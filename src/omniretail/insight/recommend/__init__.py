"""Product recommendations (商品推荐): algorithms behind one interface, business filters,
"frequently bought together", cold start for new products and offline evaluation.

See ``base.py`` for the interface and docs/models-recs.md for the algorithms and equations.
"""

from omniretail.insight.recommend.base import Recommender, available, create, register
from omniretail.insight.recommend.interactions import Interactions

__all__ = ["Interactions", "Recommender", "available", "create", "register"]
