"""Demand forecasting services: accuracy on an imported source, forecasts and suggestions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from omniretail.insight.forecast import evaluation, series
from omniretail.insight.forecast.errors import UnknownSource
from omniretail.platform.engine import open_published
from omniretail.platform.errors import InvalidInput


def evaluate_source(
    *,
    source: str,
    freq: str = "week",
    horizon: int = 8,
    windows: int = 3,
    top: int = 100,
    season_length: int | None = None,
    methods: list[str] | None = None,
    on_method: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The protocol of :mod:`evaluation` on the top SKUs of an imported source, read from the
    published analytics snapshot (the std_ tables the pipeline built from the landed files)."""
    if freq not in series.STEP_DAYS:
        raise InvalidInput(f"--freq must be week or day, not {freq!r}", field="freq")
    if top < 1:
        raise InvalidInput("--top must be at least 1", field="top")
    eng = open_published()
    if eng is None:
        raise UnknownSource(
            "nothing is published yet: import the file, then run `omniretail pipeline run` "
            "(or `omniretail quality reprocess --publish`)",
            field="source",
        )
    with eng:
        panel = series.top_sku_panel(eng, source=source, freq=cast(series.Freq, freq), top=top)
    report = evaluation.evaluate(
        panel.values,
        horizon=horizon,
        windows=windows,
        season_length=season_length or (52 if freq == "week" else 7),
        methods=methods,
        on_method=on_method,
    )
    return {
        "source": source,
        "freq": freq,
        "horizon": horizon,
        "windows": windows,
        "series": len(panel.keys),
        "periods": panel.periods,
        "first_period": panel.start.isoformat(),
        **report,
        "test_cutoffs": [panel.period_start(c).isoformat() for c in report["test_cutoffs"]],
    }
