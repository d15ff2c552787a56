"""A demo instance's pipeline for the tests that play campaigns on a small demo world: the
steps a campaign needs before launch, the steps the report reads after members respond, and a
runner that publishes the snapshot like ``omniretail pipeline run`` does."""

from __future__ import annotations

from omniretail.platform import config, pipeline
from omniretail.platform.engine import open_engine, publish_snapshot

BUILD_STEPS = [
    "standardize",
    "identity",
    "unify",
    "insight.features",
    "insight.rfm",
    "insight.lifecycle",
    "insight.tags",
]
AFTER_RESPONSE = ["standardize", "identity", "unify"]  # what the report reads: orders


def run_pipeline(steps: list[str]) -> None:
    """Run ``steps`` on the current instance (settings from the environment) and publish."""
    settings = config.get_settings()
    engine = open_engine(settings=settings)
    try:
        pipeline.run(pipeline.PipelineContext(engine=engine, settings=settings), only=steps)
    finally:
        engine.close()
    publish_snapshot(settings)
