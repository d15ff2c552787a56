"""Coupon uplift (优惠券增量建模): who buys *because of* a coupon.

Meta-learners on scikit-learn base models (T-learner, X-learner), evaluated by Qini curves and
AUUC, validated on the Nie & Wager (2021) synthetic setups and on the demo world's true offer
effects. See docs/models-recs.md.
"""

from omniretail.insight.uplift.learners import TLearner, UpliftModel, XLearner, create

__all__ = ["TLearner", "UpliftModel", "XLearner", "create"]
