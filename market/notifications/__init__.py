"""Notifications: telling the parties what happened. This package sits above every business
domain (market/layers.py): it may read any of them, none of them imports it.

Channels built so far: signed webhooks (Standard Webhooks) and chat robots (WeCom, DingTalk,
Feishu), both delivered by `webhooks.deliver_webhook` (see docs/webhooks.md).
"""
