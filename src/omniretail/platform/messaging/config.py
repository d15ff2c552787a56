"""Channel adapter settings (``OMNIRETAIL_MESSAGING_*`` environment variables)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class MessagingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMNIRETAIL_MESSAGING_", extra="ignore")

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "omniretail@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    sms_url: str | None = None  # the provider's HTTP send endpoint
    sms_api_key: str | None = None
    sms_sign: str = "【零食铺子】"
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_appid: str | None = None
    wechat_secret: str | None = None
    wechat_template_id: str | None = None
    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    wecom_corpid: str | None = None
    wecom_secret: str | None = None
    wecom_sender: str | None = None  # default clerk userid when the member has no clerk
    file_dir: str | None = None  # default $OMNIRETAIL_HOME/exports/messages
    app_push_url: str | None = None  # the app's push gateway (HTTP)
    click_base_url: str = "http://127.0.0.1:8000"
    max_attempts: int = 5
    timeout_seconds: float = 10.0


@lru_cache(maxsize=1)
def get_messaging_settings() -> MessagingSettings:
    return MessagingSettings()
