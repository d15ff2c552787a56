"""Where the fitted serving model is kept: ``$OMNIRETAIL_HOME/models/recommendations.pkl``.

The file is written by our own pipeline only (never uploaded), replaced atomically, and read
back once per change of its modification time.
"""

from __future__ import annotations

import os
import pickle
import threading
from pathlib import Path

from omniretail.insight.recommend.base import Recommender
from omniretail.insight.recommend.errors import RecommendationsNotReady
from omniretail.platform.config import Settings, get_settings

FILE_NAME = "recommendations.pkl"
_lock = threading.Lock()
_cache: dict[str, tuple[float, Recommender]] = {}


def path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).models_dir / FILE_NAME


def save(model: Recommender, settings: Settings | None = None) -> Path:
    target = path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".pkl.tmp")
    with tmp.open("wb") as fh:
        pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, target)
    return target


def load(settings: Settings | None = None) -> Recommender:
    target = path(settings)
    if not target.exists():
        raise RecommendationsNotReady(
            "no recommendation model yet; run `omniretail pipeline run` first", field="model"
        )
    mtime = target.stat().st_mtime
    key = str(target)
    with _lock:
        hit = _cache.get(key)
        if hit is None or hit[0] != mtime:
            with target.open("rb") as fh:
                model = pickle.load(fh)  # noqa: S301 - our own pipeline's file, never user input
            _cache[key] = (mtime, model)
            hit = _cache[key]
    return hit[1]
