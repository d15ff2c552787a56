"""The trained sentiment model is kept in a per-user cache keyed by what it depends on, so a new
instance (a fresh demo home, another test's home) loads it instead of training it again."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from omniretail.insight.voice import sentiment
from omniretail.platform import config

TEXTS = ["很好吃，下次还买", "物流太慢了", "包装破了", "味道不错", "太贵了不值", "非常满意"] * 2
LABELS = [1, 0, 0, 1, 0, 1] * 2


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OMNIRETAIL_CACHE_DIR", str(tmp_path / "cache"))
    sentiment.default_model.cache_clear()
    yield tmp_path / "cache"
    sentiment.default_model.cache_clear()


def test_a_new_instance_loads_the_cached_model(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = sentiment.SentimentModel().fit(TEXTS, LABELS)  # not the corpus model: recognisable
    path = sentiment._model_path()
    assert path.parent == cache
    assert not sentiment.model_cached()
    path.parent.mkdir(parents=True)
    path.write_bytes(pickle.dumps(small))
    assert sentiment.model_cached()
    for home in ("a", "b"):  # two instances, neither with a models directory of its own
        monkeypatch.setenv("OMNIRETAIL_HOME", str(tmp_path / home))
        config.reset_settings()
        sentiment.default_model.cache_clear()
        probe = ["物流太慢了", "非常满意", "一般"]
        assert np.array_equal(sentiment.default_model().score(probe), small.score(probe))
    config.reset_settings()


def test_the_key_follows_the_recipe_and_the_environment(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = sentiment.model_key()
    assert key == sentiment.model_key()  # stable
    monkeypatch.setattr(sentiment, "RECIPE", sentiment.RECIPE + "-changed")
    assert sentiment.model_key() != key
    monkeypatch.setattr(sentiment, "RECIPE", sentiment.RECIPE.removesuffix("-changed"))
    monkeypatch.setattr(sentiment, "_PACKAGES", (*sentiment._PACKAGES, "no-such-package-x"))
    assert sentiment.model_key() != key


def test_default_cache_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OMNIRETAIL_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert sentiment.cache_dir() == tmp_path / "xdg" / "omniretail"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert sentiment.cache_dir() == Path.home() / ".cache" / "omniretail"
