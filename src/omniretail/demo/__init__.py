"""omniretail.demo — the demo world generator (演示世界): a synthetic snack-food chain with
personas, raw channel exports and ground truth. See docs/demo-world.md."""

from omniretail.demo.world import WorldSummary, generate_world

__all__ = ["WorldSummary", "generate_world"]
