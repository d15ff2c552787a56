"""Settings: every knob is an ``OMNIRETAIL_*`` environment variable (pydantic-settings).

Everything an instance keeps lives under one data directory, ``OMNIRETAIL_HOME``
(default ``~/.omniretail``): the operational SQLite database, the DuckDB analytics
files, the landing zone, trained models and exports. Setting ``OMNIRETAIL_HOME``
isolates an instance.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {
    "",
    "changeme",
    "change-me",
    "secret",
    "dev",
    "demo-secret-key",
    "please-change",
}
DEMO_SECRET = "demo-secret-key"  # noqa: S105 - refused unless OMNIRETAIL_DEMO=1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNIRETAIL_", env_file=None, extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".omniretail")
    database_url: str | None = None
    secret_key: str = DEMO_SECRET
    demo: bool = False
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark_master: str = "local[2]"
    duckdb_threads: int | None = None
    duckdb_memory_limit: str | None = None
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    session_max_age: int = 12 * 3600
    # behind HTTPS: the session cookie gets the Secure flag and every answer HSTS
    secure_cookies: bool = False
    # login throttling: failures per account / per client address within the window lock
    # that account / address for login_lock_seconds
    login_account_limit: int = Field(default=5, ge=1)
    login_address_limit: int = Field(default=30, ge=1)
    login_lock_seconds: int = Field(default=900, ge=1)
    # WeCom 微信客服 callback token: when set, the WeCom intake requires msg_signature, timestamp
    # and nonce (SHA1 over the sorted token, timestamp, nonce and message) within the skew
    wecom_token: str | None = None
    wecom_max_skew_seconds: int = Field(default=300, ge=1)
    # WeCom callback URL (/api/v1/care/wecom/callback): the EncodingAESKey (43 characters) its
    # AES envelope is sealed with, and the corp id the envelope must name as its receiver
    wecom_aes_key: str | None = Field(default=None, min_length=43, max_length=43)
    wecom_corp_id: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("wecom_aes_key")
    @classmethod
    def _aes_key_is_base64(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                base64.b64decode(value + "=", validate=True)
            except binascii.Error:
                raise ValueError(
                    "OMNIRETAIL_WECOM_AES_KEY is not WeCom's EncodingAESKey: 43 characters of "
                    "A-Z, a-z, 0-9, + and /"
                ) from None
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.demo and self.secret_key == DEMO_SECRET:
            self.secret_key = _instance_secret(self.home)
        if not self.demo and self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError(
                "OMNIRETAIL_SECRET_KEY is a placeholder; set a random value of 32+ characters "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`) "
                "or set OMNIRETAIL_DEMO=1 for a local demo"
            )
        if not self.demo and len(self.secret_key) < 32:
            raise ValueError("OMNIRETAIL_SECRET_KEY must be at least 32 characters long")
        weak = None if self.demo else secret_weakness(self.secret_key)
        if weak:
            raise ValueError(
                f"OMNIRETAIL_SECRET_KEY is not random enough ({weak}); set a random value "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        return self

    # -- derived locations -------------------------------------------------------------
    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'omniretail.db'}"

    @property
    def analytics_dir(self) -> Path:
        return self.home / "analytics"

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    def ensure_dirs(self) -> None:
        for d in (
            self.home,
            self.analytics_dir,
            self.landing_dir,
            self.models_dir,
            self.exports_dir,
        ):
            d.mkdir(parents=True, exist_ok=True)


MIN_SECRET_BITS = 100


def secret_weakness(secret: str) -> str | None:
    """Why ``secret`` is guessable, or None. Its characters' Shannon entropy must add up to
    MIN_SECRET_BITS (36 × 'a' has 0 bits, a 32-character hex token ~120), with at least 10
    distinct characters, and it must not be a short pattern repeated."""
    n = len(secret)
    counts: dict[str, int] = {}
    for ch in secret:
        counts[ch] = counts.get(ch, 0) + 1
    bits = -sum(c * math.log2(c / n) for c in counts.values()) if n else 0.0
    if len(counts) < 10:
        return f"only {len(counts)} distinct characters"
    for period in range(1, n // 2 + 1):
        if n % period == 0 and secret[:period] * (n // period) == secret:
            return f"a {period}-character pattern repeated"
    if bits < MIN_SECRET_BITS:
        return f"about {bits:.0f} bits of entropy, {MIN_SECRET_BITS} needed"
    return None


def _instance_secret(home: Path) -> str:
    """A demo instance still gets a random per-instance secret, kept in its data directory."""
    path = home / ".secret_key"
    if path.exists():
        return path.read_text().strip()
    import secrets

    home.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


_on_reset: list[Callable[[], None]] = []


def on_reset(callback: Callable[[], None]) -> None:
    """Call ``callback`` whenever the settings are reset (``db`` drops its engine then)."""
    if callback not in _on_reset:
        _on_reset.append(callback)


def reset_settings() -> None:
    """Forget cached settings (tests and the CLI call this after changing the environment)."""
    get_settings.cache_clear()
    for callback in _on_reset:
        callback()
