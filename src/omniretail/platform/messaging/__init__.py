"""Messaging: the outbox and the channel adapters (email, webhook, SMS, WeChat, WeCom, file)."""
