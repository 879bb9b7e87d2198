"""Background tasks of the webhook channel (market/jobs.py runs them on Celery or in-process)."""
from __future__ import annotations


def send_webhooks(ids: list[int]) -> dict:
    from market.notifications import sender

    return sender.send_ids([int(i) for i in ids])


def register(tasks) -> None:
    tasks.add("notifications.send_webhooks", send_webhooks)
